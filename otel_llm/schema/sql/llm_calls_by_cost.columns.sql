-- The columns of llm_calls that the costliest-calls read returns or filters on, kept sorted by
-- cost (most expensive first, unpriced calls last, then by time): "the N most expensive calls"
-- reads the first granules of each part and stops, where llm_calls would be read whole.
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String),
    Environment LowCardinality(String),
    Feature LowCardinality(String),
    Model LowCardinality(String),
    UserId String CODEC(ZSTD(1)),
    InputTokens UInt64,
    OutputTokens UInt64,
    CostUSD Nullable(Decimal(38, 12)),
    Unpriced UInt8 MATERIALIZED isNull(CostUSD),
    CostDescending Decimal(38, 12) MATERIALIZED -ifNull(CostUSD, 0)
