SELECT
    TraceId,
    min(Timestamp) AS Start,
    max(Timestamp) AS End
FROM {otel_traces}
WHERE TraceId != ''
GROUP BY TraceId
