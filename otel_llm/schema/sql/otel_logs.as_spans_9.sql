-- Since version 9: events laid out as spans (otel_logs.as_spans) with the two more otel_traces
-- columns the version 9 query reads: an event has no parent span of its own and no tracestate
-- (otel-llm's events are exact, adjusted count 1, whatever the trace's sampling).
SELECT *, '' AS ParentSpanId, '' AS TraceState
FROM (
{sql[otel_logs.as_spans]}
)
