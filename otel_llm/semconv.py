"""Every attribute, metric and environment-variable name otel-llm reads or writes.

The GenAI semantic conventions are still "Development" upstream and their names move; keeping
every key here means a rename is one edit, and no other module spells a key inline.
"""

from __future__ import annotations

# --- GenAI semantic conventions: request -------------------------------------------------
GEN_AI_OPERATION_NAME = "gen_ai.operation.name"
GEN_AI_PROVIDER_NAME = "gen_ai.provider.name"
GEN_AI_SYSTEM = "gen_ai.system"  # deprecated; read from foreign spans, never written
GEN_AI_REQUEST_MODEL = "gen_ai.request.model"
GEN_AI_REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens"
GEN_AI_REQUEST_TEMPERATURE = "gen_ai.request.temperature"
GEN_AI_REQUEST_TOP_P = "gen_ai.request.top_p"
GEN_AI_REQUEST_TOP_K = "gen_ai.request.top_k"
GEN_AI_REQUEST_STOP_SEQUENCES = "gen_ai.request.stop_sequences"
GEN_AI_REQUEST_SEED = "gen_ai.request.seed"
GEN_AI_REQUEST_CHOICE_COUNT = "gen_ai.request.choice.count"
GEN_AI_REQUEST_FREQUENCY_PENALTY = "gen_ai.request.frequency_penalty"
GEN_AI_REQUEST_PRESENCE_PENALTY = "gen_ai.request.presence_penalty"
GEN_AI_REQUEST_ENCODING_FORMATS = "gen_ai.request.encoding_formats"
GEN_AI_REQUEST_STREAM = "gen_ai.request.stream"
GEN_AI_OUTPUT_TYPE = "gen_ai.output.type"
GEN_AI_REQUEST_SERVICE_TIER = "openai.request.service_tier"

# --- GenAI semantic conventions: response ------------------------------------------------
GEN_AI_RESPONSE_ID = "gen_ai.response.id"
GEN_AI_RESPONSE_MODEL = "gen_ai.response.model"
GEN_AI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons"
GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = "gen_ai.response.time_to_first_chunk"
GEN_AI_RESPONSE_SERVICE_TIER = "openai.response.service_tier"

# --- GenAI semantic conventions: usage ---------------------------------------------------
GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = "gen_ai.usage.cache_read.input_tokens"
GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS = "gen_ai.usage.cache_write.input_tokens"
GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS = "gen_ai.usage.cache_creation.input_tokens"  # older name
GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = "gen_ai.usage.reasoning.output_tokens"
# Older names other instrumentations still write (read by the ClickHouse views only).
GEN_AI_USAGE_PROMPT_TOKENS = "gen_ai.usage.prompt_tokens"
GEN_AI_USAGE_COMPLETION_TOKENS = "gen_ai.usage.completion_tokens"

# --- GenAI semantic conventions: content -------------------------------------------------
GEN_AI_INPUT_MESSAGES = "gen_ai.input.messages"
GEN_AI_OUTPUT_MESSAGES = "gen_ai.output.messages"
GEN_AI_SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"
GEN_AI_CONVERSATION_ID = "gen_ai.conversation.id"

# --- General conventions ----------------------------------------------------------------
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"
ERROR_TYPE = "error.type"
ENDUSER_ID = "enduser.id"
USER_ID = "user.id"
SESSION_ID = "session.id"
DEPLOYMENT_ENVIRONMENT = "deployment.environment.name"

# --- otel-llm's own attributes -----------------------------------------------------------
OTEL_LLM_FEATURE = "otel_llm.feature"
OTEL_LLM_TAG_PREFIX = "otel_llm.tag."
OTEL_LLM_COST_USD = "otel_llm.cost.usd"
OTEL_LLM_COST_INPUT_USD = "otel_llm.cost.input_usd"
OTEL_LLM_COST_OUTPUT_USD = "otel_llm.cost.output_usd"
OTEL_LLM_COST_CACHE_READ_USD = "otel_llm.cost.cache_read_usd"
OTEL_LLM_COST_CACHE_WRITE_USD = "otel_llm.cost.cache_write_usd"
OTEL_LLM_COST_UNKNOWN_MODEL = "otel_llm.cost.unknown_model"
OTEL_LLM_PRICING_VERSION = "otel_llm.pricing.version"
OTEL_LLM_CACHE_HIT = "otel_llm.cache.hit"
OTEL_LLM_CACHE_SAVINGS_USD = "otel_llm.cache.savings_usd"
OTEL_LLM_USAGE_ESTIMATED = "otel_llm.usage.estimated"
OTEL_LLM_BUDGET_EXCEEDED = "otel_llm.budget.exceeded"

