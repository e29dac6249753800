"""The reads behind ``otel-llm advise``: request shapes grouped over ``llm_calls``, never content.

Each read returns the evidence of one kind of finding, one row per group (feature, provider,
the matched price key, model, and the fingerprint where one applies), with token sums the
advisor prices (``otel_llm.advise``). Calls are those in [since, until) (whole seconds). Costs are
the stored snapshot (``CostUSD``); an unpriced call adds nothing to a cost and is counted instead.
Repeats are ordered per fingerprint by (Timestamp, SpanId), so ties break the same way every run.

A provider request is counted once, as in every read of the query layer (``counted``): the reads
select from ``calls_source``, so a row another project's row of the same request outranks is left
out, and the reads over calls of every kind (spend, per-model usage, sessions, failures, unpriced
models) weight each row by its ``AdjustedCount`` (a foreign span sampled elsewhere stands for
several calls), calls, tokens and cost alike, as the rollups do. The fingerprint reads
(``repeated_requests``, ``repeated_prefixes``) count rows: only otel-llm's own spans carry a
request shape, and those are exact (AdjustedCount 1).
The reads were measured on 10M calls (``benchmarks/advise``): each groups or sorts on numbers
where strings would do the same work slower, and none changes a result for it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from otel_llm.query.counted import ADJUSTED, adjusted_money, calls_source, has_foreign_rows
from otel_llm.query.sources import QuerySource, Result

__all__ = [
    "context_growth", "failed_calls", "model_usage", "repeated_prefixes", "repeated_requests", "spend",
    "unpriced_models",
]

# DateTime64 bounds: against a DateTime bound, ClickHouse rounds the DateTime64 column to the
# nearest second, so a call at 12:00:00.7 would fall outside a window ending at 12:00:01.
_WINDOW = "Timestamp >= {since:DateTime64(6, 'UTC')} AND Timestamp < {until:DateTime64(6, 'UTC')}"
_KEYS = "Feature AS feature, Provider AS provider, PriceProvider AS price_provider, PriceModel AS price_model," \
        " Model AS model"
_GROUP = "feature, provider, price_provider, price_model, model"
# The order of a group's sends: (Timestamp, SpanId) as ONE 128-bit number, the nanoseconds then
# the span id's 64 bits (the same order as its 16 lowercase hex digits): sorting and argMax on a
# number, not a tuple holding a string, took a third of the time at 10M calls.
_SEND_ORDER = (
    "bitShiftLeft(toUInt128(toUnixTimestamp64Nano(Timestamp)), 64) + reinterpretAsUInt64(reverse(unhex(SpanId)))"
)


_SECOND = dt.timedelta(seconds=1)


def _params(since: dt.datetime, until: dt.datetime, **more: Any) -> dict[str, Any]:
    """The window in whole seconds (since down, until up): the count-once resolution binds the same
    parameters as DateTime, which refuses a fraction."""
    ceiling = until.replace(microsecond=0) + (_SECOND if until.microsecond else dt.timedelta(0))
    return {"since": since.replace(microsecond=0), "until": ceiling, **more}


def _calls(source: QuerySource, database: str, params: dict[str, Any]) -> str:
    """``llm_calls`` without the rows another project's row of the same request outranks."""
    return calls_source(database, has_foreign_rows(source, database, params))


def _weighted_count(condition: str = "") -> str:
    """Calls meeting ``condition`` (all when empty), each row counted as the calls it stands for."""
    weight = ADJUSTED["Calls"]
    return f"toUInt64(round(sumIf({weight}, {condition})))" if condition else f"toUInt64(round(sum({weight})))"


def _weighted_sum(column: str) -> str:
    """A token column summed over rows weighted by AdjustedCount, as the rollups sum it."""
    return f"toUInt64(round(sum({ADJUSTED[column]})))"


_WEIGHTED_COST = f"toDecimal128(sum({adjusted_money('CostUSD')}), 12)"


def spend(source: QuerySource, database: str, since: dt.datetime, until: dt.datetime) -> Result:
    """``calls``, ``priced_cost_usd`` (the priced calls' sum) and ``unpriced_calls`` of the window."""
    params = _params(since, until)
    return source.query(
        f"SELECT {_weighted_count()} AS calls, {_WEIGHTED_COST} AS priced_cost_usd,"
        f" {_weighted_count('PriceKnown = 0')} AS unpriced_calls FROM {_calls(source, database, params)}"
        f" WHERE {_WINDOW}", params)


