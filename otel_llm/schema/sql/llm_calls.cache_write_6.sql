{sql[llm_calls.cache_write_1h]},
    -- Since version 6, read by llm_calls.view_6 and not stored: usage no real call can have. Our
    -- spans say so themselves (otel_llm.usage.suspect); a foreign span's count at the 10^12
    -- clamp is garbage. (Reasoning above output is not flagged: xAI reports reasoning outside
    -- completion_tokens. Cache above input is how Anthropic-style counts look: added, see above.)
    -- A token count that is present but not a non-negative integer (-5, "lots", 1.5) is suspect
    -- too: toUInt64OrZero reads it as 0, and 0 tokens at a known price is a silent $0.
    span[{a[OTEL_LLM_USAGE_SUSPECT]}] = 'true'
        OR greatest(reported_input, CacheReadTokens, CacheWriteTokens, OutputTokens) >= 1000000000000
        OR arrayExists(x -> x != '' AND NOT match(x, '^[0-9]+$'), [
            span[{a[GEN_AI_USAGE_INPUT_TOKENS]}], span[{a[GEN_AI_USAGE_PROMPT_TOKENS]}],
            span[{a[OPENINFERENCE_TOKEN_COUNT_PROMPT]}],
            span[{a[GEN_AI_USAGE_OUTPUT_TOKENS]}], span[{a[GEN_AI_USAGE_COMPLETION_TOKENS]}],
            span[{a[OPENINFERENCE_TOKEN_COUNT_COMPLETION]}],
            span[{a[GEN_AI_USAGE_REASONING_OUTPUT_TOKENS]}], span[{a[OPENINFERENCE_TOKEN_COUNT_REASONING]}],
            span[{a[GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]}], span[{a[OPENLLMETRY_USAGE_CACHE_READ_INPUT_TOKENS]}],
            span[{a[OPENINFERENCE_TOKEN_COUNT_CACHE_READ]}],
            span[{a[GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS]}], span[{a[GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]}],
            span[{a[OPENLLMETRY_USAGE_CACHE_CREATION_INPUT_TOKENS]}], span[{a[OPENINFERENCE_TOKEN_COUNT_CACHE_WRITE]}],
            span[{a[OTEL_LLM_USAGE_CACHE_WRITE_1H_INPUT_TOKENS]}]])
        AS SuspectUsage,
    span[{a[OTEL_LLM_PRICING_SOURCE]}] AS SpanPricingSource
