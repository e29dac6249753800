{sql[llm_calls.cache_write]},
    -- Since version 5: the part of the writes made with the 1-hour TTL; never more than all writes,
    -- so the 5-minute remainder cannot underflow.
    least(toUInt64OrZero(span[{a[OTEL_LLM_USAGE_CACHE_WRITE_1H_INPUT_TOKENS]}]), CacheWriteTokens)
        AS CacheWrite1hTokens
