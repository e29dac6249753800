{sql[llm_calls_by_cost.view]}
WHERE (TraceId, SpanId) GLOBAL NOT IN (SELECT TraceId, SpanId FROM {llm_calls_by_cost})