# --- Operation names (gen_ai.operation.name values) --------------------------------------
OP_CHAT = "chat"
OP_TEXT_COMPLETION = "text_completion"
OP_EMBEDDINGS = "embeddings"
OP_GENERATE_CONTENT = "generate_content"

# --- Provider names (gen_ai.provider.name values) ----------------------------------------
PROVIDER_OPENAI = "openai"
PROVIDER_AZURE_OPENAI = "azure.ai.openai"
PROVIDER_ANTHROPIC = "anthropic"
PROVIDER_AWS_BEDROCK = "aws.bedrock"
PROVIDER_GCP_VERTEX_AI = "gcp.vertex_ai"
PROVIDER_GROQ = "groq"
PROVIDER_DEEPSEEK = "deepseek"
PROVIDER_XAI = "x_ai"
PROVIDER_MISTRAL = "mistral_ai"
PROVIDER_OPENROUTER = "openrouter"
PROVIDER_TOGETHER = "together_ai"
PROVIDER_UNKNOWN = "unknown"  # an OpenAI-compatible base_url we cannot name (localhost included)

# --- Metrics -----------------------------------------------------------------------------
METRIC_TOKEN_USAGE = "gen_ai.client.token.usage"
METRIC_OPERATION_DURATION = "gen_ai.client.operation.duration"
METRIC_TIME_TO_FIRST_CHUNK = "gen_ai.client.operation.time_to_first_chunk"
METRIC_COST = "otel_llm.client.cost"
METRIC_UNKNOWN_MODEL_CALLS = "otel_llm.client.unpriced_calls"
GEN_AI_TOKEN_TYPE = "gen_ai.token.type"
TOKEN_TYPE_INPUT = "input"
TOKEN_TYPE_OUTPUT = "output"

# Advised explicit bucket boundaries from the GenAI metrics conventions.
TOKEN_USAGE_BUCKETS = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
)
DURATION_BUCKETS = (
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
)

# --- W3C baggage keys read by otel_llm.tag's fallback ------------------------------------
BAGGAGE_FEATURE = "otel_llm.feature"
BAGGAGE_USER_ID = "user.id"
BAGGAGE_SESSION_ID = "session.id"

# --- Environment variables ---------------------------------------------------------------
ENV_CAPTURE_CONTENT = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
ENV_CONTENT_MAX_LENGTH = "OTEL_LLM_CONTENT_MAX_LENGTH"
ENV_DEFAULT_FEATURE = "OTEL_LLM_DEFAULT_FEATURE"
ENV_PRICES = "OTEL_LLM_PRICES"
ENV_OPENAI_STREAM_USAGE = "OTEL_LLM_OPENAI_STREAM_USAGE"
ENV_EMIT_LEGACY_CACHE_CREATION = "OTEL_LLM_EMIT_CACHE_CREATION_ATTRIBUTE"
ENV_ANTHROPIC_SDK_SPANS = "OTEL_LLM_ANTHROPIC_SDK_SPANS"
ENV_CLICKHOUSE_ENDPOINT = "OTEL_EXPORTER_CLICKHOUSE_ENDPOINT"
ENV_CLICKHOUSE_DATABASE = "OTEL_EXPORTER_CLICKHOUSE_DATABASE"
ENV_CLICKHOUSE_USERNAME = "OTEL_EXPORTER_CLICKHOUSE_USERNAME"
ENV_CLICKHOUSE_PASSWORD = "OTEL_EXPORTER_CLICKHOUSE_PASSWORD"
ENV_CLICKHOUSE_CREATE_SCHEMA = "OTEL_EXPORTER_CLICKHOUSE_CREATE_SCHEMA"
ENV_CLICKHOUSE_TTL_DAYS = "OTEL_EXPORTER_CLICKHOUSE_TTL_DAYS"
ENV_CLICKHOUSE_TIMEOUT = "OTEL_EXPORTER_CLICKHOUSE_TIMEOUT"
ENV_CLICKHOUSE_COMPRESSION = "OTEL_EXPORTER_CLICKHOUSE_COMPRESSION"
ENV_CLICKHOUSE_BUFFER_SPANS = "OTEL_EXPORTER_CLICKHOUSE_MAX_BUFFERED_SPANS"
ENV_CLICKHOUSE_SHUTDOWN_TIMEOUT = "OTEL_EXPORTER_CLICKHOUSE_SHUTDOWN_TIMEOUT"  # seconds
ENV_COLLECTOR_URL = "OTEL_LLM_COLLECTOR_URL"

