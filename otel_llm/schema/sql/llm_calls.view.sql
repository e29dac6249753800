-- otel_traces -> llm_calls. Reads otel-llm's keys first, then those of OpenLLMetry, OpenLIT and
-- OpenInference, so a team's existing spans are priced too.
--
-- Token rule: InputTokens INCLUDES cache reads and writes, as otel-llm, OpenInference and
-- OpenLLMetry report it. OpenLIT reports Anthropic's raw input_tokens, which EXCLUDE the cache:
-- for Anthropic spans from OpenLIT (telemetry.sdk.name = 'openlit', which OpenLIT sets on the
-- span itself; the resource is read too), and for any span
-- whose input is smaller than its cache reads plus writes (impossible if the cache were
-- included), the cache tokens are added. Counts above 10^12 are garbage, not tokens, and are
-- clamped so one bad span cannot overflow the Decimal arithmetic and fail its whole batch.
--
-- Price rule: a cost the span reports (otel_llm.cost.usd; OpenLIT's gen_ai.usage.cost when
-- above 0, since OpenLIT writes 0 for models it cannot price) is the snapshot. Otherwise the
-- price dictionary at the call's date, by (provider, response model), then (provider, request
-- model), then the user's provider-less prices. Neither: CostUSD NULL, PriceKnown 0.
--
-- The maps are cast once to Map(String, String): a lookup in a LowCardinality-keyed map costs
-- several times more, and this view makes some thirty of them per span.
WITH
    CAST(SpanAttributes, 'Map(String, String)') AS span,
    CAST(ResourceAttributes, 'Map(String, String)') AS resource,
    lower(arrayFirst(x -> x != '', [
        span[{a[GEN_AI_PROVIDER_NAME]}], span[{a[GEN_AI_SYSTEM]}],
        span[{a[OPENINFERENCE_PROVIDER]}], span[{a[OPENINFERENCE_SYSTEM]}]])) AS raw_provider,
    span[{a[GEN_AI_OPERATION_NAME]}] AS raw_operation,
    span[{a[OPENLLMETRY_REQUEST_TYPE]}] AS request_type,
    span[{a[OPENINFERENCE_SPAN_KIND]}] AS span_kind,
    least(toUInt64OrZero(arrayFirst(x -> x != '', [
        span[{a[GEN_AI_USAGE_INPUT_TOKENS]}], span[{a[GEN_AI_USAGE_PROMPT_TOKENS]}],
        span[{a[OPENINFERENCE_TOKEN_COUNT_PROMPT]}]])), 1000000000000) AS reported_input,
    toDate(Timestamp) AS day,
    (Provider, lower(ResponseModel)) AS response_key,
    (Provider, lower(RequestModel)) AS request_key,
    ('', lower(ResponseModel)) AS any_response_key,
    multiIf(
        dictHas({llm_prices_dict}, response_key, day), response_key,
        dictHas({llm_prices_dict}, request_key, day), request_key,
        dictHas({llm_prices_dict}, any_response_key, day), any_response_key,
        ('', lower(RequestModel))) AS price_key,
    dictHas({llm_prices_dict}, price_key, day) AS in_dictionary,
{sql[llm_calls.pricing]},
    toDecimal128OrNull(span[{a[OTEL_LLM_COST_USD]}], 12) AS own_cost,
    toDecimal128OrNull(span[{a[OPENLIT_USAGE_COST]}], 12) AS openlit_cost,
    toDecimal128OrNull(span[{a[OTEL_LLM_CACHE_SAVINGS_USD]}], 12) AS own_savings,
    toFloat64OrNull(arrayFirst(x -> x != '', [
        span[{a[GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK]}],
        span[{a[OPENLIT_TIME_TO_FIRST_TOKEN]}]])) AS ttfc_seconds,
    span[{a[GEN_AI_RESPONSE_FINISH_REASONS]}] AS finish_reasons
