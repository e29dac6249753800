SELECT
    ServiceName,
    Environment,
    Provider,
    Model,
    PriceProvider,
    PriceModel,
    Operation,
    Feature,
    toStartOfHour(Timestamp) AS Hour,
{sql[llm_usage_sums.select]},
    quantilesState(0.5, 0.9, 0.99)(DurationNs) AS DurationQuantiles,
    uniqState(nullIf(UserId, '')) AS Users
FROM {llm_calls}
GROUP BY ServiceName, Environment, Provider, Model, PriceProvider, PriceModel, Operation, Feature, Hour
