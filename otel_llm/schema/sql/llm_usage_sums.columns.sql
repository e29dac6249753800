-- The additive measures both rollups keep; rows of one key are summed by merges, and queries
-- re-aggregate with sum() because unmerged parts may still hold several rows per key.
    Calls SimpleAggregateFunction(sum, UInt64),
    Errors SimpleAggregateFunction(sum, UInt64),
    UnpricedCalls SimpleAggregateFunction(sum, UInt64),
    CacheHitCalls SimpleAggregateFunction(sum, UInt64),
    EstimatedCalls SimpleAggregateFunction(sum, UInt64),
    InputTokens SimpleAggregateFunction(sum, UInt64),
    OutputTokens SimpleAggregateFunction(sum, UInt64),
    CacheReadTokens SimpleAggregateFunction(sum, UInt64),
    CacheWriteTokens SimpleAggregateFunction(sum, UInt64),
    ReasoningTokens SimpleAggregateFunction(sum, UInt64),
    CostUSD SimpleAggregateFunction(sum, Decimal(38, 12)),
    CacheSavingsUSD SimpleAggregateFunction(sum, Decimal(38, 12))