def repeated_requests(
    source: QuerySource, database: str, since: dt.datetime, until: dt.datetime, retry_seconds: float,
) -> Result:
    """Fingerprints sent more than once: ``repeats`` (later sends more than ``retry_seconds`` after
    the previous one, what a response cache would serve) and ``retries`` (sooner: a retry storm or
    a double submit), with their priced cost and unpriced count. The first send is never counted.

    Most requests are sent once, so the sends are first narrowed to the (feature, fingerprint)
    pairs sent more than once, counted by a 64-bit hash of the pair (a tenth of the memory and
    time of grouping the strings, at 10M calls); a hash collision only lets a pair through that
    the grouping below drops, so the result is exact."""
    params = _params(since, until, retry=retry_seconds)
    calls = _calls(source, database, params)
    sql = f"""
SELECT {_GROUP}, fingerprint, count() AS calls,
    countIf(n > 1 AND gap_s > {{retry:Float64}}) AS repeats,
    sumIf(ifNull(CostUSD, 0), n > 1 AND gap_s > {{retry:Float64}}) AS repeat_cost_usd,
    countIf(n > 1 AND gap_s > {{retry:Float64}} AND PriceKnown = 0) AS repeat_unpriced_calls,
    countIf(n > 1 AND gap_s <= {{retry:Float64}}) AS retries,
    sumIf(ifNull(CostUSD, 0), n > 1 AND gap_s <= {{retry:Float64}}) AS retry_cost_usd,
    countIf(n > 1 AND gap_s <= {{retry:Float64}} AND PriceKnown = 0) AS retry_unpriced_calls
FROM (
    SELECT {_KEYS}, RequestFingerprint AS fingerprint, CostUSD, PriceKnown, {_SEND_ORDER} AS send_order,
        row_number() OVER w AS n,
        (toUnixTimestamp64Nano(Timestamp) - toUnixTimestamp64Nano(lagInFrame(Timestamp, 1, Timestamp) OVER w))
            / 1e9 AS gap_s
    FROM {calls}
    WHERE {_WINDOW} AND RequestFingerprint != ''
        AND cityHash64(Feature, RequestFingerprint) IN (
            SELECT key FROM (SELECT cityHash64(Feature, RequestFingerprint) AS key FROM {calls}
                             WHERE {_WINDOW} AND RequestFingerprint != '')
            GROUP BY key HAVING count() > 1)
    WINDOW w AS (PARTITION BY Feature, RequestFingerprint ORDER BY send_order
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)
GROUP BY {_GROUP}, fingerprint
HAVING calls > 1
ORDER BY {_GROUP}, fingerprint"""
    return source.query(sql, params)


