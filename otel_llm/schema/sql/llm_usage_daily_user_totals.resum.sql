-- A daily per-user table's sums, re-aggregated by service, user and day (unmerged parts may hold
-- several rows of one key).
    SELECT
        ServiceName,
        UserId,
        Day,
        sum(Calls) AS Calls,
        sum(Errors) AS Errors,
        sum(UnpricedCalls) AS UnpricedCalls,
        sum(CacheHitCalls) AS CacheHitCalls,
        sum(EstimatedCalls) AS EstimatedCalls,
        sum(InputTokens) AS InputTokens,
        sum(OutputTokens) AS OutputTokens,
        sum(CacheReadTokens) AS CacheReadTokens,
        sum(CacheWriteTokens) AS CacheWriteTokens,
        sum(CacheWrite1hTokens) AS CacheWrite1hTokens,
        sum(ReasoningTokens) AS ReasoningTokens,
        sum(CostUSD) AS CostUSD,
        sum(CacheSavingsUSD) AS CacheSavingsUSD
