"""One row per provider request: which ``llm_calls`` rows another row of the same request outranks.

Two projects may each trace one provider request: otel-llm's span and the official
instrumentation's (openai-v2, google-genai, botocore) or OpenLLMetry's, the one nested in the other;
or, without otel-llm, a framework's span (OpenLLMetry's LangChain ``ChatOpenAI.chat``) over the
provider SDK's span, both with usage. ``llm_calls`` gets a row from each, and the view that fills it
cannot tell: the spans of a request may arrive in different inserts, through different exporters,
or one of them never. So the resolution is done here, at read time, over rows already stored, and
every read (report, top, alerts, budgets, the dashboard) goes through it.

Two rows are the same request when
- one is the other's parent span (same trace): how the official instrumentations and OpenLLMetry's
  provider instrumentations nest with ours (tests/fixtures/foreign_spans); or
- they are in different traces, from different instrumentations, of the same service, provider,
  request model, input and output tokens (both non-zero), and one's time span contains the
  other's: OpenLLMetry's LangChain span does not become the current span, so the provider span
  under it starts a trace of its own (recorded with langchain-openai 1.8 and OpenLLMetry 0.62).

In one trace, an otel-llm row and a foreign row with the same usage key, one containing the other,
are the same request too (ours under a framework span under another SDK span: no direct link).

Of such a pair one row is superseded: never otel-llm's own (our span is exact and has the cache
tokens right, issue 12's rule); between two foreign rows, the outer one, unless only the outer
carries usage (the innermost span carrying usage counts). Rows of otel-llm's events have no
parent and never lose. A chain of three resolves pair by pair to its one survivor.

The rollups are filled at insert time and so still hold superseded rows; rollup reads subtract
them (``rollup_source``). A store with no foreign rows in the window pays one cheap probe and
reads exactly as before. What the resolution costs instead of an insert-time one: reads over
windows with foreign rows gather those rows and their possible partners (looked up by trace id,
through llm_calls' bloom filter index, and by usage key), group them by trace and by usage key, and
compare the pairs of each group (quadratic in a group's size; rows of one usage key are grouped by
ten-minute buckets, so a call longer than ten minutes may not be paired by containment); a row's
partner is looked for up to an hour either side of the window.

What the containment rule can get wrong: a foreign span with no partner of its own (a framework
calling a provider nobody else instruments) that contains another instrumentation's span of an
unrelated request of the same service, model and exact token counts is taken for its outer span
and not counted. Same-trace pairs need the parent link, so concurrent identical calls of one trace
are never merged.
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Any

from otel_llm import semconv
from otel_llm.query.sources import QuerySource, check_identifier

__all__ = ["ADJUSTED", "adjusted_money", "any_foreign", "calls_source", "has_foreign_rows", "rollup_source",
           "superseded_sql"]

_OURS = f"startsWith(Instrumentation, '{semconv.OTEL_LLM_SCOPE_PREFIX}')"
_SLACK_WINDOW = (
    "Timestamp >= {since:DateTime('UTC')} - INTERVAL 1 HOUR AND Timestamp < {until:DateTime('UTC')} + INTERVAL 1 HOUR"
)
_USAGE_KEY_FIELDS = "ServiceName, Provider, RequestModel, InputTokens, OutputTokens"
# Rows are compared by usage key only within ten-minute buckets of their start and end: a call's
# inner span starts inside its outer span, so (for calls under ten minutes) the two share the
# bucket of the outer's start or end, and a month of identical keys is never compared pairwise.
_START_BUCKET = "intDiv(toUnixTimestamp(Timestamp), 600)"
_FINISH_BUCKET = "intDiv(toUnixTimestamp(addNanoseconds(Timestamp, DurationNs)), 600)"
_BUCKETS = f"arrayDistinct([{_START_BUCKET}, {_FINISH_BUCKET}])"

# A row's measures weighted by its AdjustedCount (1 for exact rows), as the rollups sum them (see
# llm_usage_sums.select_9): what a read over single calls sums so that it agrees with the rollups.
ADJUSTED = {
    "Calls": "AdjustedCount",
    "Errors": "if(StatusCode = 'Error' OR ErrorType != '', AdjustedCount, 0)",
    "UnpricedCalls": "if(PriceKnown = 0, AdjustedCount, 0)",
    "CacheHitCalls": "if(CacheHit = 1, AdjustedCount, 0)",
    "EstimatedCalls": "if(Estimated = 1, AdjustedCount, 0)",
    "InputTokens": "InputTokens * AdjustedCount",
    "OutputTokens": "OutputTokens * AdjustedCount",
    "CacheReadTokens": "CacheReadTokens * AdjustedCount",
    "CacheWriteTokens": "CacheWriteTokens * AdjustedCount",
    "ReasoningTokens": "ReasoningTokens * AdjustedCount",
}
_ADJUSTED_MONEY = ("CostUSD", "CacheSavingsUSD")


def adjusted_money(column: str) -> str:
    """A Decimal money column weighted by AdjustedCount, still Decimal(38, 12) (NULL counts as 0)."""
    return f"ifNull({column}, 0) * toDecimal128(AdjustedCount, 12)"


def _foreign_rows(db: str) -> str:
    """At most one of the other projects' rows near the window."""
    return f"SELECT 1 FROM {db}.llm_calls WHERE {_SLACK_WINDOW} AND NOT {_OURS} LIMIT 1"