def repeated_prefixes(
    source: QuerySource, database: str, since: dt.datetime, until: dt.datetime, ttl_seconds: float,
    long_ttl_seconds: float = 3600.0,
) -> Result:
    """Prefix fingerprints sent more than once, each send's gap measured to the previous send of
    the prefix (cached or not: a read keeps a cache warm too). Of the sends WITHOUT a cache read:
    ``uncached_calls``, the prefix's ``prefix_tokens``, and ``writes``: how many a cache with a
    ``ttl_seconds`` lifetime would have had to write (the first send, and each one more than
    ``ttl_seconds`` after the previous); the rest would have read it. ``cache_control`` is the
    controls they used. Of the sends that WROTE a cache (explicit caching) with the short
    lifetime: ``rewrites`` and ``rewrite_tokens``, those written again after expiring within
    ``long_ttl_seconds`` (a cache with the long lifetime would have read them), and
    ``long_write_tokens``, the writes a long-lived cache would still have made."""
    params = _params(since, until, ttl=ttl_seconds, long_ttl=long_ttl_seconds)
    sql = f"""
SELECT {_GROUP}, prefix_fingerprint, countIf(uncached) AS uncached_calls,
    maxIf(PrefixTokens, uncached) AS prefix_tokens,
    countIf(uncached AND (n = 1 OR gap_s > {{ttl:Float64}})) AS writes,
    groupUniqArrayIf(CacheControl, uncached) AS cache_control,
    countIf(short_write AND n > 1 AND gap_s > {{ttl:Float64}} AND gap_s <= {{long_ttl:Float64}}) AS rewrites,
    sumIf(CacheWriteTokens, short_write AND n > 1 AND gap_s > {{ttl:Float64}} AND gap_s <= {{long_ttl:Float64}})
        AS rewrite_tokens,
    sumIf(CacheWriteTokens, short_write AND (n = 1 OR gap_s > {{long_ttl:Float64}})) AS long_write_tokens
FROM (
    SELECT {_KEYS}, PrefixFingerprint AS prefix_fingerprint, PrefixTokens, CacheControl, CacheWriteTokens,
        CacheReadTokens = 0 AS uncached, CacheWriteTokens > 0 AND CacheWrite1hTokens = 0 AS short_write,
        {_SEND_ORDER} AS send_order, row_number() OVER w AS n,
        (toUnixTimestamp64Nano(Timestamp) - toUnixTimestamp64Nano(lagInFrame(Timestamp, 1, Timestamp) OVER w))
            / 1e9 AS gap_s
    FROM {_calls(source, database, params)}
    WHERE {_WINDOW} AND PrefixFingerprint != ''
    WINDOW w AS (PARTITION BY Feature, PrefixFingerprint ORDER BY send_order
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)
GROUP BY {_GROUP}, prefix_fingerprint
HAVING uncached_calls > 1 OR rewrites > 0
ORDER BY {_GROUP}, prefix_fingerprint"""
    return source.query(sql, params)


def model_usage(source: QuerySource, database: str, since: dt.datetime, until: dt.datetime) -> Result:
    """Per feature and model: calls, tokens and priced cost; the output's mean and spread
    (classification-like calls), streamed calls and calls with an end user, and when the calls with
    no end user and never streamed came (the only ones a Batch API finding looks at):
    ``calls_by_hour`` per hour of the day UTC (24 entries), ``calls_by_minute`` per minute of the
    hour (60), ``active_days``, ``active_hours``; and the output beyond the 95th percentile of
    normally finished calls in calls without a max output length (``uncapped_excess_tokens``), with
    how many of those ran into the length limit.

    One pass: outputs are kept as histograms (output -> calls; outputs are bounded by the models'
    limits, so they stay small), the percentile read from the normally finished calls' one (the
    first output whose cumulative calls pass 95%: ``quantileExact``'s, with weights) and the
    uncapped calls' one measured against it after; the times as one histogram by minute of the day
    (at most 1,440 entries), folded into hours and minutes after. Every count and sum is weighted
    by AdjustedCount."""
    params = _params(since, until)
    sql = f"""
SELECT {_GROUP}, calls, unpriced_calls, cost_usd, input_tokens, output_tokens, cache_read_tokens,
    cache_write_tokens, avg_output_tokens,
    sqrt(greatest(avg_squared_output - avg_output_tokens * avg_output_tokens, 0)) AS stddev_output_tokens,
    streamed_calls, user_calls, uncapped_calls, uncapped_length_calls,
    arrayMap(h -> arraySum(arrayFilter((n, t) -> intDiv(t, 60) = h, by_time.2, by_time.1)), range(24))
        AS calls_by_hour,
    arrayMap(m -> arraySum(arrayFilter((n, t) -> t % 60 = m, by_time.2, by_time.1)), range(60)) AS calls_by_minute,
    active_days, active_hours,
    finished_outputs.1[arrayFirstIndex(c -> c > 0.95 * arraySum(finished_outputs.2),
                                       arrayCumSum(finished_outputs.2))] AS p95,
    toUInt64(round(arraySum((output, n) -> greatest(toInt64(output) - toInt64(p95), 0) * n,
                            uncapped_outputs.1, uncapped_outputs.2))) AS uncapped_excess_tokens
FROM (
    SELECT {_KEYS}, {_weighted_count()} AS calls, {_weighted_count('PriceKnown = 0')} AS unpriced_calls,
        {_WEIGHTED_COST} AS cost_usd,
        {_weighted_sum('InputTokens')} AS input_tokens, {_weighted_sum('OutputTokens')} AS output_tokens,
        {_weighted_sum('CacheReadTokens')} AS cache_read_tokens,
        {_weighted_sum('CacheWriteTokens')} AS cache_write_tokens,
        avgWeighted(OutputTokens, AdjustedCount) AS avg_output_tokens,
        avgWeighted(OutputTokens * OutputTokens, AdjustedCount) AS avg_squared_output,
        {_weighted_count('Streamed')} AS streamed_calls, {_weighted_count("UserId != ''")} AS user_calls,
        {_weighted_count('NOT MaxTokensSet')} AS uncapped_calls,
        {_weighted_count('NOT MaxTokensSet AND hit_length')} AS uncapped_length_calls,
        sumMapIf([toUInt16(toHour(Timestamp) * 60 + toMinute(Timestamp))], [AdjustedCount], unattended) AS by_time,
        uniqIf(toDate(Timestamp), unattended) AS active_days,  -- keeps every hash below 65,536 values
        uniqIf(toStartOfHour(Timestamp), unattended) AS active_hours,
        sumMapIf([OutputTokens], [AdjustedCount], NOT hit_length) AS finished_outputs,
        sumMapIf([OutputTokens], [AdjustedCount], NOT MaxTokensSet) AS uncapped_outputs
    FROM (SELECT *, hasAny(FinishReasons, ['length', 'max_tokens']) AS hit_length,
              UserId = '' AND NOT Streamed AS unattended
          FROM {_calls(source, database, params)} WHERE {_WINDOW})
    GROUP BY {_GROUP}
)
ORDER BY {_GROUP}"""
    return source.query(sql, params)


