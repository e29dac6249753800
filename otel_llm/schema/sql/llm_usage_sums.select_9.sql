    -- Since version 9: every count and sum weighted by the row's AdjustedCount (1 for exact rows, so
    -- their sums are the exact integers and Decimals they were; more for a foreign span sampled
    -- elsewhere). Counts are rounded once per group, not per row, so 3 rows of 1/0.3 count 10.
    toUInt64(round(sum(AdjustedCount))) AS Calls,
    toUInt64(round(sumIf(AdjustedCount, StatusCode = 'Error' OR ErrorType != ''))) AS Errors,
    toUInt64(round(sumIf(AdjustedCount, PriceKnown = 0))) AS UnpricedCalls,
    toUInt64(round(sumIf(AdjustedCount, CacheHit = 1))) AS CacheHitCalls,
    toUInt64(round(sumIf(AdjustedCount, Estimated = 1))) AS EstimatedCalls,
    toUInt64(round(sum(InputTokens * AdjustedCount))) AS InputTokens,
    toUInt64(round(sum(OutputTokens * AdjustedCount))) AS OutputTokens,
    toUInt64(round(sum(CacheReadTokens * AdjustedCount))) AS CacheReadTokens,
    toUInt64(round(sum(CacheWriteTokens * AdjustedCount))) AS CacheWriteTokens,
    toUInt64(round(sum(ReasoningTokens * AdjustedCount))) AS ReasoningTokens,
    toDecimal128(sum(ifNull(CostUSD, 0) * toDecimal128(AdjustedCount, 12)), 12) AS CostUSD,
    toDecimal128(sum(ifNull(CacheSavingsUSD, 0) * toDecimal128(AdjustedCount, 12)), 12) AS CacheSavingsUSD,
    toUInt64(round(sum(CacheWrite1hTokens * AdjustedCount))) AS CacheWrite1hTokens
