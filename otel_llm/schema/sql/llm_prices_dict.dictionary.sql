(
    Provider String,
    Model String,
    EffectiveFrom Date,
    EffectiveTo Date,
    Revision String,
    InputPrice Decimal(38, 18),
    OutputPrice Decimal(38, 18),
    CacheReadPrice Decimal(38, 18),
    CacheWritePrice Decimal(38, 18),
    CacheWrite1hPrice Decimal(38, 18)
)
PRIMARY KEY Provider, Model
SOURCE(CLICKHOUSE(DB {db_literal} TABLE 'llm_prices_current'{source_auth}))
LIFETIME(MIN 60 MAX 300)
LAYOUT(COMPLEX_KEY_RANGE_HASHED(range_lookup_strategy 'max'))
RANGE(MIN EffectiveFrom MAX EffectiveTo)
