    ServiceName LowCardinality(String),
    UserId String,
    Day Date,
    Provider LowCardinality(String),
    Model LowCardinality(String),
    Feature LowCardinality(String)
