"""Named reads over ``llm_calls`` and the rollups: the one module whose SQL knows the views' columns.

The CLI (report, top), the alert rules and the budget refresh all ask their questions here, so a
column renamed by a migration is changed in one place, and two commands asked the same question
read the same numbers.

Windows are naive UTC datetimes. Rollup reads count the buckets that overlap [since, until): whole
hours from ``llm_usage_hourly``, whole days from ``llm_usage_daily_user`` (the only rollup that keeps
users). Reads of ``llm_calls`` take the exact instants. Every read re-aggregates with ``sum``,
because unmerged rollup parts may still hold several rows per key.

Every read counts a provider request once (``counted``: a row another project's row of the same
request outranks is left out, or subtracted from the rollups) and weights each row by its
``AdjustedCount`` (a foreign span sampled elsewhere stands for several calls), as the rollups do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from otel_llm.query.counted import (
    ADJUSTED,
    adjusted_money,
    any_foreign,
    calls_source,
    has_foreign_rows,
    rollup_source,
)
from otel_llm.query.sources import QuerySource, Result, check_identifier

__all__ = [
    "CALL_METRICS", "GROUPS", "REPORT_METRICS", "USAGE_METRICS", "Group", "calls_by", "context_by_turn",
    "costliest_calls", "series_step", "top_call_types", "traced_spend", "usage_by", "usage_series",
]

Group = Literal["feature", "model", "provider", "operation", "user", "service", "environment", "day", "hour"]
# What ``report --by`` offers; ``hour`` (the hourly rollup's own bucket) is for time series such as
# the Grafana panels' (``otel_llm.query.grafana``), too fine for a report's table.
GROUPS: tuple[Group, ...] = ("feature", "model", "provider", "operation", "user", "service", "environment", "day")
_COLUMN = {"feature": "Feature", "model": "Model", "provider": "Provider", "operation": "Operation",
           "user": "UserId", "service": "ServiceName", "environment": "Environment"}

HOURLY = "llm_usage_hourly"
DAILY_USER = "llm_usage_daily_user"
DAILY_USER_TOTALS = "llm_usage_daily_user_totals"  # the same sums by service, user and day only
_TOTALS_GROUPS = {"user", "day", "service"}
CALLS = "llm_calls"
BY_COST = "llm_calls_by_cost"

# Unknown money stays unknown: a group whose calls are all unpriced has no cost (NULL), never $0;
# a group partly priced has the sum of its priced calls, and ``unpriced_calls`` says how many are
# missing from it. (The rollups sum ifNull(CostUSD, 0), so the count is what tells the two apart.)
_ALL_UNPRICED = "sum(Calls) > 0 AND sum(UnpricedCalls) = sum(Calls)"
_PRICED_CALLS = "(sum(Calls) - sum(UnpricedCalls))"

# Measures over the rollups, by the name a read returns them under.
USAGE_METRICS: Mapping[str, str] = {
    "calls": "sum(Calls)",
    "cost_usd": f"if({_ALL_UNPRICED}, NULL, sum(CostUSD))",
    "priced_cost_usd": "sum(CostUSD)",  # the known part, 0 when nothing is priced: for sums that must add
    "cost_per_call": f"if({_PRICED_CALLS} > 0, sum(CostUSD) / {_PRICED_CALLS}, NULL)",  # per priced call
    "tokens": "sum(InputTokens) + sum(OutputTokens)",
    "input_tokens": "sum(InputTokens)",
    "output_tokens": "sum(OutputTokens)",
    "cache_read_tokens": "sum(CacheReadTokens)",
    "cache_write_tokens": "sum(CacheWriteTokens)",
    "reasoning_tokens": "sum(ReasoningTokens)",
    "cache_hit_calls": "sum(CacheHitCalls)",
    "cache_hit_rate": "if(sum(Calls) > 0, sum(CacheHitCalls) / sum(Calls), 0)",
    "cache_savings_usd": f"if({_ALL_UNPRICED}, NULL, sum(CacheSavingsUSD))",
    "errors": "sum(Errors)",
    "unpriced_calls": "sum(UnpricedCalls)",
}
# What ``otel-llm report`` prints, in its documented order.
REPORT_METRICS = ("calls", "cost_usd", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
                  "reasoning_tokens", "cache_hit_rate", "cache_savings_usd", "errors", "unpriced_calls")
# Measures over single calls (``llm_calls``), for the questions no rollup answers (users by hour,
# the worst single call); weighted by each row's AdjustedCount as the rollups are, so both agree.
CALL_METRICS: Mapping[str, str] = {
    "calls": f"toUInt64(round(sum({ADJUSTED['Calls']})))",
    "tokens": f"toUInt64(round(sum({ADJUSTED['InputTokens']}) + sum({ADJUSTED['OutputTokens']})))",
    "priced_cost_usd": f"toDecimal128(sum({adjusted_money('CostUSD')}), 12)",
    "max_cost_usd": "max(CostUSD)",  # one call's own cost
    "unpriced_calls": f"toUInt64(round(sum({ADJUSTED['UnpricedCalls']})))",
}


def _metrics(names: Sequence[str], known: Mapping[str, str]) -> list[str]:
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown metric(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return [f"{known[n]} AS {n}" for n in names]


def _filters(
    service: str | None, feature: str | None, params: dict[str, Any], provider: str | None = None,
    environment: str | None = None,
) -> list[str]:
    """Equality filters, every value a bound parameter. ``environment`` is not kept by the daily
    per-user rollup, so asking for it there fails in the engine rather than being ignored."""
    clauses = []
    if environment is not None:
        clauses.append("Environment = {environment:String}")
        params["environment"] = environment
    if provider is not None:
        clauses.append("Provider = {provider:String}")
        params["provider"] = provider
    if service is not None:
        clauses.append("ServiceName = {service:String}")
        params["service"] = service
    if feature is not None:
        clauses.append("Feature = {feature:String}")
        params["feature"] = feature
    return clauses


def _rollup(group: Sequence[str], feature: str | None = None, provider: str | None = None) -> str:
    """The smallest rollup that answers: users by day and service alone from the totals (a row per
    user and day), users by model, feature or provider from the full daily rollup."""
    if "user" not in group:
        return HOURLY
    narrow = set(group) <= _TOTALS_GROUPS and feature is None and provider is None
    return DAILY_USER_TOTALS if narrow else DAILY_USER


def _rollup_window(table: str) -> list[str]:
    """Buckets overlapping [since, until)."""
    if table in (DAILY_USER, DAILY_USER_TOTALS):
        return ["Day >= toDate({since:DateTime('UTC')})", "Day < {until:DateTime('UTC')}"]
    return ["Hour >= toStartOfHour({since:DateTime('UTC')})", "Hour < {until:DateTime('UTC')}"]


def _key(group: str, table: str) -> str:
    if group == "hour":
        if table != HOURLY:
            raise ValueError("hour buckets come from the hourly rollup, which keeps no users: group by day")
        return "Hour"
    if group == "day":
        return {DAILY_USER: "Day", DAILY_USER_TOTALS: "Day", HOURLY: "toDate(Hour)", CALLS: "toDate(Timestamp)"}[table]
    if group not in _COLUMN:
        raise ValueError(f"unknown grouping {group!r}; use one of {', '.join(GROUPS)}")
    return _COLUMN[group]


def usage_by(
    source: QuerySource, database: str, group: Sequence[Group], since: dt.datetime, until: dt.datetime, *,
    service: str | None = None, feature: str | None = None, provider: str | None = None,
    environment: str | None = None, metrics: Sequence[str] = REPORT_METRICS, limit: int | None = None,
) -> Result:
    """``group``'s keys (named as the groups) then ``metrics`` (names of ``USAGE_METRICS``), one row
    per group; most expensive first when ``cost_usd`` is asked for, then by the keys; the first
    ``limit`` rows when given. Grouping by ``user`` reads the daily per-user rollup (whole days),
    otherwise the hourly one. An empty ``group`` gives one row of totals."""
    table = _rollup(group, feature, provider)
    params: dict[str, Any] = {"since": since, "until": until}
    where = " AND ".join(_rollup_window(table) + _filters(service, feature, params, provider, environment))
    columns = [f"{_key(g, table)} AS {g}" for g in group] + _metrics(metrics, USAGE_METRICS)
    rows = rollup_source(database, table, has_foreign_rows(source, database, params))
    sql = f"SELECT {', '.join(columns)} FROM {rows} WHERE {where}"
    if group:
        keys = ", ".join(group)
        order = f"cost_usd DESC, {keys}" if "cost_usd" in metrics else keys
        sql += f" GROUP BY {keys} ORDER BY {order}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return source.query(sql, params)


_DAY = dt.timedelta(days=1)


def series_step(group: Group, since: dt.datetime, until: dt.datetime) -> dt.timedelta:
    """The bucket :func:`usage_series` reads for this window: a day when it is longer than three
    days or the grouping is ``user`` (the per-user rollup is daily), else an hour."""
    return _DAY if group == "user" or (until - since) > 3 * _DAY else dt.timedelta(hours=1)


def usage_series(
    source: QuerySource, database: str, group: Group, since: dt.datetime, until: dt.datetime, *,
    service: str | None = None, environment: str | None = None,
) -> Result:
    """Priced cost per time bucket for each value of ``group`` (``series``, ``t``, ``cost``): hours,
    or days when the window is longer than three days or ``group`` is ``user``. ``day`` gives one
    unnamed series."""
    table = _rollup([group])
    daily = series_step(group, since, until) == _DAY
    bucket = "toDateTime(Day)" if table != HOURLY else ("toStartOfDay(Hour)" if daily else "Hour")
    key = "''" if group == "day" else _key(group, table)
    params: dict[str, Any] = {"since": since, "until": until}
    where = " AND ".join(_rollup_window(table) + _filters(service, None, params, environment=environment))
    rows = rollup_source(database, table, has_foreign_rows(source, database, params))
    return source.query(
        f"SELECT {key} AS series, {bucket} AS t, sum(CostUSD) AS cost FROM {rows}"
        f" WHERE {where} GROUP BY series, t ORDER BY series, t", params)


def top_call_types(
    source: QuerySource, database: str, since: dt.datetime, until: dt.datetime, *,
    service: str | None = None, environment: str | None = None, feature: str | None = None,
) -> Result:
    """Call types (feature x model x operation) by cost, most expensive first (unpriced types last)."""
    return usage_by(source, database, ("feature", "model", "operation"), since, until, service=service,
                    environment=environment, feature=feature,
                    metrics=("calls", "cost_usd", "cost_per_call", "unpriced_calls"))


def traced_spend(
    source: QuerySource, database: str, provider: str, since: dt.datetime, until: dt.datetime,
) -> Result:
    """One provider's traced calls per day, model and feature (whole UTC days of the hourly rollup,
    run the store in UTC): ``calls``, ``priced_cost_usd`` (the priced calls' sum), ``unpriced_calls``
    and ``tokens`` (input, cache included, plus output): what ``otel-llm reconcile`` holds against
    the provider's own export."""
    return usage_by(source, database, ("day", "model", "feature"), since, until, provider=provider,
                    metrics=("calls", "priced_cost_usd", "unpriced_calls", "tokens"))


_CALL_WINDOW = "Timestamp >= {since:DateTime('UTC')} AND Timestamp < {until:DateTime('UTC')}"


def calls_by(
    source: QuerySource, database: str, group: Sequence[Group], since: dt.datetime, until: dt.datetime, *,
    service: str | None = None, feature: str | None = None, metrics: Sequence[str] = ("calls",),
    cost_above: float | None = None,
) -> Result:
    """Like :func:`usage_by` over single calls in [since, until) (``CALL_METRICS``), ordered by the
    keys; ``cost_above`` keeps only calls that cost more (unpriced calls never do)."""
    params: dict[str, Any] = {"since": since, "until": until}
    clauses = [_CALL_WINDOW, *_filters(service, feature, params)]
    if cost_above is not None:
        clauses.append("CostUSD > {cost_above:Float64}")
        params["cost_above"] = cost_above
    keys = [f"{_key(g, CALLS)} AS {g}" for g in group]
    rows = calls_source(database, has_foreign_rows(source, database, params))
    sql = f"SELECT {', '.join(keys + _metrics(metrics, CALL_METRICS))} FROM {rows} WHERE {' AND '.join(clauses)}"
    if group:
        sql += f" GROUP BY {', '.join(group)} ORDER BY {', '.join(group)}"
    return source.query(sql, params)


def costliest_calls(
    source: QuerySource, database: str, since: dt.datetime, until: dt.datetime, limit: int, *,
    service: str | None = None, environment: str | None = None, feature: str | None = None,
) -> Result:
    """The most expensive single calls, with their trace ids (an unpriced call's cost is NULL, and
    unpriced calls come last). Read from ``llm_calls_by_cost``, whose rows are stored in this order:
    the engine reads the first granules of each part and stops, however many calls the window holds.
    A window holding other projects' rows is read from ``llm_calls`` without its superseded rows
    (``counted``): the sorted copy does not know which rows another row outranks. The resolving
    form holds both reads, each behind the engine's own check for such rows (``any_foreign``), so
    only one of them reads: what a Grafana panel, which cannot probe first, runs."""
    params: dict[str, Any] = {"since": since, "until": until}
    where = " AND ".join([_CALL_WINDOW, *_filters(service, feature, params, environment=environment)])
    columns = ("Timestamp AS time, Feature AS feature, Model AS model, UserId AS user, InputTokens AS input_tokens,"
               " OutputTokens AS output_tokens, CostUSD AS cost_usd, TraceId AS trace_id")
    db, top = check_identifier(database), f"LIMIT {int(limit)}"

    def sorted_copy(condition: str) -> str:
        return (f"SELECT {columns} FROM {db}.{BY_COST} WHERE {condition}"
                f" ORDER BY Unpriced, CostDescending, Timestamp {top}")

    if not has_foreign_rows(source, database, params):
        return source.query(sorted_copy(where), params)
    foreign = any_foreign(db)
    resolved = (f"SELECT {columns} FROM {calls_source(db, True)} WHERE {where} AND {foreign}"
                f" ORDER BY CostUSD DESC NULLS LAST, Timestamp {top}")
    return source.query(f"SELECT * FROM ({sorted_copy(f'{where} AND NOT {foreign}')} UNION ALL {resolved})"
                        f" ORDER BY cost_usd DESC NULLS LAST, time {top}", params)


def context_by_turn(source: QuerySource, database: str, since: dt.datetime, until: dt.datetime, limit: int) -> Result:
    """Input tokens by turn within a session (calls ordered by time per session id), over sessions;
    the turn's cost is NULL when none of its calls is priced, and ``unpriced_calls`` counts the rest.
    (Sessions are otel-llm's own tag, so its rows are exact; superseded rows are left out.)"""
    params: dict[str, Any] = {"since": since, "until": until}
    rows = calls_source(database, has_foreign_rows(source, database, params))
    return source.query(
        f"SELECT turn, count() AS sessions, avg(InputTokens) AS avg_input_tokens,"
        f" max(InputTokens) AS max_input_tokens, sum(CostUSD) AS cost_usd,"
        f" countIf(PriceKnown = 0) AS unpriced_calls FROM ("
        f" SELECT SessionId, InputTokens, CostUSD, PriceKnown,"
        f" row_number() OVER (PARTITION BY SessionId ORDER BY Timestamp, SpanId) AS turn"
        f" FROM {rows} WHERE SessionId != '' AND {_CALL_WINDOW})"
        f" GROUP BY turn ORDER BY turn LIMIT {int(limit)}", params)
