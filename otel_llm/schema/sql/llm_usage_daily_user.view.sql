SELECT
    ServiceName,
    UserId,
    toDate(Timestamp) AS Day,
    Provider,
    Model,
    PriceProvider,
    PriceModel,
    Feature,
{sql[llm_usage_sums.select]}
FROM {llm_calls}
GROUP BY ServiceName, UserId, Day, Provider, Model, PriceProvider, PriceModel, Feature
