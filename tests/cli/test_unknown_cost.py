"""Unknown is null everywhere: a group whose calls are all unpriced has no cost (null, ``-``, empty
CSV cell), never $0; a group partly priced keeps its sum and says how many calls it leaves out;
``report`` and ``top`` give the same totals from the same store."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from typing import Any

import pytest

from tests.cli.conftest import Call, Run, as_json, insert_calls

D = dt.datetime
WINDOW = ["--since", "2026-11-20", "--until", "2026-11-21"]
pytestmark = pytest.mark.totals


@pytest.fixture
def mixed(store: Any) -> None:
    insert_calls(*store, [
        Call(D(2026, 11, 20, 9), "chat", cost="0.01", savings="0.002", cache_read=50),
        Call(D(2026, 11, 20, 10), "chat", cost="0.02"),
        Call(D(2026, 11, 20, 10), "chat", "mystery-model", cost=None, session="s1"),  # chat: partly priced
        Call(D(2026, 11, 20, 11), "triage", "mystery-model", cost=None, session="s1"),
        Call(D(2026, 11, 20, 12), "triage", "mystery-model", cost=None),  # triage: nothing priced
        Call(D(2026, 11, 20, 12), "search", "claude-haiku-4-5", "anthropic", cost="0.005"),
    ])


def test_report_json_gives_null_for_an_unpriced_group_and_keeps_a_partial_sum(mixed: None, run: Run) -> None:
    code, out, _ = run("report", "--format", "json", *WINDOW)
    assert code == 0
    got = {r["feature"]: (r["calls"], r["cost_usd"], r["cache_savings_usd"], r["unpriced_calls"]) for r in as_json(out)}
    assert got == {"chat": (3, 0.03, 0.002, 1), "search": (1, 0.005, 0.0, 0), "triage": (2, None, None, 2)}
    assert [r["feature"] for r in as_json(out)] == ["chat", "search", "triage"]  # unknown cost sorts last


def test_report_table_shows_a_dash_and_csv_an_empty_cell(mixed: None, run: Run) -> None:
    _, out, _ = run("report", *WINDOW)
    lines = out.splitlines()
    triage = next(line for line in lines if line.startswith("triage")).split()
    assert triage[1:3] == ["2", "-"] and triage[-1] == "2"
    total = next(line for line in lines if line.startswith("TOTAL")).split()
    assert total[1:3] == ["6", "0.035"] and total[-1] == "3"
    _, out, _ = run("report", "--format", "csv", *WINDOW)
    rows = {r["feature"]: r for r in csv.DictReader(io.StringIO(out))}
    assert rows["triage"]["cost_usd"] == "" and rows["triage"]["unpriced_calls"] == "2"
    assert rows["chat"]["cost_usd"] == "0.03"


def test_top_marks_unknown_costs_and_agrees_with_report(mixed: None, run: Run) -> None:
    _, out, _ = run("top", "--format", "json", *WINDOW)
    top = as_json(out)
    types = {(t["feature"], t["model"]): t for t in top["types"]}
    triage = types["triage", "mystery-model"]
    assert (triage["cost_usd"], triage["cost_per_call"], triage["in_top80"]) == (None, None, False)
    assert (types["chat", "gpt-4o"]["cost_per_call"], types["chat", "mystery-model"]["unpriced_calls"]) == (0.015, 1)
    assert [c["cost_usd"] for c in top["calls"]][-3:] == [None, None, None]  # unpriced calls: null, listed last
    assert [(t["turn"], t["cost_usd"], t["unpriced_calls"]) for t in top["context"]] == [(1, None, 1), (2, None, 1)]

    # The same store read by both commands: per feature and in total, the same calls, cost and gaps.
    _, out, _ = run("report", "--format", "json", *WINDOW)
    report = {r["feature"]: (r["calls"], r["cost_usd"], r["unpriced_calls"]) for r in as_json(out)}
    by_feature: dict[str, list[Any]] = defaultdict(lambda: [0, None, 0])
    for t in top["types"]:
        row = by_feature[t["feature"]]
        row[0] += t["calls"]
        row[2] += t["unpriced_calls"]
        if t["cost_usd"] is not None:
            row[1] = round((row[1] or 0) + t["cost_usd"], 9)
    assert {f: tuple(v) for f, v in by_feature.items()} == report
    _, table, _ = run("top", "types", *WINDOW)
    assert any(line.startswith("triage") and " - " in line for line in table.splitlines())
