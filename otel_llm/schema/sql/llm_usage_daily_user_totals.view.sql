SELECT
    ServiceName,
    UserId,
    toDate(Timestamp) AS Day,
{sql[llm_usage_sums.select]}
FROM {llm_calls}
GROUP BY ServiceName, UserId, Day
