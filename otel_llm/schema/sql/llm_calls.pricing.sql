    dictGet({llm_prices_dict},
        ('InputPrice', 'OutputPrice', 'CacheReadPrice', 'CacheWritePrice', 'Revision'), price_key, day) AS price,
    if(InputTokens > CacheReadTokens + CacheWriteTokens, InputTokens - CacheReadTokens - CacheWriteTokens, 0)
        AS uncached_input,
    toDecimal128(
        uncached_input * tupleElement(price, 'InputPrice')
        + CacheReadTokens * tupleElement(price, 'CacheReadPrice')
        + CacheWriteTokens * tupleElement(price, 'CacheWritePrice')
        + OutputTokens * tupleElement(price, 'OutputPrice'), 12) AS dictionary_cost
