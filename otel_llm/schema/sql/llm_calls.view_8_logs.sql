-- Since version 8: llm_calls from otel_logs events (see otel_logs.as_spans): the version 6 span
-- query, read over the events, with Sampled 0. The span view leaves Sampled at its default, 1.
SELECT *, 0 AS Sampled
FROM (
{sql[llm_calls.view_6]}
)
