-- What llm_usage_daily_user holds beyond what this table holds already, per user and day: the
-- calls stored before the view existed (a second run finds nothing left to copy).
(ServiceName, UserId, Day, Calls, Errors, UnpricedCalls, CacheHitCalls, EstimatedCalls, InputTokens, OutputTokens, CacheReadTokens, CacheWriteTokens, CacheWrite1hTokens, ReasoningTokens, CostUSD, CacheSavingsUSD)
SELECT
    ServiceName,
    UserId,
    Day,
    rollup.Calls - copied.Calls,
    rollup.Errors - copied.Errors,
    rollup.UnpricedCalls - copied.UnpricedCalls,
    rollup.CacheHitCalls - copied.CacheHitCalls,
    rollup.EstimatedCalls - copied.EstimatedCalls,
    rollup.InputTokens - copied.InputTokens,
    rollup.OutputTokens - copied.OutputTokens,
    rollup.CacheReadTokens - copied.CacheReadTokens,
    rollup.CacheWriteTokens - copied.CacheWriteTokens,
    rollup.CacheWrite1hTokens - copied.CacheWrite1hTokens,
    rollup.ReasoningTokens - copied.ReasoningTokens,
    rollup.CostUSD - copied.CostUSD,
    rollup.CacheSavingsUSD - copied.CacheSavingsUSD
FROM (
{sql[llm_usage_daily_user_totals.resum]}
    FROM {llm_usage_daily_user}
    GROUP BY ServiceName, UserId, Day
) AS rollup
GLOBAL LEFT JOIN (
{sql[llm_usage_daily_user_totals.resum]}
    FROM {llm_usage_daily_user_totals}
    GROUP BY ServiceName, UserId, Day
) AS copied USING (ServiceName, UserId, Day)
WHERE rollup.Calls > copied.Calls
