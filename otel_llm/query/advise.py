"""The reads behind ``otel-llm advise``: request shapes grouped over ``llm_calls``, never content.

Each read returns the evidence of one kind of finding, one row per group (feature, provider,
the matched price key, model, and the fingerprint where one applies), with token sums the
advisor prices (``otel_llm.advise``). Calls are those in [since, until). Costs are the stored
snapshot (``CostUSD``); an unpriced call adds nothing to a cost and is counted instead.
Repeats are ordered per fingerprint by (Timestamp, SpanId), so ties break the same way every run.
The reads were measured on 10M calls (``benchmarks/advise``): each groups or sorts on numbers
where strings would do the same work slower, and none changes a result for it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from otel_llm.query.sources import QuerySource, Result, check_identifier

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


def _params(since: dt.datetime, until: dt.datetime, **more: Any) -> dict[str, Any]:
    return {"since": since, "until": until, **more}


def _calls(database: str) -> str:
    return f"{check_identifier(database)}.llm_calls"


def spend(source: QuerySource, database: str, since: dt.datetime, until: dt.datetime) -> Result:
    """``calls``, ``priced_cost_usd`` (the priced calls' sum) and ``unpriced_calls`` of the window."""
    return source.query(
        f"SELECT count() AS calls, sum(ifNull(CostUSD, 0)) AS priced_cost_usd,"
        f" countIf(PriceKnown = 0) AS unpriced_calls FROM {_calls(database)} WHERE {_WINDOW}",
        _params(since, until))


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
    FROM {_calls(database)}
    WHERE {_WINDOW} AND RequestFingerprint != ''
        AND cityHash64(Feature, RequestFingerprint) IN (
            SELECT key FROM (SELECT cityHash64(Feature, RequestFingerprint) AS key FROM {_calls(database)}
                             WHERE {_WINDOW} AND RequestFingerprint != '')
            GROUP BY key HAVING count() > 1)
    WINDOW w AS (PARTITION BY Feature, RequestFingerprint ORDER BY send_order
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)
GROUP BY {_GROUP}, fingerprint
HAVING calls > 1
ORDER BY {_GROUP}, fingerprint"""
    return source.query(sql, _params(since, until, retry=retry_seconds))


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
    FROM {_calls(database)}
    WHERE {_WINDOW} AND PrefixFingerprint != ''
    WINDOW w AS (PARTITION BY Feature, PrefixFingerprint ORDER BY send_order
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)
GROUP BY {_GROUP}, prefix_fingerprint
HAVING uncached_calls > 1 OR rewrites > 0
ORDER BY {_GROUP}, prefix_fingerprint"""
    return source.query(sql, _params(since, until, ttl=ttl_seconds, long_ttl=long_ttl_seconds))


def model_usage(source: QuerySource, database: str, since: dt.datetime, until: dt.datetime) -> Result:
    """Per feature and model: calls, tokens and priced cost; the output's mean and spread
    (classification-like calls), streamed calls and calls with an end user (batchable work), and
    the output beyond the 95th percentile of normally finished calls in calls without a max
    output length (``uncapped_excess_tokens``), with how many of those ran into the length limit.

    One pass: the uncapped calls' outputs are kept as a histogram (output -> calls; outputs are
    bounded by the models' limits, so it stays small) and measured against the percentile after."""
    sql = f"""
SELECT {_GROUP}, calls, unpriced_calls, cost_usd, input_tokens, output_tokens, cache_read_tokens,
    cache_write_tokens, avg_output_tokens, stddev_output_tokens, streamed_calls, user_calls, uncapped_calls,
    uncapped_length_calls,
    arraySum((output, n) -> greatest(toInt64(output) - toInt64(p95), 0) * n,
             uncapped_outputs.1, uncapped_outputs.2) AS uncapped_excess_tokens
FROM (
    SELECT {_KEYS}, count() AS calls, countIf(PriceKnown = 0) AS unpriced_calls,
        sum(ifNull(CostUSD, 0)) AS cost_usd,
        sum(InputTokens) AS input_tokens, sum(OutputTokens) AS output_tokens,
        sum(CacheReadTokens) AS cache_read_tokens, sum(CacheWriteTokens) AS cache_write_tokens,
        avg(OutputTokens) AS avg_output_tokens, stddevPop(OutputTokens) AS stddev_output_tokens,
        countIf(Streamed) AS streamed_calls, countIf(UserId != '') AS user_calls,
        countIf(NOT MaxTokensSet) AS uncapped_calls,
        countIf(NOT MaxTokensSet AND hit_length) AS uncapped_length_calls,
        ifNull(quantileExactIf(0.95)(OutputTokens, NOT hit_length), 0) AS p95,
        sumMapIf([OutputTokens], [toUInt64(1)], NOT MaxTokensSet) AS uncapped_outputs
    FROM (SELECT *, hasAny(FinishReasons, ['length', 'max_tokens']) AS hit_length
          FROM {_calls(database)} WHERE {_WINDOW})
    GROUP BY {_GROUP}
)
ORDER BY {_GROUP}"""
    return source.query(sql, _params(since, until))


def context_growth(
    source: QuerySource, database: str, since: dt.datetime, until: dt.datetime, window_tokens: int,
) -> Result:
    """Sessions of at least three calls whose last input is larger than their first, per feature and
    model: ``sessions``, ``calls`` and ``tokens_beyond_window`` (input tokens above
    ``window_tokens``, summed over the sessions' calls)."""
    sql = f"""
SELECT {_GROUP}, count() AS sessions, sum(session_calls) AS calls, sum(beyond) AS tokens_beyond_window
FROM (
    SELECT {_KEYS}, SessionId, count() AS session_calls,
        sum(greatest(toInt64(InputTokens) - {{window:Int64}}, 0)) AS beyond,
        argMax(InputTokens, {_SEND_ORDER}) > argMin(InputTokens, {_SEND_ORDER}) AS grows
    FROM {_calls(database)}
    WHERE {_WINDOW} AND SessionId != ''
    GROUP BY {_GROUP}, SessionId
    HAVING session_calls >= 3 AND grows AND beyond > 0
)
GROUP BY {_GROUP}
ORDER BY {_GROUP}"""
    return source.query(sql, _params(since, until, window=window_tokens))


def failed_calls(source: QuerySource, database: str, since: dt.datetime, until: dt.datetime) -> Result:
    """Failed calls per feature and model: ``errors``, the priced cost of those the provider billed
    (usage reported despite the error) and the error types."""
    sql = f"""
SELECT {_GROUP}, count() AS errors, sum(ifNull(CostUSD, 0)) AS billed_cost_usd,
    countIf(PriceKnown = 1) AS billed_calls, arraySort(groupUniqArray(ErrorType)) AS error_types
FROM (SELECT {_KEYS}, CostUSD, PriceKnown, ErrorType FROM {_calls(database)}
      WHERE {_WINDOW} AND StatusCode = 'Error')
GROUP BY {_GROUP}
ORDER BY {_GROUP}"""
    return source.query(sql, _params(since, until))


def unpriced_models(source: QuerySource, database: str, since: dt.datetime, until: dt.datetime) -> Result:
    """Models with unpriced calls (``provider``, ``model``, ``calls``), most calls first."""
    return source.query(
        f"SELECT Provider AS provider, Model AS model, count() AS calls FROM {_calls(database)}"
        f" WHERE {_WINDOW} AND PriceKnown = 0 GROUP BY provider, model ORDER BY calls DESC, provider, model",
        _params(since, until))
