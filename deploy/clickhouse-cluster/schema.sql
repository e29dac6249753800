CREATE DATABASE IF NOT EXISTS `otel` ON CLUSTER `otel_cluster`;

CREATE TABLE IF NOT EXISTS `otel`.`schema_migrations` ON CLUSTER `otel_cluster`
(
    Version UInt32,
    Description String,
    AppliedAt DateTime64(3) DEFAULT now64(3)
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/{table}', '{replica}')
ORDER BY Version
SETTINGS replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS `otel`.`otel_traces_local` ON CLUSTER `otel_cluster`
(
-- Column for column the OpenTelemetry Collector (contrib) clickhouseexporter's otel_traces, so a
-- team already running that exporter can put the otel-llm views on its existing table.
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    TraceState String CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    Events Nested (
        Timestamp DateTime64(9),
        Name LowCardinality(String),
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    Links Nested (
        TraceId String,
        SpanId String,
        TraceState String,
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toDate(Timestamp)
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp))
TTL toDateTime(Timestamp) + toIntervalDay(30)
SETTINGS replicated_deduplication_window = 10000, index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS `otel`.`otel_traces` ON CLUSTER `otel_cluster` AS `otel`.`otel_traces_local`
ENGINE = Distributed('otel_cluster', 'otel', 'otel_traces_local', cityHash64(TraceId));

CREATE TABLE IF NOT EXISTS `otel`.`otel_traces_trace_id_ts_local` ON CLUSTER `otel_cluster`
(
-- The clickhouseexporter's trace id -> time range lookup: finding a trace's spans by id first
-- narrows the time range, so the otel_traces scan touches a few partitions only.
    TraceId String CODEC(ZSTD(1)),
    Start DateTime CODEC(Delta, ZSTD(1)),
    End DateTime CODEC(Delta, ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toDate(Start)
ORDER BY (TraceId, Start)
TTL toDateTime(Start) + toIntervalDay(30)
SETTINGS replicated_deduplication_window = 10000, index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS `otel`.`otel_traces_trace_id_ts` ON CLUSTER `otel_cluster` AS `otel`.`otel_traces_trace_id_ts_local`
ENGINE = Distributed('otel_cluster', 'otel', 'otel_traces_trace_id_ts_local', cityHash64(TraceId));

CREATE MATERIALIZED VIEW IF NOT EXISTS `otel`.`otel_traces_trace_id_ts_mv` ON CLUSTER `otel_cluster` TO `otel`.`otel_traces_trace_id_ts_local`
AS SELECT
    TraceId,
    min(Timestamp) AS Start,
    max(Timestamp) AS End
FROM `otel`.`otel_traces_local`
WHERE TraceId != ''
GROUP BY TraceId;

CREATE TABLE IF NOT EXISTS `otel`.`llm_prices` ON CLUSTER `otel_cluster`
(
-- Every synced revision of the price book, kept whole: a past call's snapshot cost can always be
-- explained by the revision it names. Prices are per token, Decimal: no float rounding.
    Provider LowCardinality(String),
    Model String,
    Mode LowCardinality(String),
    EffectiveFrom Date,
    Revision LowCardinality(String),
    SyncedAt DateTime64(3),
    InputPrice Decimal(38, 18),
    OutputPrice Decimal(38, 18),
    CacheReadPrice Decimal(38, 18),
    CacheWritePrice Decimal(38, 18),
    CacheWrite1hPrice Decimal(38, 18)
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/{database}/{table}', '{replica}')
ORDER BY (Provider, Model, EffectiveFrom, Revision)
SETTINGS replicated_deduplication_window = 10000;

CREATE VIEW IF NOT EXISTS `otel`.`llm_prices_current` ON CLUSTER `otel_cluster`
AS -- The latest synced revision, each price in force from its EffectiveFrom on. The dictionary
-- picks the latest EffectiveFrom not after the call's date (range_lookup_strategy 'max'), so
-- every range may run to the end of time.
SELECT
    Provider,
    Model,
    EffectiveFrom,
    toDate('2149-06-06') AS EffectiveTo,
    Revision,
    InputPrice,
    OutputPrice,
    CacheReadPrice,
    CacheWritePrice,
    CacheWrite1hPrice
FROM `otel`.`llm_prices`
WHERE Revision = (SELECT argMax(Revision, SyncedAt) FROM `otel`.`llm_prices`);

CREATE DICTIONARY IF NOT EXISTS `otel`.`llm_prices_dict` ON CLUSTER `otel_cluster`
(
    Provider String,
    Model String,
    EffectiveFrom Date,
    EffectiveTo Date,
    Revision String,
    InputPrice Decimal(38, 18),
    OutputPrice Decimal(38, 18),
    CacheReadPrice Decimal(38, 18),
    CacheWritePrice Decimal(38, 18),
    CacheWrite1hPrice Decimal(38, 18)
)
PRIMARY KEY Provider, Model
SOURCE(CLICKHOUSE(DB 'otel' TABLE 'llm_prices_current'))
LIFETIME(MIN 60 MAX 300)
LAYOUT(COMPLEX_KEY_RANGE_HASHED(range_lookup_strategy 'max'))
RANGE(MIN EffectiveFrom MAX EffectiveTo);

CREATE TABLE IF NOT EXISTS `otel`.`llm_calls_local` ON CLUSTER `otel_cluster`
(
-- One typed row per LLM call. Money is Decimal(38, 12): exact, and wide enough that no token
-- count can overflow it. CostUSD is the snapshot at insert time (the span's own cost, else the
-- price dictionary at the call's date); NULL with PriceKnown = 0 when neither knows the model.
-- (PriceProvider, PriceModel) is the dictionary key the call matched (response model, else
-- request model, else a provider-less price), so "cost at today's prices" can look it up again.
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String),
    Environment LowCardinality(String),
    Provider LowCardinality(String),
    RequestModel LowCardinality(String),
    ResponseModel LowCardinality(String),
    Model LowCardinality(String),
    PriceProvider LowCardinality(String),
    PriceModel LowCardinality(String),
    Operation LowCardinality(String),
    Feature LowCardinality(String),
    UserId String CODEC(ZSTD(1)),
    SessionId String CODEC(ZSTD(1)),
    InputTokens UInt64,
    OutputTokens UInt64,
    CacheReadTokens UInt64,
    CacheWriteTokens UInt64,
    ReasoningTokens UInt64,
    ReportedCostUSD Nullable(Decimal(38, 12)),
    CostUSD Nullable(Decimal(38, 12)),
    CacheSavingsUSD Nullable(Decimal(38, 12)),
    CostSource LowCardinality(String),
    PriceKnown UInt8,
    PriceRevision LowCardinality(String),
    DurationNs UInt64,
    TimeToFirstChunkNs Nullable(UInt64),
    StatusCode LowCardinality(String),
    ErrorType LowCardinality(String),
    FinishReasons Array(LowCardinality(String)),
    CacheHit UInt8,
    Estimated UInt8,
    Instrumentation LowCardinality(String)
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toDate(Timestamp)
ORDER BY (ServiceName, Feature, Model, Timestamp)
TTL toDateTime(Timestamp) + toIntervalDay(180)
SETTINGS replicated_deduplication_window = 10000, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS `otel`.`llm_calls` ON CLUSTER `otel_cluster` AS `otel`.`llm_calls_local`
ENGINE = Distributed('otel_cluster', 'otel', 'llm_calls_local', rand());

CREATE MATERIALIZED VIEW IF NOT EXISTS `otel`.`llm_calls_mv` ON CLUSTER `otel_cluster` TO `otel`.`llm_calls_local`
AS -- otel_traces -> llm_calls. Reads otel-llm's keys first, then those of OpenLLMetry, OpenLIT and
-- OpenInference, so a team's existing spans are priced too.
--
-- Token rule: InputTokens INCLUDES cache reads and writes, as otel-llm, OpenInference and
-- OpenLLMetry report it. OpenLIT reports Anthropic's raw input_tokens, which EXCLUDE the cache:
-- for Anthropic spans from OpenLIT (resource telemetry.sdk.name = 'openlit'), and for any span
-- whose input is smaller than its cache reads plus writes (impossible if the cache were
-- included), the cache tokens are added. Counts above 10^12 are garbage, not tokens, and are
-- clamped so one bad span cannot overflow the Decimal arithmetic and fail its whole batch.
--
-- Price rule: a cost the span reports (otel_llm.cost.usd; OpenLIT's gen_ai.usage.cost when
-- above 0, since OpenLIT writes 0 for models it cannot price) is the snapshot. Otherwise the
-- price dictionary at the call's date, by (provider, response model), then (provider, request
-- model), then the user's provider-less prices. Neither: CostUSD NULL, PriceKnown 0.
WITH
    lower(arrayFirst(x -> x != '', [
        SpanAttributes['gen_ai.provider.name'], SpanAttributes['gen_ai.system'],
        SpanAttributes['llm.provider'], SpanAttributes['llm.system']])) AS raw_provider,
    SpanAttributes['gen_ai.operation.name'] AS raw_operation,
    SpanAttributes['llm.request.type'] AS request_type,
    SpanAttributes['openinference.span.kind'] AS span_kind,
    least(toUInt64OrZero(arrayFirst(x -> x != '', [
        SpanAttributes['gen_ai.usage.input_tokens'], SpanAttributes['gen_ai.usage.prompt_tokens'],
        SpanAttributes['llm.token_count.prompt']])), 1000000000000) AS reported_input,
    toDate(Timestamp) AS day,
    (Provider, lower(ResponseModel)) AS response_key,
    (Provider, lower(RequestModel)) AS request_key,
    ('', lower(ResponseModel)) AS any_response_key,
    multiIf(
        dictHas('otel.llm_prices_dict', response_key, day), response_key,
        dictHas('otel.llm_prices_dict', request_key, day), request_key,
        dictHas('otel.llm_prices_dict', any_response_key, day), any_response_key,
        ('', lower(RequestModel))) AS price_key,
    dictHas('otel.llm_prices_dict', price_key, day) AS in_dictionary,
    dictGet('otel.llm_prices_dict',
        ('InputPrice', 'OutputPrice', 'CacheReadPrice', 'CacheWritePrice', 'Revision'), price_key, day) AS price,
    if(InputTokens > CacheReadTokens + CacheWriteTokens, InputTokens - CacheReadTokens - CacheWriteTokens, 0)
        AS uncached_input,
    toDecimal128(
        uncached_input * tupleElement(price, 'InputPrice')
        + CacheReadTokens * tupleElement(price, 'CacheReadPrice')
        + CacheWriteTokens * tupleElement(price, 'CacheWritePrice')
        + OutputTokens * tupleElement(price, 'OutputPrice'), 12) AS dictionary_cost,
    toDecimal128OrNull(SpanAttributes['otel_llm.cost.usd'], 12) AS own_cost,
    toDecimal128OrNull(SpanAttributes['gen_ai.usage.cost'], 12) AS openlit_cost,
    toDecimal128OrNull(SpanAttributes['otel_llm.cache.savings_usd'], 12) AS own_savings,
    toFloat64OrNull(arrayFirst(x -> x != '', [
        SpanAttributes['gen_ai.response.time_to_first_chunk'],
        SpanAttributes['gen_ai.server.time_to_first_token']])) AS ttfc_seconds,
    SpanAttributes['gen_ai.response.finish_reasons'] AS finish_reasons
SELECT
    Timestamp,
    TraceId,
    SpanId,
    ServiceName,
    arrayFirst(x -> x != '', [
        ResourceAttributes['deployment.environment.name'], ResourceAttributes['deployment.environment']])
        AS Environment,
    transform(raw_provider,
        ['az.ai.openai', 'azure', 'azure_openai', 'bedrock', 'aws', 'aws_bedrock', 'vertex_ai', 'vertexai',
         'google', 'gemini', 'google_genai', 'mistralai', 'mistral', 'xai', 'together'],
        ['azure.ai.openai', 'azure.ai.openai', 'azure.ai.openai',
         'aws.bedrock', 'aws.bedrock', 'aws.bedrock',
         'gcp.vertex_ai', 'gcp.vertex_ai',
         'gcp.gemini', 'gcp.gemini', 'gcp.gemini',
         'mistral_ai', 'mistral_ai', 'x_ai', 'together_ai'],
        raw_provider) AS Provider,
    arrayFirst(x -> x != '', [
        SpanAttributes['gen_ai.request.model'], SpanAttributes['llm.model_name']]) AS RequestModel,
    arrayFirst(x -> x != '', [
        SpanAttributes['gen_ai.response.model'], SpanAttributes['llm.model_name']]) AS ResponseModel,
    if(ResponseModel != '', ResponseModel, RequestModel) AS Model,
    if(in_dictionary, tupleElement(price_key, 1), Provider) AS PriceProvider,
    if(in_dictionary, tupleElement(price_key, 2), lower(Model)) AS PriceModel,
    multiIf(
        raw_operation != '', raw_operation,
        request_type = 'chat' OR span_kind = 'LLM', 'chat',
        request_type = 'completion', 'text_completion',
        request_type = 'embedding' OR span_kind = 'EMBEDDING', 'embeddings',
        '') AS Operation,
    SpanAttributes['otel_llm.feature'] AS Feature,
    arrayFirst(x -> x != '', [SpanAttributes['user.id'], SpanAttributes['enduser.id']]) AS UserId,
    arrayFirst(x -> x != '', [SpanAttributes['session.id'], SpanAttributes['gen_ai.conversation.id']])
        AS SessionId,
    least(toUInt64OrZero(arrayFirst(x -> x != '', [
        SpanAttributes['gen_ai.usage.cache_read.input_tokens'],
        SpanAttributes['gen_ai.usage.cache_read_input_tokens'],
        SpanAttributes['llm.token_count.prompt_details.cache_read']])), 1000000000000) AS CacheReadTokens,
    least(toUInt64OrZero(arrayFirst(x -> x != '', [
        SpanAttributes['gen_ai.usage.cache_write.input_tokens'],
        SpanAttributes['gen_ai.usage.cache_creation.input_tokens'],
        SpanAttributes['gen_ai.usage.cache_creation_input_tokens'],
        SpanAttributes['llm.token_count.prompt_details.cache_write']])), 1000000000000) AS CacheWriteTokens,
    reported_input + if(
        (Provider = 'anthropic' AND ResourceAttributes['telemetry.sdk.name'] = 'openlit')
            OR reported_input < CacheReadTokens + CacheWriteTokens,
        CacheReadTokens + CacheWriteTokens, 0) AS InputTokens,
    least(toUInt64OrZero(arrayFirst(x -> x != '', [
        SpanAttributes['gen_ai.usage.output_tokens'], SpanAttributes['gen_ai.usage.completion_tokens'],
        SpanAttributes['llm.token_count.completion']])), 1000000000000) AS OutputTokens,
    least(toUInt64OrZero(arrayFirst(x -> x != '', [
        SpanAttributes['gen_ai.usage.reasoning.output_tokens'],
        SpanAttributes['llm.token_count.completion_details.reasoning']])), 1000000000000) AS ReasoningTokens,
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
        ReportedCostUSD IS NOT NULL, SpanAttributes['otel_llm.pricing.version'],
        in_dictionary, tupleElement(price, 'Revision'),
        '') AS PriceRevision,
    Duration AS DurationNs,
    if(ttfc_seconds >= 0, toUInt64(round(ttfc_seconds * 1e9)), NULL) AS TimeToFirstChunkNs,
    StatusCode,
    SpanAttributes['error.type'] AS ErrorType,
    multiIf(
        startsWith(finish_reasons, '['), JSONExtract(finish_reasons, 'Array(String)'),
        finish_reasons != '', [finish_reasons],
        []) AS FinishReasons,
    SpanAttributes['otel_llm.cache.hit'] = 'true' OR CacheReadTokens > 0 AS CacheHit,
    SpanAttributes['otel_llm.usage.estimated'] = 'true' AS Estimated,
    ScopeName AS Instrumentation
FROM `otel`.`otel_traces_local`
WHERE (raw_operation != '' OR raw_provider != '' OR span_kind IN ('LLM', 'EMBEDDING'))
    AND (RequestModel != '' OR ResponseModel != '')
    AND raw_operation NOT IN ('invoke_agent', 'create_agent', 'execute_tool');

CREATE TABLE IF NOT EXISTS `otel`.`llm_usage_hourly_local` ON CLUSTER `otel_cluster`
(
    ServiceName LowCardinality(String),
    Environment LowCardinality(String),
    Provider LowCardinality(String),
    Model LowCardinality(String),
    PriceProvider LowCardinality(String),
    PriceModel LowCardinality(String),
    Operation LowCardinality(String),
    Feature LowCardinality(String),
    Hour DateTime,
-- The additive measures both rollups keep; rows of one key are summed by merges, and queries
-- re-aggregate with sum() because unmerged parts may still hold several rows per key.
    Calls SimpleAggregateFunction(sum, UInt64),
    Errors SimpleAggregateFunction(sum, UInt64),
    UnpricedCalls SimpleAggregateFunction(sum, UInt64),
    CacheHitCalls SimpleAggregateFunction(sum, UInt64),
    EstimatedCalls SimpleAggregateFunction(sum, UInt64),
    InputTokens SimpleAggregateFunction(sum, UInt64),
    OutputTokens SimpleAggregateFunction(sum, UInt64),
    CacheReadTokens SimpleAggregateFunction(sum, UInt64),
    CacheWriteTokens SimpleAggregateFunction(sum, UInt64),
    ReasoningTokens SimpleAggregateFunction(sum, UInt64),
    CostUSD SimpleAggregateFunction(sum, Decimal(38, 12)),
    CacheSavingsUSD SimpleAggregateFunction(sum, Decimal(38, 12)),
    DurationQuantiles AggregateFunction(quantiles(0.5, 0.9, 0.99), UInt64),
    Users AggregateFunction(uniq, Nullable(String))
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(Hour)
ORDER BY (ServiceName, Environment, Provider, Model, PriceProvider, PriceModel, Operation, Feature, Hour)
TTL Hour + toIntervalDay(730)
SETTINGS replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS `otel`.`llm_usage_hourly` ON CLUSTER `otel_cluster` AS `otel`.`llm_usage_hourly_local`
ENGINE = Distributed('otel_cluster', 'otel', 'llm_usage_hourly_local', rand());

CREATE MATERIALIZED VIEW IF NOT EXISTS `otel`.`llm_usage_hourly_mv` ON CLUSTER `otel_cluster` TO `otel`.`llm_usage_hourly_local`
AS SELECT
    ServiceName,
    Environment,
    Provider,
    Model,
    PriceProvider,
    PriceModel,
    Operation,
    Feature,
    toStartOfHour(Timestamp) AS Hour,
    count() AS Calls,
    countIf(StatusCode = 'Error' OR ErrorType != '') AS Errors,
    countIf(PriceKnown = 0) AS UnpricedCalls,
    countIf(CacheHit = 1) AS CacheHitCalls,
    countIf(Estimated = 1) AS EstimatedCalls,
    sum(InputTokens) AS InputTokens,
    sum(OutputTokens) AS OutputTokens,
    sum(CacheReadTokens) AS CacheReadTokens,
    sum(CacheWriteTokens) AS CacheWriteTokens,
    sum(ReasoningTokens) AS ReasoningTokens,
    toDecimal128(sum(ifNull(CostUSD, 0)), 12) AS CostUSD,
    toDecimal128(sum(ifNull(CacheSavingsUSD, 0)), 12) AS CacheSavingsUSD,
    quantilesState(0.5, 0.9, 0.99)(DurationNs) AS DurationQuantiles,
    uniqState(nullIf(UserId, '')) AS Users
FROM `otel`.`llm_calls_local`
GROUP BY ServiceName, Environment, Provider, Model, PriceProvider, PriceModel, Operation, Feature, Hour;

CREATE TABLE IF NOT EXISTS `otel`.`llm_usage_daily_user_local` ON CLUSTER `otel_cluster`
(
    ServiceName LowCardinality(String),
    UserId String,
    Day Date,
    Provider LowCardinality(String),
    Model LowCardinality(String),
    PriceProvider LowCardinality(String),
    PriceModel LowCardinality(String),
    Feature LowCardinality(String),
-- The additive measures both rollups keep; rows of one key are summed by merges, and queries
-- re-aggregate with sum() because unmerged parts may still hold several rows per key.
    Calls SimpleAggregateFunction(sum, UInt64),
    Errors SimpleAggregateFunction(sum, UInt64),
    UnpricedCalls SimpleAggregateFunction(sum, UInt64),
    CacheHitCalls SimpleAggregateFunction(sum, UInt64),
    EstimatedCalls SimpleAggregateFunction(sum, UInt64),
    InputTokens SimpleAggregateFunction(sum, UInt64),
    OutputTokens SimpleAggregateFunction(sum, UInt64),
    CacheReadTokens SimpleAggregateFunction(sum, UInt64),
    CacheWriteTokens SimpleAggregateFunction(sum, UInt64),
    ReasoningTokens SimpleAggregateFunction(sum, UInt64),
    CostUSD SimpleAggregateFunction(sum, Decimal(38, 12)),
    CacheSavingsUSD SimpleAggregateFunction(sum, Decimal(38, 12))
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')
PARTITION BY toYYYYMM(Day)
ORDER BY (ServiceName, UserId, Day, Provider, Model, PriceProvider, PriceModel, Feature)
TTL toDateTime(Day) + toIntervalDay(730)
SETTINGS replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS `otel`.`llm_usage_daily_user` ON CLUSTER `otel_cluster` AS `otel`.`llm_usage_daily_user_local`
ENGINE = Distributed('otel_cluster', 'otel', 'llm_usage_daily_user_local', rand());

CREATE MATERIALIZED VIEW IF NOT EXISTS `otel`.`llm_usage_daily_user_mv` ON CLUSTER `otel_cluster` TO `otel`.`llm_usage_daily_user_local`
AS SELECT
    ServiceName,
    UserId,
    toDate(Timestamp) AS Day,
    Provider,
    Model,
    PriceProvider,
    PriceModel,
    Feature,
    count() AS Calls,
    countIf(StatusCode = 'Error' OR ErrorType != '') AS Errors,
    countIf(PriceKnown = 0) AS UnpricedCalls,
    countIf(CacheHit = 1) AS CacheHitCalls,
    countIf(Estimated = 1) AS EstimatedCalls,
    sum(InputTokens) AS InputTokens,
    sum(OutputTokens) AS OutputTokens,
    sum(CacheReadTokens) AS CacheReadTokens,
    sum(CacheWriteTokens) AS CacheWriteTokens,
    sum(ReasoningTokens) AS ReasoningTokens,
    toDecimal128(sum(ifNull(CostUSD, 0)), 12) AS CostUSD,
    toDecimal128(sum(ifNull(CacheSavingsUSD, 0)), 12) AS CacheSavingsUSD
FROM `otel`.`llm_calls_local`
GROUP BY ServiceName, UserId, Day, Provider, Model, PriceProvider, PriceModel, Feature;

