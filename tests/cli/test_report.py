"""``otel-llm report`` over the real views: exact costs, hit rates, groupings, windows, formats."""

from __future__ import annotations

import datetime as dt
import struct
from typing import Any

import pytest

from tests.cli.conftest import Call, Run, as_json, insert_calls

D = dt.datetime
WINDOW = ["--since", "2026-11-20", "--until", "2026-11-22", "--service", "api"]
pytestmark = pytest.mark.totals


@pytest.fixture
def known(store: Any) -> None:
    client, database = store
    insert_calls(client, database, [
        Call(D(2026, 11, 20, 10, 15), "chat", user="alice", input=1000, output=100, cache_read=800,
             cost="0.0025", savings="0.001"),
        Call(D(2026, 11, 20, 10, 20), "chat", user="alice", input=1000, output=100, cache_read=800,
             cost="0.0025", savings="0.001"),
        Call(D(2026, 11, 20, 10, 40), "search", "claude-sonnet-4", "anthropic", user="bob", input=2000,
             output=50, cache_write=500, reasoning=20, cost="0.01"),
        Call(D(2026, 11, 20, 11, 5), "search", "claude-sonnet-4", "anthropic", user="bob", input=0, output=0,
             cost="0", error=True),
        Call(D(2026, 11, 20, 12, 30), "chat", "unknown-model", user="alice", cost=None),
        Call(D(2026, 11, 21, 9, 0), "chat", user="carol", cost="0.000123"),
        Call(D(2026, 11, 19, 23, 0), "chat", user="alice", cost="5"),  # before the window
        Call(D(2026, 11, 20, 10, 0), "chat", user="alice", cost="1", service="batch"),  # other service
    ])


def test_report_by_feature_json_exact(known: None, run: Run) -> None:
    code, out, _ = run("report", "--by", "feature", "--format", "json", *WINDOW)
    assert code == 0
    assert as_json(out) == [
        {"feature": "search", "calls": 2, "cost_usd": 0.01, "input_tokens": 2000, "output_tokens": 50,
         "cache_read_tokens": 0, "cache_write_tokens": 500, "reasoning_tokens": 20, "cache_hit_rate": 0.0,
         "cache_savings_usd": 0.0, "errors": 1, "unpriced_calls": 0},
        {"feature": "chat", "calls": 4, "cost_usd": 0.005123, "input_tokens": 2200, "output_tokens": 220,
         "cache_read_tokens": 1600, "cache_write_tokens": 0, "reasoning_tokens": 0, "cache_hit_rate": 0.5,
         "cache_savings_usd": 0.002, "errors": 0, "unpriced_calls": 1},
    ]


def test_report_by_user_reads_the_daily_rollup(known: None, run: Run) -> None:
    _, out, _ = run("report", "--by", "user", "--format", "json", *WINDOW)
    got = {row["user"]: (row["calls"], row["cost_usd"]) for row in as_json(out)}
    assert got == {"bob": (2, 0.01), "alice": (3, 0.005), "carol": (1, 0.000123)}


def test_report_by_day_and_by_two_keys(known: None, run: Run) -> None:
    _, out, _ = run("report", "--by", "day", "--format", "json", *WINDOW)
    assert [(r["day"], r["calls"], r["cost_usd"]) for r in as_json(out)] == [
        ("2026-11-20", 5, 0.015), ("2026-11-21", 1, 0.000123)]
    _, out, _ = run("report", "--by", "feature", "--by", "model", "--format", "json", *WINDOW)
    assert [(r["feature"], r["model"], r["calls"]) for r in as_json(out)] == [
        ("search", "claude-sonnet-4", 2), ("chat", "gpt-4o", 3), ("chat", "unknown-model", 1)]


def test_report_windows_are_whole_hour_buckets(known: None, run: Run) -> None:
    _, out, _ = run("report", "--format", "json", "--since", "2026-11-20T11:00", "--until", "2026-11-20T12:00")
    assert [(r["feature"], r["calls"], r["errors"]) for r in as_json(out)] == [("search", 1, 1)]
    # A since inside an hour includes that hour's bucket (buckets overlapping the window count).
    _, out, _ = run("report", "--format", "json", "--since", "2026-11-20T10:30", "--until", "2026-11-20T11:00",
                    "--service", "api")
    assert sum(r["calls"] for r in as_json(out)) == 3
    # Without --service every service counts; the 19th stays out of a window starting on the 20th.
    _, out, _ = run("report", "--by", "service", "--format", "json", "--since", "2026-11-20", "--until", "2026-11-22")
    assert {r["service"]: r["cost_usd"] for r in as_json(out)} == {"batch": 1.0, "api": 0.015123}


def test_report_table_has_a_total_line_and_csv_a_header(known: None, run: Run) -> None:
    _, out, _ = run("report", *WINDOW)
    total = next(line for line in out.splitlines() if line.startswith("TOTAL")).split()
    assert total[1:3] == ["6", "0.015123"]
    assert total[8] == "0.333333"  # 2 cache hits in 6 calls
    _, out, _ = run("report", "--format", "csv", *WINDOW)
    lines = out.splitlines()
    assert lines[0].startswith("feature,calls,cost_usd,input_tokens")
    assert lines[1].startswith("search,2,0.01,2000")


def test_report_chart_is_a_png_of_the_expected_size(known: None, run: Run, tmp_path: Any) -> None:
    path = tmp_path / "cost.png"
    code, _, err = run("report", "--by", "feature", "--chart", str(path), *WINDOW)
    assert code == 0 and "chart written" in err
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1100, 500)  # 11 x 5 inches at 100 dpi


def test_report_errors_are_one_line_and_exit_2(store: Any, run: Run) -> None:
    code, _, err = run("report", "--since", "yesterday-ish")
    assert code == 2 and "neither an age" in err