# --- Companion collector (collector/): settings, each also a flag and a YAML key ---------
ENV_COLLECTOR_CONFIG = "OTEL_LLM_COLLECTOR_CONFIG"
ENV_COLLECTOR_ENDPOINT = "OTEL_LLM_COLLECTOR_ENDPOINT"
ENV_COLLECTOR_DATABASE = "OTEL_LLM_COLLECTOR_DATABASE"
ENV_COLLECTOR_HOST = "OTEL_LLM_COLLECTOR_HOST"
ENV_COLLECTOR_HTTP_PORT = "OTEL_LLM_COLLECTOR_HTTP_PORT"
ENV_COLLECTOR_GRPC_PORT = "OTEL_LLM_COLLECTOR_GRPC_PORT"
ENV_COLLECTOR_SPOOL_DIR = "OTEL_LLM_COLLECTOR_SPOOL_DIR"
ENV_COLLECTOR_SPOOL_MAX_BYTES = "OTEL_LLM_COLLECTOR_SPOOL_MAX_BYTES"
ENV_COLLECTOR_FORWARD = "OTEL_LLM_COLLECTOR_FORWARD"  # comma-separated OTLP/HTTP URLs
ENV_COLLECTOR_FORWARD_QUEUE_BYTES = "OTEL_LLM_COLLECTOR_FORWARD_QUEUE_BYTES"  # per target
ENV_COLLECTOR_AUTH_TOKEN = "OTEL_LLM_COLLECTOR_AUTH_TOKEN"
ENV_UI_AUTH_TOKEN = "OTEL_LLM_UI_AUTH_TOKEN"  # otel-llm ui --auth-token, kept out of the process list
ENV_COLLECTOR_TLS_CERT = "OTEL_LLM_COLLECTOR_TLS_CERT"
ENV_COLLECTOR_TLS_KEY = "OTEL_LLM_COLLECTOR_TLS_KEY"
ENV_COLLECTOR_MAX_BODY_BYTES = "OTEL_LLM_COLLECTOR_MAX_BODY_BYTES"
ENV_COLLECTOR_SQL_MAX_ROWS = "OTEL_LLM_COLLECTOR_SQL_MAX_ROWS"
ENV_COLLECTOR_SQL_TIMEOUT = "OTEL_LLM_COLLECTOR_SQL_TIMEOUT"
ENV_COLLECTOR_SQL_ENDPOINT_DSN = "OTEL_LLM_COLLECTOR_SQL_ENDPOINT_DSN"  # a read-only server user for /v1/sql
ENV_COLLECTOR_SHUTDOWN_GRACE = "OTEL_LLM_COLLECTOR_SHUTDOWN_GRACE"
ENV_COLLECTOR_MAX_CONNECTIONS = "OTEL_LLM_COLLECTOR_MAX_CONNECTIONS"  # per port
ENV_COLLECTOR_HEADER_TIMEOUT = "OTEL_LLM_COLLECTOR_HEADER_TIMEOUT"
ENV_COLLECTOR_BODY_TIMEOUT = "OTEL_LLM_COLLECTOR_BODY_TIMEOUT"

# --- Appended by the price book (otel_llm/pricing): providers its snapshot covers --------
PROVIDER_GCP_GEMINI = "gcp.gemini"
PROVIDER_COHERE = "cohere"
# Where a call's price came from: the calling provider's current list price, a price an older
# price map listed (the model has since been dropped), the same model at another host, or the
# user's own price file.
OTEL_LLM_PRICING_SOURCE = "otel_llm.pricing.source"
PRICING_SOURCE_EXACT = "exact"
PRICING_SOURCE_HISTORY = "history"
PRICING_SOURCE_OTHER_HOST = "other_host"
PRICING_SOURCE_OVERRIDE = "override"

