SELECT
    Timestamp,
    TraceId,
    SpanId,
    ServiceName,
    Environment,
    Feature,
    Model,
    UserId,
    InputTokens,
    OutputTokens,
    CostUSD
FROM {llm_calls}
