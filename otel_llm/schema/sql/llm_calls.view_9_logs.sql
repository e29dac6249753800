-- Since version 9: llm_calls from otel_logs events as from spans (see llm_calls.view_8_logs), with
-- the version 9 query; otel_logs.as_spans_9 supplies the two columns it reads that events lack.
SELECT *, 0 AS Sampled
FROM (
{sql[llm_calls.view_9]}
)