# --- Appended by the schema (otel_llm/schema): keys other instrumentations write, read only by
# the llm_calls view so their spans are priced too (OpenLLMetry, OpenLIT, OpenInference). -----
DEPLOYMENT_ENVIRONMENT_LEGACY = "deployment.environment"
TELEMETRY_SDK_NAME = "telemetry.sdk.name"  # OpenLIT sets "openlit", on the span itself
OPENLIT_SDK_NAME = "openlit"
OPENLIT_USAGE_COST = "gen_ai.usage.cost"
OPENLIT_TIME_TO_FIRST_TOKEN = "gen_ai.server.time_to_first_token"
OPENLLMETRY_USAGE_CACHE_READ_INPUT_TOKENS = "gen_ai.usage.cache_read_input_tokens"
OPENLLMETRY_USAGE_CACHE_CREATION_INPUT_TOKENS = "gen_ai.usage.cache_creation_input_tokens"
OPENLLMETRY_REQUEST_TYPE = "llm.request.type"
OPENINFERENCE_SPAN_KIND = "openinference.span.kind"
OPENINFERENCE_MODEL_NAME = "llm.model_name"
OPENINFERENCE_PROVIDER = "llm.provider"
OPENINFERENCE_SYSTEM = "llm.system"
OPENINFERENCE_TOKEN_COUNT_PROMPT = "llm.token_count.prompt"
OPENINFERENCE_TOKEN_COUNT_COMPLETION = "llm.token_count.completion"
OPENINFERENCE_TOKEN_COUNT_CACHE_READ = "llm.token_count.prompt_details.cache_read"
OPENINFERENCE_TOKEN_COUNT_CACHE_WRITE = "llm.token_count.prompt_details.cache_write"
OPENINFERENCE_TOKEN_COUNT_REASONING = "llm.token_count.completion_details.reasoning"

# --- Appended by the schema (otel_llm/schema), issue 3: the 1-hour cache-write count ---------
# The subset of gen_ai.usage.cache_write.input_tokens written with Anthropic's 1-hour TTL, which
# is priced higher than a 5-minute write. No upstream or foreign instrumentation names it yet
# (OpenLLMetry, OpenLIT and OpenInference report only the total), so the view reads only this key.
OTEL_LLM_USAGE_CACHE_WRITE_1H_INPUT_TOKENS = "otel_llm.usage.cache_write_1h.input_tokens"

# --- Usage that cannot be true (issue 17 item 12): flagged, never priced ----------------------
# Set (true) only on a span whose reported usage is impossible; absent otherwise, like
# otel_llm.cost.unknown_model. Such a span carries no otel_llm.cost.* attribute, and llm_calls
# (schema version 6) leaves it unpriced.
OTEL_LLM_USAGE_SUSPECT = "otel_llm.usage.suspect"
OTEL_LLM_USAGE_SUSPECT_REASON = "otel_llm.usage.suspect_reason"  # one of the values below
USAGE_SUSPECT_MALFORMED = "malformed_count"  # negative, fractional or not a number
USAGE_SUSPECT_TOO_MANY = "too_many_tokens"  # above any model's context window by orders of magnitude
USAGE_SUSPECT_CACHE_ABOVE_INPUT = "cache_above_input"  # cache read + write > input (which includes them)
USAGE_SUSPECT_PART_ABOVE_TOTAL = "part_above_total"  # reasoning, audio or 1h cache writes above their total

