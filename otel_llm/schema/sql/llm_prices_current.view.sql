-- The latest synced revision, each price in force from its EffectiveFrom on. The dictionary
-- picks the latest EffectiveFrom not after the call's date (range_lookup_strategy 'max'), so
-- every range may run to the end of time.
SELECT
    Provider,
    Model,
    EffectiveFrom,
    toDate('2149-06-06') AS EffectiveTo,
    Revision,
    InputPrice,
    OutputPrice,
    CacheReadPrice,
    CacheWritePrice,
    CacheWrite1hPrice
FROM {llm_prices}
WHERE Revision = (SELECT argMax(Revision, SyncedAt) FROM {llm_prices})
