-- Since version 6: the version 5 query, then
-- * suspect usage (see llm_calls.cache_write_6) is unpriced: no cost, no savings, PriceKnown 0,
--   whatever the span or the dictionary says, since a price times impossible counts is a wrong
--   number;
-- * PricingSource says where the price came from: the span's otel_llm.pricing.source (exact,
--   history, other_host, override) when otel-llm priced it; for a span the dictionary priced,
--   'override' for the user's provider-less price, else 'exact' (the dictionary holds the
--   provider's own key; a dropped model's last price also reads 'exact' here); '' when unpriced
--   or priced by another tool.
SELECT * EXCEPT (SuspectUsage, SpanPricingSource) REPLACE (
        if(SuspectUsage, NULL, CostUSD) AS CostUSD,
        if(SuspectUsage, NULL, CacheSavingsUSD) AS CacheSavingsUSD,
        if(SuspectUsage, '', CostSource) AS CostSource,
        NOT SuspectUsage AND CostUSD IS NOT NULL AS PriceKnown,
        if(SuspectUsage, '', PriceRevision) AS PriceRevision),
    multiIf(
        SuspectUsage, '',
        CostSource = 'span', SpanPricingSource,
        CostSource = 'prices' AND PriceProvider = '', {a[PRICING_SOURCE_OVERRIDE]},
        CostSource = 'prices', {a[PRICING_SOURCE_EXACT]},
        '') AS PricingSource
FROM (
{sql[llm_calls.view]}
)
