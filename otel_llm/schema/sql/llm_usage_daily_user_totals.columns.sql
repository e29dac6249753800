-- Spend per user per day and service, without the model and feature of llm_usage_daily_user:
-- "who spends most" over a month reads a row per user and day instead of one per model and feature.
    ServiceName LowCardinality(String),
    UserId String,
    Day Date,
    CacheWrite1hTokens SimpleAggregateFunction(sum, UInt64)
