-- Since version 9: the version 6 query (request shape of version 7 included), then
-- * a span the nesting rule marked (otel_llm.usage.carried_elsewhere = true) is no row at all: the
--   request's usage is on another span of it;
-- * ParentSpanId is kept, so the reads (otel_llm/query/counted.py) can find another project's span
--   of the same request, which may arrive in another insert, or never;
-- * AdjustedCount is how many calls the row stands for: 1 for otel-llm's spans and events (exact:
--   sampled-out calls are recorded by their own event), else 2^56 / (2^56 - T) for OpenTelemetry's
--   probability-sampling threshold T (ot=th:<hex> in the W3C tracestate, 1 to 14 hex digits padded
--   with zeros to 56 bits), else a "1 in N" SampleRate / sampling.rate attribute (N >= 1), else 1;
--   capped at 10^6 so an absurd rate cannot overflow the rollups' sums. llm_calls keeps the span's
--   own tokens and cost; the rollups and the reads multiply them by it. A row whose count is not 1
--   is an extrapolation: Estimated.
SELECT * EXCEPT (CarriedElsewhere) REPLACE (Estimated OR AdjustedCount != 1 AS Estimated)
FROM (
{sql[llm_calls.view_6]}
)
WHERE NOT CarriedElsewhere
