"""What each dashboard page shows, read through the named reads of ``otel_llm.query``.

The dashboard asks the same questions as the CLI with the same functions (``usage_by`` is what
``otel-llm report`` runs, ``top_call_types`` and ``costliest_calls`` what ``otel-llm top`` runs),
so a number on a page equals the command's for the same window. No SQL lives here.
Unknown money stays unknown: a cost the reads return as None is shown as ``-``, never $0.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from otel_llm.advise import Advice
from otel_llm.alerts import DEFAULT_RULES, Rule, evaluate
from otel_llm.query import QueryError, QuerySource, Result
from otel_llm.query.reads import REPORT_METRICS, costliest_calls, top_call_types, usage_by, usage_series
from otel_llm.ui.advice import AdviceCache
from otel_llm.ui.view import View

__all__ = ["PERIODS", "Settings", "alerts_page", "calls_page", "choices", "overview_page", "savings_page",
           "users_page"]

_log = logging.getLogger(__name__)

# The spend cards of the overview: label -> length (None: since 00:00 UTC), each compared with
# the period of the same length just before it.
PERIODS: tuple[tuple[str, dt.timedelta | None, str], ...] = (
    ("Today", None, "yesterday by this time"), ("Last 7 days", dt.timedelta(days=7), "the 7 days before"),
    ("Last 30 days", dt.timedelta(days=30), "the 30 days before"),
)
_CARD_METRICS = ("calls", "cost_usd", "unpriced_calls")
_USER_METRICS = ("calls", "cost_usd", "input_tokens", "output_tokens", "unpriced_calls")  # the users page's columns


@dataclass(frozen=True)
class Settings:
    """What the server was started with: the database, the alert rules, an optional daily budget
    per user (USD), the trace URL template (``{trace_id}`` is replaced) and the smallest saving per
    month the savings page lists (``otel-llm advise``'s default ``--min-savings``), and how old the
    savings advice may get before a page asking for it has it computed again (``advise`` reads
    single calls: tens of seconds on a large store, so it runs off the request path, see ``advice``)."""

    database: str = "otel"
    rules: tuple[Rule, ...] = tuple(DEFAULT_RULES)
    daily_budget_usd: float | None = None
    trace_url: str | None = None
    rules_origin: str = "the default rules"
    min_savings_usd: Decimal = Decimal(1)
    advice_every: dt.timedelta = dt.timedelta(minutes=15)


def _filters(view: View) -> dict[str, Any]:
    return {"service": view.service, "environment": view.environment}


def _totals(source: QuerySource, db: str, since: dt.datetime, until: dt.datetime, view: View,
            metrics: tuple[str, ...] = REPORT_METRICS) -> dict[str, Any]:
    return usage_by(source, db, (), since, until, metrics=metrics, **_filters(view)).dicts()[0]


def _change(current: Any, previous: Any) -> float | None:
    """Relative change of spend; None when either side is unknown or the previous was nothing."""
    if current is None or previous is None or not Decimal(str(previous)):
        return None
    return float((Decimal(str(current)) - Decimal(str(previous))) / Decimal(str(previous)))


def _cards(source: QuerySource, db: str, view: View, now: dt.datetime) -> list[dict[str, Any]]:
    cards = []
    for label, length, before in PERIODS:
        start = now.replace(hour=0, minute=0, second=0, microsecond=0) if length is None else now - length
        back = length or dt.timedelta(days=1)  # today is compared with yesterday up to the same time
        current = _totals(source, db, start, now, view, _CARD_METRICS)
        previous = _totals(source, db, start - back, now - back, view, _CARD_METRICS)
        cards.append({"label": label, "before": before, "since": start, "until": now, **current,
                      "previous_cost_usd": previous["cost_usd"],
                      "change": _change(current["cost_usd"], previous["cost_usd"])})
    return cards


def overview_page(source: QuerySource, settings: Settings, view: View, now: dt.datetime) -> dict[str, Any]:
    """Spend cards, the window's totals, cost by feature, cost over time by model and provider,
    and the calls no price covers (by provider and model)."""
    db = settings.database
    unpriced = usage_by(source, db, ("provider", "model"), view.since, view.until,
                        metrics=("calls", "unpriced_calls"), **_filters(view))
    return {
        "cards": _cards(source, db, view, now),
        "totals": _totals(source, db, view.since, view.until, view),
        "by_feature": usage_by(source, db, ("feature",), view.since, view.until, **_filters(view)).dicts(),
        "series_model": usage_series(source, db, "model", view.since, view.until, **_filters(view)),
        "series_provider": usage_series(source, db, "provider", view.since, view.until, **_filters(view)),
        "unpriced": [r for r in unpriced.dicts() if r["unpriced_calls"]],
    }


def users_page(source: QuerySource, settings: Settings, view: View, now: dt.datetime) -> dict[str, Any]:
    """Spend per user from the daily per-user rollup (whole UTC days, as ``report --by user``),
    with each user's share of all spend and of the daily budget over the window's days. That
    rollup keeps no environment, so the environment filter does not apply here (the page says so)."""
    rows = usage_by(source, settings.database, ("user",), view.since, view.until, service=view.service,
                    metrics=_USER_METRICS).dicts()
    total = sum((Decimal(str(r["cost_usd"])) for r in rows if r["cost_usd"] is not None), Decimal(0))
    days = ((view.until - dt.timedelta(seconds=1)).date() - view.since.date()).days + 1  # days the window touches
    budget = Decimal(str(settings.daily_budget_usd)) * max(days, 1) if settings.daily_budget_usd else None
    for row in rows:
        cost = None if row["cost_usd"] is None else Decimal(str(row["cost_usd"]))
        row["share"] = float(cost / total) if cost is not None and total else None
        row["budget_share"] = float(cost / budget) if cost is not None and budget else None
    return {"users": rows[: view.limit], "more": max(0, len(rows) - view.limit), "total_cost_usd": total,
            "days": max(days, 1), "budget_usd": budget, "daily_budget_usd": settings.daily_budget_usd}


def calls_page(source: QuerySource, settings: Settings, view: View, now: dt.datetime) -> dict[str, Any]:
    """Call types by cost with their cumulative share (``otel-llm top types``), and the most
    expensive single calls with their trace ids (``otel-llm top calls``)."""
    filters = {**_filters(view), "feature": view.feature}
    types = top_call_types(source, settings.database, view.since, view.until, **filters).dicts()
    total = sum((Decimal(str(t["cost_usd"])) for t in types if t["cost_usd"] is not None), Decimal(0))
    running = Decimal(0)
    for row in types:
        running += Decimal(str(row["cost_usd"])) if row["cost_usd"] is not None else 0
        row["cumulative_share"] = float(running / total) if total else None
    calls = costliest_calls(source, settings.database, view.since, view.until, view.limit, **filters).dicts()
    return {"types": types[: view.limit], "more_types": max(0, len(types) - view.limit), "calls": calls}


def savings_page(source: QuerySource, settings: Settings, view: View, now: dt.datetime,
                 advice: AdviceCache) -> dict[str, Any]:
    """What ``otel-llm advise`` found in the window when the background thread last computed it,
    as its JSON interface has it (money as exact decimal strings), so the page shows the command's
    numbers; None before the first result. Advise reads single calls of the whole store; the
    service and environment filters do not apply (the page says so), so the key is the window:
    the quick range (its last computation slides with it) or the exact since/until."""
    key = view.range or (view.since, view.until)
    found = advice.get(key, view.since, view.until, settings.min_savings_usd)
    return {"advice": found.advice.to_dict() if found and found.advice else None,
            "computed_at": found.at if found else None, "error": found.error if found else None,
            "age_minutes": max(0, int((now - found.at).total_seconds() // 60)) if found else None}


class _NotComputed(Exception):
    """The cache has no advice for a savings_available rule yet (or its computation failed)."""


def alerts_page(source: QuerySource, settings: Settings, view: View, now: dt.datetime,
                advice: AdviceCache) -> dict[str, Any]:
    """Each rule and its state as of now, as ``otel-llm alerts check`` evaluates it (rules carry
    their own windows and filters, so the page's window and filters do not apply). A
    savings_available rule reads the advice cache: unknown until its window has been computed."""
    def cached(src: QuerySource, db: str, since: dt.datetime, until: dt.datetime) -> Advice:
        found = advice.get(("rule", until - since), since, until)
        if found is None or found.advice is None:
            raise _NotComputed(found.error if found else "computing")
        return found.advice

    states = []
    for rule in settings.rules:
        try:
            firing, failed, why = evaluate(rule, source, settings.database, now, cached), False, None
        except QueryError as exc:  # one rule the store cannot answer (e.g. a limit) leaves the others shown
            _log.warning("alert rule %s not evaluated: %s", rule.name, exc)
            firing, failed, why = None, True, None
        except _NotComputed as exc:
            firing, failed, why = None, True, str(exc)
        states.append({
            "name": rule.name, "kind": rule.kind, "threshold": rule.threshold,
            "window_hours": rule.window.total_seconds() / 3600, "by": rule.by,
            "service": rule.service, "feature": rule.feature, "unknown": failed, "advice": why,
            "firing": firing is not None, "groups": firing.groups if firing else {},
            "message": firing.line if firing else None,
        })
    return {"rules": states, "origin": settings.rules_origin, "evaluated_at": now}


def choices(source: QuerySource, settings: Settings, view: View) -> dict[str, list[str]]:
    """The services, environments and features seen in the window, for the filter form."""
    def keys(group: str) -> list[str]:
        result: Result = usage_by(source, settings.database, (group,), view.since, view.until,  # type: ignore[arg-type]
                                  metrics=("calls",))
        return [str(row[0]) for row in result.rows][:200]

    return {"service": keys("service"), "environment": keys("environment"), "feature": keys("feature")}
