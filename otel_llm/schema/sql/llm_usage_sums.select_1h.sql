{sql[llm_usage_sums.select]},
    sum(CacheWrite1hTokens) AS CacheWrite1hTokens