def any_foreign(database: str) -> str:
    """Whether the window has other projects' rows, as a scalar the engine folds to a constant
    before it reads: with none, the resolution reads nothing. A read that cannot probe first (a
    Grafana panel, ``otel_llm.query.grafana``) then costs what an unresolved read costs (measured
    at 10M calls: 1 s without this guard, 50 ms with it)."""
    return f"(SELECT count() FROM ({_foreign_rows(check_identifier(database))})) > 0"


def _candidates(db: str) -> str:
    """Foreign rows near the window, and every row that could be the same request as one of them:
    same trace, or same usage key and a ten-minute bucket in common (see ``_BUCKETS``)."""
    foreign = (
        f"SELECT TraceId, arrayJoin(arrayMap(b -> ({_USAGE_KEY_FIELDS}, b), {_BUCKETS})) AS usage_key"
        f" FROM {db}.llm_calls WHERE {_SLACK_WINDOW} AND NOT {_OURS}"
    )
    near = " OR ".join(f"({_USAGE_KEY_FIELDS}, {bucket}) IN (SELECT usage_key FROM ({foreign}))"
                       for bucket in (_START_BUCKET, _FINISH_BUCKET))
    return (
        f"(SELECT TraceId, SpanId, ParentSpanId, ServiceName, Provider, RequestModel, InputTokens, OutputTokens,"
        f" Instrumentation, Timestamp AS start, addNanoseconds(Timestamp, DurationNs) AS finish, {_OURS} AS ours,"
        f" InputTokens + OutputTokens > 0 AS has_usage, {_BUCKETS} AS buckets FROM {db}.llm_calls"
        f" WHERE {any_foreign(db)} AND {_SLACK_WINDOW}"
        f" AND (NOT {_OURS} OR TraceId IN (SELECT TraceId FROM ({foreign})) OR {near}))"
    )


def superseded_sql(database: str) -> str:
    """``(TraceId, SpanId)`` of every superseded row near [{since}, {until}) (query parameters).

    One scan of the candidates, grouped twice (by trace, and by usage key); the pairs of each group
    are compared in arrays, so the candidates are read once, not once per side of a join."""
    db = check_identifier(database)
    # Each candidate as a tuple: 1 TraceId, 2 SpanId, 3 ParentSpanId, 4 Instrumentation, 5 start,
    # 6 finish, 7 ours, 8 has_usage. Pair (o outer, i inner); the loser is the inner one only when o
    # is ours, or when o is the only one of two foreign rows that carries usage. Two rows of ours are
    # never a pair.
    row = "(TraceId, SpanId, ParentSpanId, Instrumentation, start, finish, ours, has_usage)"
    loser = "if(o.7 OR (o.8 AND NOT i.8), (i.1, i.2), (o.1, o.2))"
    nested = "i.3 = o.2"  # i is o's child span (same trace: grouped by trace)
    contained = (  # different instrumentations, o's time span contains i's (grouped by usage key), and
        # different traces, or one of them ours (ours -> official -> another project's: ours counts)
        "(o.1 != i.1 OR o.7 OR i.7) AND o.4 != i.4 AND o.8 AND o.5 <= i.5 AND o.6 >= i.6"
        " AND (o.5 < i.5 OR o.6 > i.6 OR o.2 < i.2)"  # equal spans: one is taken as the outer
    )
    pairs = (
        f"arrayFlatten(arrayMap(o -> arrayMap(i -> {loser}, arrayFilter(i -> NOT (o.7 AND i.7)"
        f" AND if(by_trace, {nested}, {contained}), spans)), spans))"
    )
    return (
        f"SELECT DISTINCT tupleElement(pair, 1) AS TraceId, tupleElement(pair, 2) AS SpanId FROM ("
        f"SELECT arrayJoin({pairs}) AS pair FROM ("
        f"SELECT by_trace, groupArray({row}) AS spans FROM {_candidates(db)}"
        f" ARRAY JOIN arrayConcat([(1, TraceId)], arrayMap(b -> (0, if(has_usage,"
        f" toString(({_USAGE_KEY_FIELDS}, b)), '')), buckets)) AS grouping"
        f" WHERE tupleElement(grouping, 2) != '' GROUP BY tupleElement(grouping, 1) = 1 AS by_trace,"
        f" tupleElement(grouping, 2) HAVING length(spans) > 1))"
    )


