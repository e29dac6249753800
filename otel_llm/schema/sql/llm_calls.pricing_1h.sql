    -- Since version 5: 1-hour cache writes at CacheWrite1hPrice, the other writes at the 5-minute
    -- price. A 1-hour price of 0 (a row loaded by hand without it) falls back to the 5-minute one,
    -- as the price book does: cheaper than the truth, never $0 for a write.
    dictGet({llm_prices_dict},
        ('InputPrice', 'OutputPrice', 'CacheReadPrice', 'CacheWritePrice', 'CacheWrite1hPrice', 'Revision'),
        price_key, day) AS price,
    if(tupleElement(price, 'CacheWrite1hPrice') > 0, tupleElement(price, 'CacheWrite1hPrice'),
        tupleElement(price, 'CacheWritePrice')) AS write_1h_price,
    if(InputTokens > CacheReadTokens + CacheWriteTokens, InputTokens - CacheReadTokens - CacheWriteTokens, 0)
        AS uncached_input,
    toDecimal128(
        uncached_input * tupleElement(price, 'InputPrice')
        + CacheReadTokens * tupleElement(price, 'CacheReadPrice')
        + (CacheWriteTokens - CacheWrite1hTokens) * tupleElement(price, 'CacheWritePrice')
        + CacheWrite1hTokens * write_1h_price
        + OutputTokens * tupleElement(price, 'OutputPrice'), 12) AS dictionary_cost
