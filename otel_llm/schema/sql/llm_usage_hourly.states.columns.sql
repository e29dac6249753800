    DurationQuantiles AggregateFunction(quantiles(0.5, 0.9, 0.99), UInt64),
    Users AggregateFunction(uniq, Nullable(String))