# The probe's answer per source and window, kept for a moment: a dashboard page runs a dozen reads
# over one window in well under this, and the probe scans the window's Instrumentation column (about
# 10 ms at 10M calls). A row another project sends in that moment is resolved by the next read.
PROBE_MEMO_S = 2.0
_probe_memo: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], tuple[float, bool]]] = weakref.WeakKeyDictionary()
_probe_lock = threading.Lock()


def has_foreign_rows(source: QuerySource, database: str, params: dict[str, object]) -> bool:
    """Whether any row near the window is another project's: if none, nothing can be superseded,
    and the reads skip the resolution (one scan of a LowCardinality column, answered once per
    source and window every ``PROBE_MEMO_S``)."""
    db = check_identifier(database)
    window = {name: params[name] for name in ("since", "until")}  # a collector refuses unused parameters
    key = (db, window["since"], window["until"])
    now = time.monotonic()
    try:
        with _probe_lock:
            memo = _probe_memo.setdefault(source, {})
            known = memo.get(key)
        if known is not None and now - known[0] < PROBE_MEMO_S:
            return known[1]
    except TypeError:  # a source that takes no weak reference is probed every time
        memo = None
    result = source.query(_foreign_rows(db), window)
    found = bool(result.rows)
    if memo is not None:
        with _probe_lock:
            for stale in [k for k, (at, _) in memo.items() if now - at >= PROBE_MEMO_S]:
                del memo[stale]
            memo[key] = (now, found)
    return found


def calls_source(database: str, resolve: bool) -> str:
    """What a read over single calls selects FROM: ``llm_calls`` without its superseded rows."""
    db = check_identifier(database)
    if not resolve:
        return f"{db}.llm_calls"
    return (f"(SELECT * FROM {db}.llm_calls WHERE NOT {any_foreign(db)}"
            f" OR (TraceId, SpanId) NOT IN ({superseded_sql(database)}))")


# The rollups' keys, as llm_calls computes them (hourly: by service, environment, provider, model,
# matched price, operation, feature and hour; daily: by service, user, day, provider, model, matched
# price and feature).
_ROLLUP_KEYS = {
    "llm_usage_hourly": "ServiceName, Environment, Provider, Model, PriceProvider, PriceModel, Operation, Feature,"
    " toStartOfHour(Timestamp) AS Hour",
    "llm_usage_daily_user": "ServiceName, UserId, toDate(Timestamp) AS Day, Provider, Model, PriceProvider,"
    " PriceModel, Feature",
    "llm_usage_daily_user_totals": "ServiceName, UserId, toDate(Timestamp) AS Day",
}


def _names(keys: str) -> str:
    return ", ".join(key.split(" AS ")[-1].strip() for key in keys.split(","))


def rollup_source(database: str, table: str, resolve: bool) -> str:
    """What a rollup read selects FROM: the rollup, minus the superseded rows' part of its sums.

    Each superseded row is added back negated under its own rollup key, weighted as the rollup
    weighted it, so ``sum()`` over the union is the rollup of the rows that count (to the rounding of
    a fractional adjusted count: the rollup rounds per group, the correction per row)."""
    db = check_identifier(database)
    if not resolve:
        return f"{db}.{table}"
    weighted = [f"{expression} AS w_{name}" for name, expression in ADJUSTED.items()]
    weighted += [f"{adjusted_money(name)} AS w_{name}" for name in _ADJUSTED_MONEY]
    negated = [f"-toInt64(round(w_{name})) AS {name}" for name in ADJUSTED]
    negated += [f"-toDecimal128(w_{name}, 12) AS {name}" for name in _ADJUSTED_MONEY]
    kept = [f"toInt64({name}) AS {name}" for name in ADJUSTED] + list(_ADJUSTED_MONEY)
    columns = _names(_ROLLUP_KEYS[table])
    return (
        f"(SELECT {columns}, {', '.join(kept)} FROM {db}.{table}"
        f" UNION ALL SELECT {columns}, {', '.join(negated)} FROM"
        f" (SELECT {_ROLLUP_KEYS[table]}, {', '.join(weighted)} FROM {db}.llm_calls"
        f" WHERE {any_foreign(db)} AND {_SLACK_WINDOW} AND (TraceId, SpanId) IN ({superseded_sql(database)})))"
    )
