    least(toUInt64OrZero(arrayFirst(x -> x != '', [
        span[{a[GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS]}],
        span[{a[GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]}],
        span[{a[OPENLLMETRY_USAGE_CACHE_CREATION_INPUT_TOKENS]}],
        span[{a[OPENINFERENCE_TOKEN_COUNT_CACHE_WRITE]}]])), 1000000000000) AS CacheWriteTokens