def context_growth(
    source: QuerySource, database: str, since: dt.datetime, until: dt.datetime, window_tokens: int,
) -> Result:
    """Sessions of at least three calls whose last input is larger than their first, per feature and
    model: ``sessions``, ``calls`` and ``tokens_beyond_window`` (input tokens above
    ``window_tokens``, summed over the sessions' calls, each call weighted by AdjustedCount)."""
    params = _params(since, until, window=window_tokens)
    sql = f"""
SELECT {_GROUP}, count() AS sessions, sum(session_calls) AS calls, sum(beyond) AS tokens_beyond_window
FROM (
    SELECT {_KEYS}, SessionId, {_weighted_count()} AS session_calls,
        toUInt64(round(sum(greatest(toInt64(InputTokens) - {{window:Int64}}, 0) * AdjustedCount))) AS beyond,
        argMax(InputTokens, {_SEND_ORDER}) > argMin(InputTokens, {_SEND_ORDER}) AS grows
    FROM {_calls(source, database, params)}
    WHERE {_WINDOW} AND SessionId != ''
    GROUP BY {_GROUP}, SessionId
    HAVING session_calls >= 3 AND grows AND beyond > 0
)
GROUP BY {_GROUP}
ORDER BY {_GROUP}"""
    return source.query(sql, params)


def failed_calls(source: QuerySource, database: str, since: dt.datetime, until: dt.datetime) -> Result:
    """Failed calls per feature and model: ``errors``, the priced cost of those the provider billed
    (usage reported despite the error) and the error types, weighted by AdjustedCount."""
    params = _params(since, until)
    sql = f"""
SELECT {_GROUP}, {_weighted_count()} AS errors, {_WEIGHTED_COST} AS billed_cost_usd,
    {_weighted_count('PriceKnown = 1')} AS billed_calls, arraySort(groupUniqArray(ErrorType)) AS error_types
FROM (SELECT {_KEYS}, CostUSD, PriceKnown, ErrorType, AdjustedCount FROM {_calls(source, database, params)}
      WHERE {_WINDOW} AND StatusCode = 'Error')
GROUP BY {_GROUP}
ORDER BY {_GROUP}"""
    return source.query(sql, params)


def unpriced_models(source: QuerySource, database: str, since: dt.datetime, until: dt.datetime) -> Result:
    """Models with unpriced calls (``provider``, ``model``, ``calls``, weighted), most calls first."""
    params = _params(since, until)
    return source.query(
        f"SELECT Provider AS provider, Model AS model, {_weighted_count()} AS calls"
        f" FROM {_calls(source, database, params)} WHERE {_WINDOW} AND PriceKnown = 0"
        f" GROUP BY provider, model ORDER BY calls DESC, provider, model", params)
