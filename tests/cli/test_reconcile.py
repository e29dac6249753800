"""``otel-llm reconcile`` on a chdb store with known calls, against the provider exports saved in
tests/reconcile/exports: a bill the traces explain exits 0, a gap beyond the tolerance exits 1, a
file that is not an export exits 2 with one line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Call, Run, as_json, insert_calls

D = dt.datetime
pytestmark = pytest.mark.totals
EXPORTS = Path(__file__).parents[1] / "reconcile" / "exports"
GPT4O, MINI, SONNET = "gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18", "claude-sonnet-4-20250514"

NOV20_OPENAI = [
    Call(D(2026, 11, 20, 9), "chat", GPT4O, cost="0.30"),
    Call(D(2026, 11, 20, 10), "search", GPT4O, cost="0.10"),
    Call(D(2026, 11, 20, 11), "chat", MINI, cost="0.05"),
    Call(D(2026, 11, 20, 12), "chat", SONNET, "anthropic", cost="9"),  # another provider: not on OpenAI's bill
]
NOV21_OPENAI = [Call(D(2026, 11, 21, 8), "chat", GPT4O, cost="0.15"), Call(D(2026, 11, 21, 23, 59), "chat", GPT4O,
                                                                            cost="0.05")]


def reconcile(run: Run, provider: str, export: str, *extra: str) -> tuple[int, str, str]:
    return run("reconcile", "--provider", provider, "--file", str(EXPORTS / export), *extra)


def test_openai_costs_the_traces_explain_exit_0(store: Any, run: Run) -> None:
    insert_calls(*store, [*NOV20_OPENAI, *NOV21_OPENAI])
    code, out, err = reconcile(run, "openai", "openai_costs.json", "--format", "json")
    assert code == 0, err
    body = as_json(out)
    assert (body["unit"], body["billed"], body["traced"], body["gap"], body["within_tolerance"]) == (
        "usd", 0.65, 0.65, 0.0, True)
    assert [(r["day"], r["model"], r["billed_usd"], r["traced_usd"], r["explained_share"], r["traced_calls"])
            for r in body["rows"]] == [
        ("2026-11-20", "gpt-4o", 0.4, 0.4, 1.0, 2), ("2026-11-20", "gpt-4o-mini", 0.05, 0.05, 1.0, 1),
        ("2026-11-21", "gpt-4o", 0.2, 0.2, 1.0, 2)]
    assert body["rows"][0]["traced_by_feature"] == {"chat": 0.3, "search": 0.1}
    assert body["rows"][0]["billed_as"] == "gpt-4o-2024-08-06, input; gpt-4o-2024-08-06, output"
    assert "traces explain 100.0% of $0.6500 billed" in err

    code, out, _ = reconcile(run, "openai", "openai_costs.json")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:6] == ["day", "model", "billed_usd", "traced_usd", "difference_usd", "explained_share"]
    assert "chat 0.3, search 0.1" in lines[2]
    assert lines[-2].split()[:4] == ["TOTAL", "0.65", "0.65", "0"]
    assert lines[-1].endswith("within the tolerance of 5.0%")


def test_openai_gap_beyond_the_tolerance_exits_1(store: Any, run: Run) -> None:
    # The 21st's calls never reached the store (made around the instrumentation): 0.20 of 0.65 unexplained.
    insert_calls(*store, [*NOV20_OPENAI, Call(D(2026, 11, 20, 13), "chat", GPT4O, cost=None)])
    code, out, err = reconcile(run, "openai", "openai_costs.json", "--format", "csv")
    assert code == 1
    rows = out.splitlines()
    assert rows[0] == ("day,model,billed_usd,traced_usd,difference_usd,explained_share,traced_calls,unpriced_calls,"
                       "traced_by_feature,billed_as")
    assert rows[1].startswith("2026-11-20,gpt-4o,0.4,0.4,0.0,1.0,3,1,")  # the unpriced call counted, not priced
    assert rows[3].startswith("2026-11-21,gpt-4o,0.2,0.0,0.2,0.0,0,0,,")
    assert "gap $0.2000 (30.8% of billed), OVER the tolerance of 5.0%" in err
    assert reconcile(run, "openai", "openai_costs.json", "--tolerance", "35%")[0] == 0
    assert reconcile(run, "openai", "openai_costs.json", "--until", "2026-11-21")[0] == 0  # the 20th alone


def test_openai_usage_export_compares_tokens(store: Any, run: Run) -> None:
    insert_calls(*store, [Call(D(2026, 11, 20, 9), "chat", GPT4O, input=2000, output=200, cache_read=1000),
                          Call(D(2026, 11, 20, 9), "search", GPT4O, input=1000, output=100),
                          Call(D(2026, 11, 20, 9), "chat", MINI, input=1000, output=50)])
    code, out, err = reconcile(run, "openai", "openai_usage_completions.json", "--format", "json")
    assert code == 0  # gpt-4o-mini: 1,100 billed, 1,050 traced; 50 of 4,400 is 1.1%, within 5% ...
    body = as_json(out)
    assert [(r["model"], r["billed_tokens"], r["traced_tokens"]) for r in body["rows"]] == [
        ("gpt-4o", 3300, 3300), ("gpt-4o-mini", 1100, 1050)]
    assert body["gap_share"] == 0.0114 and "within" in err
    assert reconcile(run, "openai", "openai_usage_completions.json", "--tolerance", "1%")[0] == 1  # ... not 1%


def test_anthropic_cost_report_usage_report_and_console_csv(store: Any, run: Run) -> None:
    insert_calls(*store, [
        Call(D(2026, 11, 20, 9), "summarize", SONNET, "anthropic", input=2000, output=300, cache_read=800,
             cache_write=200, cost="0.30"),
        Call(D(2026, 11, 20, 10), "qa", SONNET, "anthropic", input=0, output=200, cost="0.12"),
    ])
    code, out, err = reconcile(run, "anthropic", "anthropic_cost_report.json", "--format", "json")
    assert code == 0, err  # the web search fee (0.01 of 0.43) is within 5%
    rows = {r["model"]: r for r in as_json(out)["rows"]}
    assert (rows["claude-sonnet-4"]["billed_usd"], rows["claude-sonnet-4"]["traced_usd"]) == (0.42, 0.42)
    assert rows["claude-sonnet-4"]["traced_by_feature"] == {"summarize": 0.3, "qa": 0.12}
    assert (rows["web_search"]["billed_usd"], rows["web_search"]["traced_usd"]) == (0.01, 0.0)
    assert reconcile(run, "anthropic", "anthropic_cost_report.json", "--tolerance", "0.01")[0] == 1
    for export in ("anthropic_usage_report.json", "anthropic_console_usage.csv", "anthropic_console_cost.csv"):
        code, out, err = reconcile(run, "anthropic", export, "--format", "json")
        assert (code, as_json(out)["gap"]) == (0, 0.0), (export, err)


def test_a_bad_file_is_exit_2_and_one_line(store: Any, run: Run, tmp_path: Path) -> None:
    bad = tmp_path / "costs.json"
    bad.write_text('{"object": "page", "data": [{"start_time": 1795132800, "results": [{"amount": {"value": null}}]}]}')
    code, out, err = run("reconcile", "--provider", "openai", "--file", str(bad))
    assert (code, out) == (2, "")
    assert err.splitlines() == [f"otel-llm reconcile: {bad}: bucket #1: amount.value is None, not a number"]
    code, _, err = run("reconcile", "--provider", "anthropic", "--file", str(tmp_path / "nope.csv"))
    assert code == 2 and len(err.splitlines()) == 1 and "cannot read" in err
    code, _, err = reconcile(run, "openai", "openai_costs.json", "--since", "2027-01-01")
    assert code == 2 and "nothing billed" in err


def test_a_bare_tolerance_above_1_is_refused_in_one_line(run: Run) -> None:
    """``--tolerance 2`` would mean 200%: a user who meant 2% must not pass silently."""
    code, out, err = reconcile(run, "openai", "openai_costs.json", "--tolerance", "2")
    assert (code, out, err.strip()) == (2, "", "otel-llm reconcile: --tolerance 2: write 2% or 0.02")
    code, _, err = reconcile(run, "openai", "openai_costs.json", "--tolerance", "abc")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--tolerance abc" in err
