{sql[llm_calls.cache_write_7]},
    -- Since version 9 (see llm_calls.view_9): the parent span, which the reads use to find another
    -- project's span of the same request; how many calls this row stands for; the nesting rule's mark.
    ParentSpanId,
    extract(TraceState, '(?:^|,)[ \t]*ot=(?:[^,]*;)?th:([0-9a-f]+)(?:;|,|[ \t]*$)') AS th_digits,
    if(length(th_digits) <= 14, th_digits, '') AS sampling_threshold,  -- more than 56 bits: not a threshold
    arrayFirst(x -> x >= 1, [
        toFloat64OrZero(span[{a[SAMPLE_RATE]}]), toFloat64OrZero(span[{a[SAMPLING_RATE]}]), 1.]) AS sample_rate,
    least(multiIf(
        startsWith(ScopeName, {a[OTEL_LLM_SCOPE_PREFIX]}), 1.,
        sampling_threshold != '', 72057594037927936
            / (72057594037927936 - reinterpretAsUInt64(reverse(unhex(rightPad(sampling_threshold, 14, '0'))))),
        sample_rate), 1000000.) AS AdjustedCount,
    span[{a[OTEL_LLM_USAGE_CARRIED_ELSEWHERE]}] = 'true' AS CarriedElsewhere
