-- Every synced revision of the price book, kept whole: a past call's snapshot cost can always be
-- explained by the revision it names. Prices are per token, Decimal: no float rounding.
    Provider LowCardinality(String),
    Model String,
    Mode LowCardinality(String),
    EffectiveFrom Date,
    Revision LowCardinality(String),
    SyncedAt DateTime64(3),
    InputPrice Decimal(38, 18),
    OutputPrice Decimal(38, 18),
    CacheReadPrice Decimal(38, 18),
    CacheWritePrice Decimal(38, 18),
    CacheWrite1hPrice Decimal(38, 18)
