    ServiceName LowCardinality(String),
    UserId String,
    Day Date,
    Provider LowCardinality(String),
    Model LowCardinality(String),
    PriceProvider LowCardinality(String),
    PriceModel LowCardinality(String),
    Feature LowCardinality(String)
