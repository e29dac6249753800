"""Evaluating alert rules with the named reads of ``otel_llm.query`` over the rollups (per-call
cost over ``llm_calls``).

Windows are whole hours because the hourly rollup is the finest grain that is cheap to read:
a window of ``1h`` is the current hour bucket, ``24h`` that bucket and the 23 before it, and a
baseline is the span just before the window. The current hour is still filling, so a spike is
detected conservatively (a partial hour compared to full ones), never early on noise.
Spend rules add up the priced calls; the ``unpriced_model`` rule is the one that sees the others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from otel_llm.advise import Advice, advise
from otel_llm.alerts.rules import Rule
from otel_llm.query import QuerySource, check_identifier
from otel_llm.query.reads import Group, calls_by, usage_by

__all__ = ["AdviceReader", "Firing", "evaluate", "evaluate_all"]

_HOUR = dt.timedelta(hours=1)

# What a savings_available rule reads: ``advise``, or a dashboard's cache of its last result.
AdviceReader = Callable[[QuerySource, str, dt.datetime, dt.datetime], Advice]

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
    """What one rule reads: its hour window [start, end), its grouping and filters, the database."""

    def __init__(self, rule: Rule, source: QuerySource, database: str, now: dt.datetime,
                 advice: AdviceReader = advise) -> None:
        self.rule = rule
        self.advice = advice
        self.source = source
        self.db = check_identifier(database)
        self.end = _floor_hour(now) + _HOUR
        self.start = self.end - _HOUR * _hours(rule.window)
        self.group: tuple[Group, ...] = (cast(Group, rule.by),) if rule.by else ()

    def usage(self, since: dt.datetime, until: dt.datetime, *metrics: str) -> dict[str, tuple[Any, ...]]:
        """The rollup's ``metrics`` per group ("" without ``by``) over the hours [since, until)."""
        result = usage_by(self.source, self.db, self.group, since, until, service=self.rule.service,
                          feature=self.rule.feature, metrics=metrics)
        return _by_group(result.rows, len(self.group))

    def baseline_start(self) -> dt.datetime:
        assert self.rule.baseline is not None
        return self.start - _HOUR * _hours(self.rule.baseline)


def _by_group(rows: list[tuple[Any, ...]], n_keys: int) -> dict[str, tuple[Any, ...]]:
    return {"/".join(str(k) for k in row[:n_keys]): row[n_keys:] for row in rows}


def _spend(q: _Query) -> dict[str, float]:
    totals = q.usage(q.start, q.end, "priced_cost_usd")
    return {g: float(cost) for g, (cost,) in totals.items() if float(cost) > q.rule.threshold}


def _windows_in_baseline(q: _Query) -> Decimal:
    assert q.rule.baseline is not None
    return Decimal(_hours(q.rule.baseline)) / Decimal(_hours(q.rule.window))


def _window_and_baseline(q: _Query, *metrics: str) -> list[tuple[str, tuple[Any, ...], tuple[Any, ...]]]:
    """Each group's metrics in the window and in the baseline just before it (zeros where a group
    has no rows in one of them)."""
    current = q.usage(q.start, q.end, *metrics)
    baseline = q.usage(q.baseline_start(), q.start, *metrics)
    zeros = (0,) * len(metrics)
    return [(g, current.get(g, zeros), baseline.get(g, zeros)) for g in sorted(current.keys() | baseline.keys())]


def _spike(q: _Query) -> dict[str, float]:
    windows_in_baseline = _windows_in_baseline(q)
    fired = {}
    for g, (cur,), (base,) in _window_and_baseline(q, "priced_cost_usd"):
        # Decimal, so a spike of exactly 3.5x reads 3.5, not 3.5000000000000004.
        expected = Decimal(str(base)) / windows_in_baseline
        if expected > 0 and Decimal(str(cur)) > Decimal(str(q.rule.threshold)) * expected:
            fired[g] = float(Decimal(str(cur)) / expected)  # the ratio, comparable with the threshold
    return fired


