"""The named reads of ``otel_llm.query.reads`` on a real engine (chdb), over calls written into
otel_traces so the real views fill ``llm_calls`` and the rollups."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from otel_llm.query import ClickHouseSource
from otel_llm.query.reads import (
    calls_by,
    context_by_turn,
    costliest_calls,
    top_call_types,
    traced_spend,
    usage_by,
    usage_series,
)
from tests.cli.conftest import Call, insert_calls

D = dt.datetime
pytestmark = pytest.mark.totals
SINCE, UNTIL = D(2026, 11, 20), D(2026, 11, 22)


@pytest.fixture
def source(store: Any) -> ClickHouseSource:
    client, database = store
    insert_calls(client, database, [
        Call(D(2026, 11, 20, 10, 15), "chat", user="alice", input=1000, output=100, cache_read=800, cost="0.0025"),
        Call(D(2026, 11, 20, 10, 40), "search", "claude-sonnet-4", "anthropic", user="bob", input=2000,
             output=50, cost="0.01", session="s1"),
        Call(D(2026, 11, 20, 11, 5), "search", "claude-sonnet-4", "anthropic", user="bob", input=3000, output=0,
             cost="0.02", error=True, session="s1"),
        Call(D(2026, 11, 21, 9, 0), "chat", user="carol", cost="0.000123", service="batch"),
        Call(D(2026, 11, 19, 23, 0), "chat", user="alice", cost="5"),  # before the window
    ])
    return ClickHouseSource(client)


def test_usage_by_groups_sums_and_orders_by_cost(store: Any, source: ClickHouseSource) -> None:
    result = usage_by(source, store.database, ("feature",), SINCE, UNTIL,
                      metrics=("calls", "cost_usd", "input_tokens", "errors", "cache_hit_calls"))
    assert result.columns == ["feature", "calls", "cost_usd", "input_tokens", "errors", "cache_hit_calls"]
    assert result.rows == [("search", 2, Decimal("0.03"), 5000, 1, 0), ("chat", 2, Decimal("0.002623"), 1100, 0, 1)]


def test_usage_by_filters_and_totals(store: Any, source: ClickHouseSource) -> None:
    only_api = usage_by(source, store.database, (), SINCE, UNTIL, service="api", metrics=("calls", "tokens"))
    assert only_api.rows == [(3, 1000 + 100 + 2000 + 50 + 3000)]
    chat = usage_by(source, store.database, ("day",), SINCE, UNTIL, feature="chat", metrics=("calls",))
    assert chat.rows == [(dt.date(2026, 11, 20), 1), (dt.date(2026, 11, 21), 1)]


def test_usage_by_user_reads_the_daily_rollup_in_whole_days(store: Any, source: ClickHouseSource) -> None:
    # A window starting inside the 20th still counts the whole day, as a day bucket overlaps it.
    result = usage_by(source, store.database, ("user",), D(2026, 11, 20, 11), UNTIL, metrics=("calls", "cost_usd"))
    assert result.rows == [("bob", 2, Decimal("0.03")), ("alice", 1, Decimal("0.0025")),
                           ("carol", 1, Decimal("0.000123"))]


def test_bad_names_are_refused_before_any_sql(store: Any, source: ClickHouseSource) -> None:
    with pytest.raises(ValueError, match="unknown metric"):
        usage_by(source, store.database, ("feature",), SINCE, UNTIL, metrics=("calls; DROP",))
    with pytest.raises(ValueError, match="unknown grouping"):
        usage_by(source, store.database, ("colour",), SINCE, UNTIL)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="invalid database"):
        usage_by(source, "otel; DROP TABLE x", ("feature",), SINCE, UNTIL)
    with pytest.raises(ValueError, match="keeps no users"):
        usage_by(source, store.database, ("user", "hour"), SINCE, UNTIL)


def test_hours_and_a_limit(store: Any, source: ClickHouseSource) -> None:
    hours = usage_by(source, store.database, ("hour",), SINCE, UNTIL, metrics=("calls", "errors"))
    assert hours.rows == [(D(2026, 11, 20, 10), 2, 0), (D(2026, 11, 20, 11), 1, 1), (D(2026, 11, 21, 9), 1, 0)]
    top = usage_by(source, store.database, ("user",), SINCE, UNTIL, metrics=("cost_usd",), limit=1)
    assert top.rows == [("bob", Decimal("0.03"))]


def test_calls_by_reads_single_calls_at_exact_instants(store: Any, source: ClickHouseSource) -> None:
    hour = calls_by(source, store.database, ("user", "feature"), D(2026, 11, 20, 10, 30), D(2026, 11, 20, 11, 30),
                    metrics=("calls", "tokens", "priced_cost_usd"))
    assert hour.rows == [("bob", "search", 2, 5050, Decimal("0.03"))]
    worst = calls_by(source, store.database, ("provider",), SINCE, UNTIL, metrics=("max_cost_usd",), cost_above=0.005)
    assert worst.rows == [("anthropic", Decimal("0.02"))]


def test_series_top_types_costliest_calls_and_context(store: Any, source: ClickHouseSource) -> None:
    hourly = usage_series(source, store.database, "feature", SINCE, UNTIL)
    assert [(s, t.hour, c) for s, t, c in hourly.rows if s == "search"] == [
        ("search", 10, Decimal("0.01")), ("search", 11, Decimal("0.02"))]
    daily = usage_series(source, store.database, "feature", D(2026, 11, 15), UNTIL)
    assert [(s, t.day) for s, t, _ in daily.rows] == [("chat", 19), ("chat", 20), ("chat", 21), ("search", 20)]
    types = top_call_types(source, store.database, SINCE, UNTIL)
    assert [(r[0], r[1], r[3]) for r in types.rows] == [("search", "claude-sonnet-4", 2), ("chat", "gpt-4o", 2)]
    calls = costliest_calls(source, store.database, SINCE, UNTIL, 2)
    assert [(r[3], r[6]) for r in calls.rows] == [("bob", Decimal("0.02")), ("bob", Decimal("0.01"))]
    turns = context_by_turn(source, store.database, SINCE, UNTIL, 5)
    assert [(r[0], r[1], r[3]) for r in turns.rows] == [(1, 1, 2000), (2, 1, 3000)]


def test_traced_spend_is_one_providers_calls_per_day_model_and_feature(store: Any, source: ClickHouseSource) -> None:
    insert_calls(*store, [Call(D(2026, 11, 20, 12), "search", "claude-sonnet-4", "anthropic", cost=None)])
    result = traced_spend(source, store.database, "anthropic", SINCE, UNTIL)
    assert result.columns == ["day", "model", "feature", "calls", "priced_cost_usd", "unpriced_calls", "tokens"]
    assert result.rows == [(dt.date(2026, 11, 20), "claude-sonnet-4", "search", 3, Decimal("0.03"), 1, 5160)]
