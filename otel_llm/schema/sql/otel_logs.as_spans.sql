-- Since version 8: the usage records of calls whose span was sampled out, laid out as the
-- otel_traces columns the llm_calls query reads, so an event becomes the same llm_calls row its
-- span would have. Only events whose span was NOT sampled (trace flags bit 0 clear): a sampled
-- call is recorded by its span, and an instrumentation that emits this event for every call
-- (OpenTelemetry's own, with content on) must not count a sampled call twice. The event has no
-- duration or status of its own: otel-llm writes otel_llm.call.duration_ns, and error.type
-- marks a failed call.
SELECT
    Timestamp,
    TraceId,
    SpanId,
    ServiceName,
    ResourceAttributes,
    LogAttributes AS SpanAttributes,
    toUInt64OrZero(LogAttributes[{a[OTEL_LLM_CALL_DURATION_NS]}]) AS Duration,
    if(LogAttributes[{a[ERROR_TYPE]}] != '', 'Error', 'Unset') AS StatusCode,
    ScopeName
FROM {otel_logs}
WHERE EventName = {a[EVENT_INFERENCE_DETAILS]} AND bitAnd(TraceFlags, 1) = 0