SELECT
    Timestamp,
    TraceId,
    SpanId,
    ServiceName,
    arrayFirst(x -> x != '', [
        resource[{a[DEPLOYMENT_ENVIRONMENT]}], resource[{a[DEPLOYMENT_ENVIRONMENT_LEGACY]}],
        span[{a[DEPLOYMENT_ENVIRONMENT]}], span[{a[DEPLOYMENT_ENVIRONMENT_LEGACY]}]]) AS Environment,
    transform(raw_provider,
        ['az.ai.openai', 'azure', 'azure_openai', 'bedrock', 'aws', 'aws_bedrock', 'vertex_ai', 'vertexai',
         'google', 'gemini', 'google_genai', 'mistralai', 'mistral', 'xai', 'together'],
        [{a[PROVIDER_AZURE_OPENAI]}, {a[PROVIDER_AZURE_OPENAI]}, {a[PROVIDER_AZURE_OPENAI]},
         {a[PROVIDER_AWS_BEDROCK]}, {a[PROVIDER_AWS_BEDROCK]}, {a[PROVIDER_AWS_BEDROCK]},
         {a[PROVIDER_GCP_VERTEX_AI]}, {a[PROVIDER_GCP_VERTEX_AI]},
         {a[PROVIDER_GCP_GEMINI]}, {a[PROVIDER_GCP_GEMINI]}, {a[PROVIDER_GCP_GEMINI]},
         {a[PROVIDER_MISTRAL]}, {a[PROVIDER_MISTRAL]}, {a[PROVIDER_XAI]}, {a[PROVIDER_TOGETHER]}],
        raw_provider) AS Provider,
    arrayFirst(x -> x != '', [
        span[{a[GEN_AI_REQUEST_MODEL]}], span[{a[OPENINFERENCE_MODEL_NAME]}]]) AS RequestModel,
    arrayFirst(x -> x != '', [
        span[{a[GEN_AI_RESPONSE_MODEL]}], span[{a[OPENINFERENCE_MODEL_NAME]}]]) AS ResponseModel,
    if(ResponseModel != '', ResponseModel, RequestModel) AS Model,
    if(in_dictionary, tupleElement(price_key, 1), Provider) AS PriceProvider,
    if(in_dictionary, tupleElement(price_key, 2), lower(Model)) AS PriceModel,
    multiIf(
        raw_operation != '', raw_operation,
        request_type = 'chat' OR span_kind = 'LLM', {a[OP_CHAT]},
        request_type = 'completion', {a[OP_TEXT_COMPLETION]},
        request_type = 'embedding' OR span_kind = 'EMBEDDING', {a[OP_EMBEDDINGS]},
        '') AS Operation,
    span[{a[OTEL_LLM_FEATURE]}] AS Feature,
    arrayFirst(x -> x != '', [span[{a[USER_ID]}], span[{a[ENDUSER_ID]}]]) AS UserId,
    arrayFirst(x -> x != '', [span[{a[SESSION_ID]}], span[{a[GEN_AI_CONVERSATION_ID]}]])
        AS SessionId,
    least(toUInt64OrZero(arrayFirst(x -> x != '', [
        span[{a[GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]}],
        span[{a[OPENLLMETRY_USAGE_CACHE_READ_INPUT_TOKENS]}],
        span[{a[OPENINFERENCE_TOKEN_COUNT_CACHE_READ]}]])), 1000000000000) AS CacheReadTokens,
{sql[llm_calls.cache_write]},
    reported_input + if(
        (Provider = {a[PROVIDER_ANTHROPIC]} AND {a[OPENLIT_SDK_NAME]} IN (span[{a[TELEMETRY_SDK_NAME]}], resource[{a[TELEMETRY_SDK_NAME]}]))
            OR reported_input < CacheReadTokens + CacheWriteTokens,
        CacheReadTokens + CacheWriteTokens, 0) AS InputTokens,
    least(toUInt64OrZero(arrayFirst(x -> x != '', [
        span[{a[GEN_AI_USAGE_OUTPUT_TOKENS]}], span[{a[GEN_AI_USAGE_COMPLETION_TOKENS]}],
        span[{a[OPENINFERENCE_TOKEN_COUNT_COMPLETION]}]])), 1000000000000) AS OutputTokens,
    least(toUInt64OrZero(arrayFirst(x -> x != '', [
        span[{a[GEN_AI_USAGE_REASONING_OUTPUT_TOKENS]}],
        span[{a[OPENINFERENCE_TOKEN_COUNT_REASONING]}]])), 1000000000000) AS ReasoningTokens,
    multiIf(own_cost >= 0, own_cost, openlit_cost > 0, openlit_cost, NULL) AS ReportedCostUSD,
    multiIf(ReportedCostUSD IS NOT NULL, ReportedCostUSD, in_dictionary, dictionary_cost, NULL) AS CostUSD,
    multiIf(
        own_savings IS NOT NULL, own_savings,
        in_dictionary, toDecimal128(
            CacheReadTokens * (tupleElement(price, 'InputPrice') - tupleElement(price, 'CacheReadPrice')), 12),
        NULL) AS CacheSavingsUSD,
    multiIf(ReportedCostUSD IS NOT NULL, 'span', in_dictionary, 'prices', '') AS CostSource,
    CostUSD IS NOT NULL AS PriceKnown,
    multiIf(
        ReportedCostUSD IS NOT NULL, span[{a[OTEL_LLM_PRICING_VERSION]}],
        in_dictionary, tupleElement(price, 'Revision'),
        '') AS PriceRevision,
    Duration AS DurationNs,
    if(ttfc_seconds >= 0, toUInt64(round(ttfc_seconds * 1e9)), NULL) AS TimeToFirstChunkNs,
    StatusCode,
    span[{a[ERROR_TYPE]}] AS ErrorType,
    multiIf(
        startsWith(finish_reasons, '['), JSONExtract(finish_reasons, 'Array(String)'),
        finish_reasons != '', [finish_reasons],
        []) AS FinishReasons,
    span[{a[OTEL_LLM_CACHE_HIT]}] = 'true' OR CacheReadTokens > 0 AS CacheHit,
    span[{a[OTEL_LLM_USAGE_ESTIMATED]}] = 'true' AS Estimated,
    ScopeName AS Instrumentation
FROM {otel_traces}
WHERE (raw_operation != '' OR raw_provider != '' OR span_kind IN ('LLM', 'EMBEDDING'))
    AND (RequestModel != '' OR ResponseModel != '')
    AND raw_operation NOT IN ('invoke_agent', 'create_agent', 'execute_tool')