# --- Bedrock (issue 11): the official botocore instrumentation's Bedrock GenAI spans ----------
# ``off`` (default): while otel-llm traces Bedrock Runtime, the official botocore instrumentation
# traces those calls as plain AWS SDK spans (rpc.*, no gen_ai.usage); ``keep``: its GenAI spans
# stay, and a call is then counted by both (see the README).
ENV_BEDROCK_OFFICIAL_SPANS = "OTEL_LLM_BEDROCK_OFFICIAL_SPANS"
# --- google-genai (issue 11) ----------------------------------------------------------------
# off (default): the official opentelemetry-instrumentation-google-genai is switched off for the
# calls otel-llm traces (generate_content, streams, embed_content), so each is counted once;
# keep: both emit spans (its span is then the parent of ours, and both carry gen_ai.usage.*).
ENV_GOOGLE_GENAI_OFFICIAL_SPANS = "OTEL_LLM_GOOGLE_GENAI_OFFICIAL_SPANS"
# --- Sampling (issue 13): a usage record for every call whose span is sampled out -------------
# The GenAI semconv event that carries a call's attributes independently of its span. otel-llm
# emits it (content never included) only when the call's span will not be exported, so each call
# is recorded exactly once: by its span or by this event. Its attributes are the span's.
EVENT_INFERENCE_DETAILS = "gen_ai.client.inference.operation.details"
# The call's duration, which a span carries in its own timing and an event does not.
OTEL_LLM_CALL_DURATION_NS = "otel_llm.call.duration_ns"
ENV_LOGS_EXPORTER = "OTEL_LOGS_EXPORTER"  # the SDK's variable: "clickhouse", "otlp" or both
# --- mistralai, groq, cohere instrumentation (issue 11) -------------------------------------
# ``off`` (default) | ``keep``: the mistralai SDK's own span (scope mistralai_sdk_tracer; always on
# in late 1.x when a tracer provider is set, opt-in from 2.x) for the calls otel-llm traces.
ENV_MISTRAL_SDK_SPANS = "OTEL_LLM_MISTRAL_SDK_SPANS"
# --- Request shape (issue 14, branch advise): what otel-llm advise reads, never content -------
# Keyed fingerprints (BLAKE2b, per-installation key) of the whole request and of its stable
# prefix, the prefix's estimated tokens, sizes and flags. See instrumentation/_fingerprint.py.
OTEL_LLM_REQUEST_FINGERPRINT = "otel_llm.request.fingerprint"
OTEL_LLM_REQUEST_PREFIX_FINGERPRINT = "otel_llm.request.prefix.fingerprint"
OTEL_LLM_REQUEST_PREFIX_TOKENS = "otel_llm.request.prefix.tokens"  # share x reported input (bytes / 4 before)
OTEL_LLM_REQUEST_MESSAGE_COUNT = "otel_llm.request.message_count"
OTEL_LLM_REQUEST_TOOL_COUNT = "otel_llm.request.tool_count"
OTEL_LLM_REQUEST_MAX_TOKENS_SET = "otel_llm.request.max_tokens_set"
OTEL_LLM_REQUEST_CACHE_CONTROL = "otel_llm.request.cache_control"  # one of the values below
CACHE_CONTROL_EXPLICIT = "explicit"  # cache breakpoints in the request (Anthropic cache_control)
CACHE_CONTROL_AUTOMATIC = "automatic"  # the provider caches this prefix by itself (OpenAI >= 1024 tokens)
CACHE_CONTROL_NONE = "none"
OTEL_LLM_REQUEST_TURN_INDEX = "otel_llm.request.turn_index"  # user turns in the request (1 = first)
ENV_FINGERPRINT_KEY = "OTEL_LLM_FINGERPRINT_KEY"  # shared by a fleet so its fingerprints match
ENV_REQUEST_SHAPE = "OTEL_LLM_REQUEST_SHAPE"  # false: no fingerprints or shape on spans
# --- Frameworks and gateways (issue 12): the nesting rule in instrumentation/_nesting.py ------
# The chain / LangGraph node / agent that made the call, set on the provider span from a
# framework's model scope; with ENV_FEATURE_FROM_WORKFLOW on, it is also the feature when the
# app set none.
OTEL_LLM_WORKFLOW = "otel_llm.workflow"
ENV_FEATURE_FROM_WORKFLOW = "OTEL_LLM_FEATURE_FROM_WORKFLOW"
# --- LiteLLM (issue 12, branch litellm) ----------------------------------------------------
# The cost LiteLLM itself computed for the call (its ``response_cost``), beside our own
# otel_llm.cost.usd for comparison; never summed, set only when LiteLLM computed one.
OTEL_LLM_COST_REPORTED_USD = "otel_llm.cost.reported_usd"
# True on the span of a call LiteLLM answered from its own response cache: no provider request was
# made, so the span carries no usage and no cost (the cached response's usage is not billed again).
OTEL_LLM_GATEWAY_CACHE_HIT = "otel_llm.gateway.cache_hit"
# --- Dashboard on the collector (issue 15, branch ui) ----------------------------------------
ENV_COLLECTOR_UI = "OTEL_LLM_COLLECTOR_UI"  # true: otel-llm collector --ui
# --- Views (issue 12 and 13, branch views): one row per provider request, adjusted counts -------
# Scope names of otel-llm's own instrumentations start with this: llm_calls treats those spans as
# the exact record of their request (never superseded by another project's span of the same
# request, never extrapolated by a sampling rate).
OTEL_LLM_SCOPE_PREFIX = "otel_llm"
# Set (true) by the nesting rule on an inference span whose request's usage another span carries
# (an outer framework span, or an inner instrumentation's span it found in context): llm_calls
# skips the span, so a request is counted once.
OTEL_LLM_USAGE_CARRIED_ELSEWHERE = "otel_llm.usage.carried_elsewhere"
# Foreign spans sampled elsewhere: "1 in N" sampling rates llm_calls accepts as a span attribute
# (Honeycomb's SampleRate, and sampling.rate), when the W3C tracestate carries no OpenTelemetry
# threshold (ot=th:<hex>, which wins). The row's AdjustedCount is N and it is flagged Estimated.
SAMPLE_RATE = "SampleRate"
SAMPLING_RATE = "sampling.rate"
# --- Frameworks (issue 12, branch langchain): LangChain/LangGraph and the OpenAI Agents SDK ----
# The agent whose turn made the call (GenAI semconv), set on the provider span by the Agents SDK's
# model scope, next to otel_llm.workflow.
GEN_AI_AGENT_NAME = "gen_ai.agent.name"
