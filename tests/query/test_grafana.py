"""The provisioned Grafana dashboard is rendered from the named reads, and says what the CLI says.

The committed JSON must be what ``python -m otel_llm.query.grafana`` prints (the README's command).
Every panel's SQL then runs on chdb, with the datasource plugin's time macros expanded as the
plugin expands them (``$__fromTime`` -> ``toDateTime(<unix seconds>)``), over calls written into
``otel_traces`` plus one request traced by two projects (the official openai-v2 span under ours),
and its numbers equal ``otel-llm report``'s and ``otel-llm top``'s for the same window: the
request counted once, never twice as a raw ``count()`` over ``llm_calls`` would.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from otel_llm.exporter import ClickHouseSpanExporter
from otel_llm.query import grafana
from tests.cli.conftest import Call, Run, as_json, insert_calls, run  # noqa: F401 (the run fixture)
from tests.fixtures import foreign_spans
from tests.fixtures.store import Store

pytestmark = pytest.mark.totals

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "otel-llm.json"
D = dt.datetime
SINCE, UNTIL = D(2026, 11, 20), D(2026, 11, 22)
WINDOW = ["--since", "2026-11-20", "--until", "2026-11-22"]


def committed_panels() -> dict[str, str]:
    return {p["title"]: p["targets"][0]["rawSql"] for p in json.loads(DASHBOARD.read_text())["panels"]}


def test_the_committed_dashboard_is_the_generated_one() -> None:
    command = f"python -m otel_llm.query.grafana > {DASHBOARD.relative_to(ROOT)}"
    assert f"\n{command}\n" in (ROOT / "README.md").read_text()  # the README's line, run here to stdout
    printed = subprocess.run([sys.executable, *command.split()[1:4]], cwd=ROOT, capture_output=True,
                             text=True, timeout=120, check=True).stdout
    assert printed == DASHBOARD.read_text(), f"run: python -m otel_llm.query.grafana > {DASHBOARD.relative_to(ROOT)}"


def test_panels_read_through_the_count_once_resolution_with_the_time_macros() -> None:
    panels = committed_panels()
    assert len(panels) == len(grafana.PANELS) >= 13
    for title, sql in panels.items():
        assert "{since:" not in sql and "{until:" not in sql, title
        assert "$__fromTime" in sql and "$__toTime" in sql, title
        assert "NOT IN (SELECT DISTINCT" in sql or "UNION ALL" in sql, f"{title} does not resolve superseded rows"


def test_a_parameter_without_a_macro_is_refused() -> None:
    from otel_llm.query.reads import usage_by

    panel = grafana.Panel("x", "stat", (0, 0, 1, 1),
                          lambda s, a, b: usage_by(s, grafana.DATABASE, (), a, b, service="api", metrics=("calls",)))
    with pytest.raises(ValueError, match="service"):
        grafana.panel_sql(panel)


def expand(sql: str, database: str, since: dt.datetime = SINCE, until: dt.datetime = UNTIL) -> str:
    """The plugin's expansion of the time macros for [since, until), the store's database for otel."""
    for macro, at in (("$__fromTime", since), ("$__toTime", until)):
        sql = sql.replace(macro, f"toDateTime({int(at.replace(tzinfo=dt.timezone.utc).timestamp())})")
    assert "$" not in sql
    return re.sub(r"\botel\.", f"`{database}`.", sql)


@pytest.fixture
def filled(store: Store, store_dsn: str) -> Store:
    client, database = store
    insert_calls(client, database, [
        Call(D(2026, 11, 20, 10, 15), "chat", user="alice", input=1000, output=100, cache_read=800,
             cost="0.0025", savings="0.001"),
        Call(D(2026, 11, 20, 10, 40), "search", "claude-sonnet-4", "anthropic", user="bob", input=2000,
             output=50, cache_write=500, cost="0.01"),
        Call(D(2026, 11, 20, 11, 5), "search", "claude-sonnet-4", "anthropic", user="bob", cost="0", error=True),
        Call(D(2026, 11, 20, 12, 30), "chat", "unknown-model", user="alice", cost=None),
        Call(D(2026, 11, 21, 9, 0), "chat", user="carol", cost="0.000123", service="batch"),
        Call(D(2026, 11, 19, 23, 0), "chat", user="alice", cost="5"),  # before the window
    ])
    exporter = ClickHouseSpanExporter(endpoint=store_dsn, database=database, create_schema=False)
    try:  # one request, two rows: the official instrumentation's span and ours under it
        exporter.export(foreign_spans.spans("openai_v2_parent_of_ours", at=D(2026, 11, 21, 15, 0)))
        assert exporter.force_flush(30_000)
    finally:
        exporter.shutdown(timeout_millis=5_000)
    return store


def panel(store: Store, title: str, since: dt.datetime = SINCE, until: dt.datetime = UNTIL) -> list[dict[str, Any]]:
    (sql,) = [sql for name, sql in committed_panels().items() if name.startswith(title)]
    result = store.client.query(expand(sql, store.database, since, until))
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


def plain(value: Any) -> Any:
    """A panel's value as the CLI's JSON has it (money and rates as floats, times as text)."""
    if isinstance(value, Decimal | float):
        return round(float(value), 6)
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ")
    return value


def plain_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: plain(v) for k, v in row.items()} for row in rows]


def test_every_panel_runs_and_says_what_report_and_top_say(filled: Store, run: Run) -> None:  # noqa: F811
    stored = filled.client.query(f"SELECT count() FROM `{filled.database}`.llm_calls").result_rows[0][0]
    assert stored == 6 + 2  # the foreign request's two rows are both stored ...
    for title in committed_panels():
        assert panel(filled, title), f"{title}: no rows"

    def report(*by: str) -> list[dict[str, Any]]:
        code, out, err = run("report", *[a for g in by for a in ("--by", g)], "--format", "json", *WINDOW)
        assert code == 0, err
        return [{k: plain(v) for k, v in row.items()} for row in as_json(out)]

    # ... and every panel counts it once, as report does.
    by_service = report("service")
    assert sum(r["calls"] for r in by_service) == 6
    totals = {**panel(filled, "Total cost")[0], **panel(filled, "Cache savings")[0],
              **panel(filled, "Calls / errors / unpriced")[0]}
    assert plain(totals["calls"]) == 6
    assert plain(totals["cost_usd"]) == round(sum(r["cost_usd"] for r in by_service), 6)
    assert plain(totals["cache_savings_usd"]) == round(sum(r["cache_savings_usd"] for r in by_service), 6)
    assert (totals["errors"], totals["unpriced_calls"]) == (1, 1)

    assert plain_rows(panel(filled, "Spend by feature")) == report("feature")
    assert plain_rows(panel(filled, "Spend and cache savings by model")) == report("model")
    users = {r["user"]: (r["calls"], r["cost_usd"]) for r in report("user")}
    assert {r["user"]: (r["calls"], plain(r["cost_usd"])) for r in panel(filled, "Top users")} == users

    for title, group in (("Cost by feature", "feature"), ("Cost by model", "model"), ("Cost by provider", "provider")):
        summed: dict[str, float] = {}
        for point in panel(filled, title):
            summed[point["series"]] = round(summed.get(point["series"], 0) + float(point["cost"]), 6)
        assert summed == {r[group]: r["cost_usd"] or 0.0 for r in report(group)}, title
    hours = panel(filled, "Calls and errors per hour")
    assert (sum(h["calls"] for h in hours), sum(h["errors"] for h in hours)) == (6, 1)
    rates = {h["hour"].hour: plain(h["cache_hit_rate"]) for h in panel(filled, "Cache hit rate") if h["cache_hit_rate"]}
    assert rates == {10: 0.5, 15: 1.0}  # alice's cached call of two at 10:00; the foreign request's own cache read

    _, out, _ = run("top", "types", "calls", "--format", "json", "--limit", "50", *WINDOW)
    top = as_json(out)
    types = plain_rows(panel(filled, "Call types by cost"))
    assert types == [{k: plain(r[k]) for k in types[0]} for r in top["types"]]  # top adds its running share
    assert [(r["trace_id"], plain(r["cost_usd"])) for r in panel(filled, "Most expensive calls")] == [
        (r["trace_id"], plain(r["cost_usd"])) for r in top["calls"]]
    unpriced = {(r["provider"], r["model"]): r["unpriced_calls"] for r in panel(filled, "Unpriced calls")}
    assert {k: v for k, v in unpriced.items() if v} == {("openai", "unknown-model"): 1}


def test_a_window_without_other_projects_rows_reads_the_same_through_the_fast_path(
        filled: Store, run: Run) -> None:  # noqa: F811
    """The 20th alone holds none of the foreign request's rows: the panels' own check skips the
    resolution (and reads the sorted copy for the costliest calls), with report's and top's numbers."""
    until = D(2026, 11, 21)
    window = ["--since", "2026-11-20", "--until", "2026-11-21"]
    _, out, _ = run("report", "--by", "service", "--format", "json", *window)
    assert plain(panel(filled, "Calls / errors / unpriced", SINCE, until)[0]["calls"]) == sum(
        r["calls"] for r in as_json(out)) == 4
    _, out, _ = run("top", "calls", "--format", "json", "--limit", "50", *window)
    assert [(r["trace_id"], plain(r["cost_usd"])) for r in panel(filled, "Most expensive calls", SINCE, until)] == [
        (r["trace_id"], plain(r["cost_usd"])) for r in as_json(out)["calls"]]
