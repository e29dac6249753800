    ServiceName LowCardinality(String),
    Environment LowCardinality(String),
    Provider LowCardinality(String),
    Model LowCardinality(String),
    Operation LowCardinality(String),
    Feature LowCardinality(String),
    Hour DateTime
