{sql[llm_calls.cache_write_1h]},
    -- Since version 6, read by llm_calls.view_6 and not stored: usage no real call can have. Our
    -- spans say so themselves (otel_llm.usage.suspect); a foreign span's count at the 10^12
    -- clamp is garbage. (Reasoning above output is not flagged: xAI reports reasoning outside
    -- completion_tokens. Cache above input is how Anthropic-style counts look: added, see above.)
    span[{a[OTEL_LLM_USAGE_SUSPECT]}] = 'true'
        OR greatest(reported_input, CacheReadTokens, CacheWriteTokens, OutputTokens) >= 1000000000000
        AS SuspectUsage,
    span[{a[OTEL_LLM_PRICING_SOURCE]}] AS SpanPricingSource