def _cache_drop(q: _Query) -> dict[str, float]:
    fired = {}
    for g, (cur_calls, cur_hits), (base_calls, base_hits) in _window_and_baseline(q, "calls", "cache_hit_calls"):
        if min(cur_calls, base_calls) < max(q.rule.min_calls, 1):
            continue
        drop = base_hits / base_calls - cur_hits / cur_calls
        if drop > 0 and drop >= q.rule.threshold:
            fired[g] = drop
    return fired


def _user_share(q: _Query) -> dict[str, float]:
    days = max(1, q.rule.window.days)
    first_day = dt.datetime.combine((q.end - _HOUR).date() - dt.timedelta(days=days - 1), dt.time())
    result = usage_by(q.source, q.db, ("user",), first_day, q.end, service=q.rule.service,
                      feature=q.rule.feature, metrics=("priced_cost_usd",))
    spend = {user: float(cost) for user, cost in result.rows}
    denominator = q.rule.budget_usd * days if q.rule.budget_usd is not None else sum(spend.values())
    if denominator <= 0:
        return {}
    return {u: c / denominator for u, c in spend.items() if u and c / denominator > q.rule.threshold}


def _request_cost(q: _Query) -> dict[str, float]:
    result = calls_by(q.source, q.db, q.group, q.start, q.end, service=q.rule.service, feature=q.rule.feature,
                      metrics=("max_cost_usd",), cost_above=q.rule.threshold)
    # Without ``by`` the one row of totals has no worst call (NULL) when none cost more.
    return {g: float(worst) for g, (worst,) in _by_group(result.rows, len(q.group)).items() if worst is not None}


def _error_rate(q: _Query) -> dict[str, float]:
    totals = q.usage(q.start, q.end, "calls", "errors")
    return {g: errors / calls for g, (calls, errors) in totals.items()
            if calls >= q.rule.min_calls and calls and errors / calls > q.rule.threshold}


def _unpriced(q: _Query) -> dict[str, float]:
    q.group = ("provider", "model")
    totals = q.usage(q.start, q.end, "unpriced_calls")
    return {g: float(n) for g, (n,) in totals.items() if n > q.rule.threshold}


def _savings(q: _Query) -> dict[str, float]:
    """What ``otel-llm advise`` finds over the window, per month, summed (per ``by`` group)."""
    findings = q.advice(q.source, q.db, q.start, q.end).findings
    if q.rule.feature is not None:
        findings = [f for f in findings if f.feature == q.rule.feature]
    totals: dict[str, Decimal] = {}
    for finding in findings:
        group = {"feature": finding.feature, "model": finding.model, "provider": finding.provider}.get(q.rule.by or "")
        key = group if group is not None else ""
        totals[key] = totals.get(key, Decimal(0)) + finding.saving_usd
    return {g: float(total) for g, total in totals.items() if total > Decimal(str(q.rule.threshold))}


_EVALUATORS: dict[str, Callable[[_Query], dict[str, float]]] = {
    "daily_spend": _spend,
    "spend_spike": _spike,
    "cache_hit_drop": _cache_drop,
    "user_share": _user_share,
    "request_cost": _request_cost,
    "error_rate": _error_rate,
    "unpriced_model": _unpriced,
    "savings_available": _savings,
}


def evaluate(rule: Rule, source: QuerySource, database: str, now: dt.datetime,
             advice: AdviceReader = advise) -> Firing | None:
    """The rule's firing groups as of ``now`` (naive UTC), or None when it stays quiet. ``advice``
    answers savings_available rules (the dashboard passes its cache: advise is too slow for a page)."""
    groups = _EVALUATORS[rule.kind](_Query(rule, source, database, now, advice))
    return Firing(rule, groups) if groups else None


def evaluate_all(rules: list[Rule], source: QuerySource, database: str, now: dt.datetime) -> list[Firing]:
    return [f for rule in rules if (f := evaluate(rule, source, database, now)) is not None]
