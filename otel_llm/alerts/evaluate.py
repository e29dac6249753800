"""Evaluating alert rules with SQL over the rollups (per-call cost over ``llm_calls``).

Windows are whole hours because the hourly rollup is the finest grain that is cheap to read:
a window of ``1h`` is the current hour bucket, ``24h`` that bucket and the 23 before it, and a
baseline is the span just before the window. The current hour is still filling, so a spike is
detected conservatively (a partial hour compared to full ones), never early on noise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from otel_llm.alerts.rules import Rule
from otel_llm.query import QuerySource, check_identifier

__all__ = ["Firing", "evaluate", "evaluate_all"]

_HOUR = dt.timedelta(hours=1)
# With a baseline, rows are read from the baseline's start; these split them in two.
_BASE_START = "{base_start:DateTime('UTC')}"
_IN_WINDOW = "Hour >= {start:DateTime('UTC')}"
_IN_BASELINE = "Hour < {start:DateTime('UTC')}"
_GROUP_COLUMN = {"feature": "Feature", "model": "Model", "provider": "Provider", "service": "ServiceName"}


@dataclass(frozen=True)
class Firing:
    """A rule that fired: ``groups`` maps each offending group ("" without ``by``) to its value."""

    rule: Rule
    groups: dict[str, float]

    @property
    def line(self) -> str:
        parts = ", ".join(f"{g}={v:.6g}" if g else f"{v:.6g}" for g, v in sorted(self.groups.items()))
        return f"ALERT {self.rule.name} [{self.rule.kind}] {parts} (threshold {self.rule.threshold:g})"

    def as_json(self) -> dict[str, object]:
        return {"name": self.rule.name, "kind": self.rule.kind, "threshold": self.rule.threshold,
                "groups": self.groups, "message": self.line}


def _floor_hour(moment: dt.datetime) -> dt.datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _hours(span: dt.timedelta) -> int:
    return max(1, -(-int(span.total_seconds()) // 3600))


class _Query:
    """The SQL pieces one rule shares: its filters, its grouping, the database."""

    def __init__(self, rule: Rule, database: str, now: dt.datetime) -> None:
        self.rule = rule
        self.db = check_identifier(database)
        self.end = _floor_hour(now) + _HOUR
        self.start = self.end - _HOUR * _hours(rule.window)
        self.group = _GROUP_COLUMN[rule.by] if rule.by else "''"
        filters = []
        self.params: dict[str, object] = {"start": self.start, "end": self.end}
        if rule.feature is not None:
            filters.append("Feature = {feature:String}")
            self.params["feature"] = rule.feature
        if rule.service is not None:
            filters.append("ServiceName = {service:String}")
            self.params["service"] = rule.service
        self.filters = "".join(f" AND {f}" for f in filters)

    def hourly(self, select: str, since: str = "{start:DateTime('UTC')}") -> str:
        return (f"SELECT {self.group} AS g, {select} FROM {self.db}.llm_usage_hourly"
                f" WHERE Hour >= {since} AND Hour < {{end:DateTime('UTC')}}{self.filters}"
                f" GROUP BY g ORDER BY g")


def _spend(q: _Query, source: QuerySource) -> dict[str, float]:
    rows = source.query(q.hourly("sum(CostUSD) AS cost"), q.params).rows
    return {g: float(cost) for g, cost in rows if float(cost) > q.rule.threshold}


def _baseline_params(q: _Query) -> tuple[dict[str, object], Decimal]:
    assert q.rule.baseline is not None
    base_hours = _hours(q.rule.baseline)
    params = {**q.params, "base_start": q.start - _HOUR * base_hours}
    return params, Decimal(base_hours) / Decimal(_hours(q.rule.window))


def _spike(q: _Query, source: QuerySource) -> dict[str, float]:
    params, windows_in_baseline = _baseline_params(q)
    sql = q.hourly(f"sumIf(CostUSD, {_IN_WINDOW}) AS cur, sumIf(CostUSD, {_IN_BASELINE}) AS base", since=_BASE_START)
    fired = {}
    for g, cur, base in source.query(sql, params).rows:
        # Decimal, so a spike of exactly 3.5x reads 3.5, not 3.5000000000000004.
        expected = Decimal(str(base)) / windows_in_baseline
        if expected > 0 and Decimal(str(cur)) > Decimal(str(q.rule.threshold)) * expected:
            fired[g] = float(Decimal(str(cur)) / expected)  # the ratio, comparable with the threshold
    return fired


def _cache_drop(q: _Query, source: QuerySource) -> dict[str, float]:
    params, _ = _baseline_params(q)
    now, then = _IN_WINDOW, _IN_BASELINE
    sql = q.hourly(
        f"sumIf(Calls, {now}) AS cur_calls, sumIf(CacheHitCalls, {now}) AS cur_hits,"
        f" sumIf(Calls, {then}) AS base_calls, sumIf(CacheHitCalls, {then}) AS base_hits",
        since=_BASE_START)
    fired = {}
    for g, cur_calls, cur_hits, base_calls, base_hits in source.query(sql, params).rows:
        if min(cur_calls, base_calls) < max(q.rule.min_calls, 1):
            continue
        drop = base_hits / base_calls - cur_hits / cur_calls
        if drop > 0 and drop >= q.rule.threshold:
            fired[g] = drop
    return fired


def _user_share(q: _Query, source: QuerySource) -> dict[str, float]:
    days = max(1, q.rule.window.days)
    params = {**q.params, "first_day": (q.end - _HOUR).date() - dt.timedelta(days=days - 1)}
    sql = (f"SELECT UserId, sum(CostUSD) AS cost FROM {q.db}.llm_usage_daily_user"
           f" WHERE Day >= {{first_day:Date}}{q.filters} GROUP BY UserId ORDER BY UserId")
    spend = {user: float(cost) for user, cost in source.query(sql, params).rows}
    denominator = q.rule.budget_usd * days if q.rule.budget_usd is not None else sum(spend.values())
    if denominator <= 0:
        return {}
    return {u: c / denominator for u, c in spend.items() if u and c / denominator > q.rule.threshold}


def _request_cost(q: _Query, source: QuerySource) -> dict[str, float]:
    params = {**q.params, "threshold": q.rule.threshold}
    sql = (f"SELECT {q.group} AS g, max(CostUSD) AS worst FROM {q.db}.llm_calls"
           f" WHERE Timestamp >= {{start:DateTime('UTC')}} AND Timestamp < {{end:DateTime('UTC')}}"
           f" AND CostUSD > {{threshold:Float64}}{q.filters} GROUP BY g ORDER BY g")
    return {g: float(worst) for g, worst in source.query(sql, params).rows}


def _error_rate(q: _Query, source: QuerySource) -> dict[str, float]:
    rows = source.query(q.hourly("sum(Calls) AS calls, sum(Errors) AS errors"), q.params).rows
    return {g: errors / calls for g, calls, errors in rows
            if calls >= q.rule.min_calls and calls and errors / calls > q.rule.threshold}


def _unpriced(q: _Query, source: QuerySource) -> dict[str, float]:
    q.group = "concat(Provider, '/', Model)"
    rows = source.query(q.hourly("sum(UnpricedCalls) AS n"), q.params).rows
    return {g: float(n) for g, n in rows if n > q.rule.threshold}


_EVALUATORS: dict[str, Callable[[_Query, QuerySource], dict[str, float]]] = {
    "daily_spend": _spend,
    "spend_spike": _spike,
    "cache_hit_drop": _cache_drop,
    "user_share": _user_share,
    "request_cost": _request_cost,
    "error_rate": _error_rate,
    "unpriced_model": _unpriced,
}


def evaluate(rule: Rule, source: QuerySource, database: str, now: dt.datetime) -> Firing | None:
    """The rule's firing groups as of ``now`` (naive UTC), or None when it stays quiet."""
    groups = _EVALUATORS[rule.kind](_Query(rule, database, now), source)
    return Firing(rule, groups) if groups else None


def evaluate_all(rules: list[Rule], source: QuerySource, database: str, now: dt.datetime) -> list[Firing]:
    return [f for rule in rules if (f := evaluate(rule, source, database, now)) is not None]
