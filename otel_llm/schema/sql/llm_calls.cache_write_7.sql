{sql[llm_calls.cache_write_6]},
    -- Since version 7: the request's shape, never its content (see instrumentation/_fingerprint.py).
    -- Empty or 0 for spans of other instrumentations, which do not record it.
    span[{a[OTEL_LLM_REQUEST_FINGERPRINT]}] AS RequestFingerprint,
    span[{a[OTEL_LLM_REQUEST_PREFIX_FINGERPRINT]}] AS PrefixFingerprint,
    least(toUInt64OrZero(span[{a[OTEL_LLM_REQUEST_PREFIX_TOKENS]}]), 1000000000000) AS PrefixTokens,
    toUInt32OrZero(span[{a[OTEL_LLM_REQUEST_MESSAGE_COUNT]}]) AS MessageCount,
    toUInt32OrZero(span[{a[OTEL_LLM_REQUEST_TOOL_COUNT]}]) AS ToolCount,
    span[{a[OTEL_LLM_REQUEST_MAX_TOKENS_SET]}] = 'true' OR span[{a[GEN_AI_REQUEST_MAX_TOKENS]}] != ''
        AS MaxTokensSet,
    span[{a[OTEL_LLM_REQUEST_CACHE_CONTROL]}] AS CacheControl,
    span[{a[GEN_AI_REQUEST_STREAM]}] = 'true' OR ifNull(ttfc_seconds >= 0, 0) AS Streamed,
    toUInt32OrZero(span[{a[OTEL_LLM_REQUEST_TURN_INDEX]}]) AS TurnIndex
