"""anthropic Messages calls over real HTTP to the fake provider: one correct, priced span each.

Every client here also has the SDK's own tracing pointed at the test's provider (anthropic >= 1.x),
so "exactly one finished span" also proves the SDK's duplicate span stayed off.
"""

from __future__ import annotations

import inspect
from decimal import Decimal

import anthropic
import pytest
import test_anthropic_fixtures as fixtures
from anthropic.types import Message
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from pydantic import BaseModel
from test_anthropic_fixtures import MODEL, ask, only_span, sdk_tracing

import otel_llm
from otel_llm import semconv
from otel_llm.fake_provider import FakeProvider, Script
from otel_llm.instrumentation.anthropic import AnthropicInstrumentor
from otel_llm.pricing import default_price_book

instrumented = fixtures.instrumented
traced_client = fixtures.traced_client
async_traced_client = fixtures.async_traced_client

# A prompt-cache call: 50 uncached input tokens, 2,000 read from cache, 300 written with the
# 5-minute TTL and 200 with the 1-hour TTL, 400 output tokens.
CACHED = Script(
    input_tokens=50, output_tokens=400, cache_read_tokens=2000, cache_write_5m_tokens=300, cache_write_1h_tokens=200
)
# claude-sonnet-4-6: $3/M input, $15/M output, $0.30/M cache read, $3.75/M 5m write, $6/M 1h write.
CACHED_COST_USD = 0.009075  # 50*3e-6 + 2000*3e-7 + 300*3.75e-6 + 200*6e-6 + 400*15e-6
CACHED_SAVINGS_USD = 0.0054  # 2000 * (3e-6 - 3e-7)


def assert_cached_call_priced(span: ReadableSpan) -> None:
    attrs = span.attributes or {}
    assert attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 2550  # 50 + 2000 + 300 + 200
    assert attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 400
    assert attrs[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 2000
    assert attrs[semconv.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS] == 500
    assert attrs[semconv.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] == 500
    assert attrs[semconv.OTEL_LLM_USAGE_CACHE_WRITE_1H_INPUT_TOKENS] == 200
    assert attrs[semconv.OTEL_LLM_CACHE_HIT] is True
    price = default_price_book().lookup(MODEL, semconv.PROVIDER_ANTHROPIC)
    assert price is not None
    by_hand = 50 * price.input + 2000 * price.cache_read + 300 * price.cache_write + 200 * price.cache_write_1h
    by_hand += 400 * price.output
    assert by_hand == Decimal(str(CACHED_COST_USD))
    assert attrs[semconv.OTEL_LLM_COST_USD] == pytest.approx(CACHED_COST_USD, abs=1e-12)
    assert attrs[semconv.OTEL_LLM_COST_CACHE_WRITE_USD] == pytest.approx(0.002325, abs=1e-12)
    assert attrs[semconv.OTEL_LLM_CACHE_SAVINGS_USD] == pytest.approx(CACHED_SAVINGS_USD, abs=1e-12)


def test_create_is_one_client_span_with_request_response_and_usage(
    traced_client: anthropic.Anthropic, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    # anthropic 2.x dropped the sampling arguments from create(); 0.x still takes them.
    accepted = inspect.signature(anthropic.resources.messages.Messages.create).parameters
    sampling = {k: v for k, v in {"temperature": 0.2, "top_k": 5}.items() if k in accepted}
    message = traced_client.messages.create(**ask(stop_sequences=["END"], **sampling))

    assert type(message) is Message
    span = only_span(span_exporter)
    assert span.name == f"chat {MODEL}"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    attrs = span.attributes or {}
    host, port = fake_provider.url.removeprefix("http://").split(":")
    assert attrs[semconv.GEN_AI_OPERATION_NAME] == "chat"
    assert attrs[semconv.GEN_AI_PROVIDER_NAME] == "anthropic"
    assert attrs[semconv.SERVER_ADDRESS] == host
    assert attrs[semconv.SERVER_PORT] == int(port)
    assert attrs[semconv.GEN_AI_REQUEST_MODEL] == MODEL
    assert attrs[semconv.GEN_AI_REQUEST_MAX_TOKENS] == 64
    assert attrs.get(semconv.GEN_AI_REQUEST_TEMPERATURE) == sampling.get("temperature")
    assert attrs.get(semconv.GEN_AI_REQUEST_TOP_K) == sampling.get("top_k")
    assert tuple(attrs[semconv.GEN_AI_REQUEST_STOP_SEQUENCES]) == ("END",)
    assert attrs[semconv.GEN_AI_RESPONSE_ID] == message.id
    assert attrs[semconv.GEN_AI_RESPONSE_MODEL] == message.model
    assert tuple(attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS]) == (message.stop_reason,)
    assert attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] == message.usage.input_tokens
    assert attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == message.usage.output_tokens
    assert attrs[semconv.OTEL_LLM_COST_USD] > 0
    assert "test-key" not in str(attrs)
    assert semconv.GEN_AI_INPUT_MESSAGES not in attrs and semconv.GEN_AI_OUTPUT_MESSAGES not in attrs  # off by default


@pytest.mark.parametrize("model", ["claude-3-5-haiku-latest", "claude-3-5-haiku-20241022"])
def test_a_model_the_newest_map_dropped_keeps_its_list_price_from_history(
    model: str, traced_client: anthropic.Anthropic, span_exporter: InMemorySpanExporter
) -> None:
    message = traced_client.messages.create(**ask(model=model))

    attrs = only_span(span_exporter).attributes or {}
    # Claude 3.5 Haiku lists at $0.80 / $4 per 1M tokens (never Haiku 4.5's $1 / $5).
    expected = message.usage.input_tokens * 0.8e-6 + message.usage.output_tokens * 4e-6
    assert attrs[semconv.OTEL_LLM_COST_USD] == pytest.approx(expected, abs=1e-12)
    assert attrs[semconv.OTEL_LLM_PRICING_SOURCE] == semconv.PRICING_SOURCE_HISTORY


def test_cost_with_cache_read_and_both_cache_writes_matches_the_price_book(
    traced_client: anthropic.Anthropic, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(CACHED)
    traced_client.messages.create(**ask())
    assert_cached_call_priced(only_span(span_exporter))


async def test_async_create_streamed_merges_usage_without_double_counting(
    async_traced_client: anthropic.AsyncAnthropic, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    # The fake repeats input and cache counts in message_delta, as the API does: summing doubles them.
    fake_provider.enqueue(CACHED)
    stream = await async_traced_client.messages.create(**ask(stream=True))
    if type(anthropic.AsyncStream) is type:  # 0.x's metaclass accepts only the exact class, never a proxy
        assert isinstance(stream, anthropic.AsyncStream)
    events = [event.type async for event in stream]
    assert events[0] == "message_start" and events[-1] == "message_stop"
    span = only_span(span_exporter)
    assert_cached_call_priced(span)
    assert (span.attributes or {})[semconv.GEN_AI_REQUEST_STREAM] is True
    assert (span.attributes or {})[semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] > 0


async def test_async_create_is_only_span(
    async_traced_client: anthropic.AsyncAnthropic, span_exporter: InMemorySpanExporter
) -> None:
    message = await async_traced_client.messages.create(**ask())
    span = only_span(span_exporter)
    assert (span.attributes or {})[semconv.GEN_AI_RESPONSE_ID] == message.id


class Greeting(BaseModel):
    greeting: str


@pytest.mark.skipif(not hasattr(anthropic.resources.messages.Messages, "parse"), reason="no messages.parse")
def test_parse_returns_the_parsed_message_and_only_span(
    traced_client: anthropic.Anthropic, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    parsed = traced_client.messages.parse(**ask(), output_format=Greeting)
    assert isinstance(parsed.parsed_output, Greeting)
    span = only_span(span_exporter)
    assert (span.attributes or {})[semconv.GEN_AI_RESPONSE_ID] == parsed.id
    assert (span.attributes or {})[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == parsed.usage.output_tokens


async def test_async_beta_parse_and_create(
    async_traced_client: anthropic.AsyncAnthropic, span_exporter: InMemorySpanExporter
) -> None:
    parsed = await async_traced_client.beta.messages.parse(**ask(), output_format=Greeting)
    message = await async_traced_client.beta.messages.create(**ask())
    spans = span_exporter.get_finished_spans()
    assert [(s.attributes or {})[semconv.GEN_AI_RESPONSE_ID] for s in spans] == [parsed.id, message.id]
    assert isinstance(parsed.parsed_output, Greeting)


def test_beta_create_is_traced(traced_client: anthropic.Anthropic, span_exporter: InMemorySpanExporter) -> None:
    message = traced_client.beta.messages.create(**ask())
    assert type(message).__name__ == "BetaMessage"
    attrs = only_span(span_exporter).attributes or {}
    assert attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == message.usage.output_tokens


def test_rate_limit_retried_by_the_sdk_is_one_successful_span(
    traced_client: anthropic.Anthropic, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(status=429), Script())
    traced_client.messages.create(**ask())
    assert len(fake_provider.requests) == 2
    span = only_span(span_exporter)
    assert span.status.status_code is StatusCode.UNSET
    assert semconv.ERROR_TYPE not in (span.attributes or {})


async def test_server_error_marks_the_span_and_reraises_the_sdk_exception(
    async_traced_client: anthropic.AsyncAnthropic, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(*[Script(status=500, error_message="boom")] * 3)
    with pytest.raises(anthropic.InternalServerError) as raised:
        await async_traced_client.messages.create(**ask())
    assert raised.value.status_code == 500 and "boom" in str(raised.value)
    span = only_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})[semconv.ERROR_TYPE] == "500"
    assert [e.name for e in span.events] == ["exception"]


def test_tags_and_metrics(
    traced_client: anthropic.Anthropic,
    fake_provider: FakeProvider,
    span_exporter: InMemorySpanExporter,
    metric_reader: InMemoryMetricReader,
) -> None:
    fake_provider.enqueue(CACHED)
    with otel_llm.tag(feature="summaries", user_id="acme_001"):
        traced_client.messages.create(**ask())
    attrs = only_span(span_exporter).attributes or {}
    assert attrs[semconv.OTEL_LLM_FEATURE] == "summaries"
    assert attrs[semconv.ENDUSER_ID] == "acme_001"
    metrics = {
        m.name: m
        for rm in metric_reader.get_metrics_data().resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
    }
    cost_points = list(metrics[semconv.METRIC_COST].data.data_points)
    assert [p.value for p in cost_points] == [pytest.approx(CACHED_COST_USD, abs=1e-12)]
    assert cost_points[0].attributes[semconv.OTEL_LLM_FEATURE] == "summaries"
    assert semconv.ENDUSER_ID not in cost_points[0].attributes
    token_points = metrics[semconv.METRIC_TOKEN_USAGE].data.data_points
    token_sums = {p.attributes[semconv.GEN_AI_TOKEN_TYPE]: p.sum for p in token_points}
    assert token_sums == {"input": 2550, "output": 400}


@pytest.mark.parametrize(
    "malformed",
    [
        {"input_tokens": "many", "output_tokens": -3},
        {"input_tokens": None, "cache_read_input_tokens": "x", "cache_creation": "y"},
        {"usage_is_gone": True},
    ],
)
def test_malformed_usage_never_breaks_the_call(
    traced_client: anthropic.Anthropic,
    fake_provider: FakeProvider,
    span_exporter: InMemorySpanExporter,
    malformed: dict[str, object],
) -> None:
    script = Script(omit_usage=True) if "usage_is_gone" in malformed else Script(malformed_usage=malformed)
    fake_provider.enqueue(script)
    message = traced_client.messages.create(**ask())
    assert message.id.startswith("msg_")
    span = only_span(span_exporter)
    attrs = span.attributes or {}
    assert span.status.status_code is StatusCode.UNSET
    assert semconv.GEN_AI_USAGE_INPUT_TOKENS not in attrs  # not reported, so not invented
    assert semconv.OTEL_LLM_COST_USD not in attrs or attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] >= 0


def test_unknown_model_is_flagged_never_priced_at_zero(
    traced_client: anthropic.Anthropic, span_exporter: InMemorySpanExporter
) -> None:
    traced_client.messages.create(**ask(model="claude-imaginary-9"))
    attrs = only_span(span_exporter).attributes or {}
    assert attrs[semconv.OTEL_LLM_COST_UNKNOWN_MODEL] is True
    assert semconv.OTEL_LLM_COST_USD not in attrs
    assert attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] > 0


def test_vertex_client_is_named_gcp_vertex_ai(
    instrumented: AnthropicInstrumentor, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    client = anthropic.AnthropicVertex(
        region="us-east5", project_id="proj", access_token="vertex-token", base_url=fake_provider.url + "/v1"
    )
    message = client.messages.create(**ask())
    with client.messages.stream(**ask()) as stream:
        stream.until_done()
    spans = span_exporter.get_finished_spans()
    assert [(s.attributes or {})[semconv.GEN_AI_PROVIDER_NAME] for s in spans] == ["gcp.vertex_ai"] * 2
    assert all((s.attributes or {})[semconv.OTEL_LLM_COST_USD] > 0 for s in spans)
    assert (spans[0].attributes or {})[semconv.GEN_AI_RESPONSE_ID] == message.id
    assert ":rawPredict" in fake_provider.requests[0].path
    assert "vertex-token" not in str([s.attributes for s in spans])


def test_bedrock_client_is_named_aws_bedrock(
    instrumented: AnthropicInstrumentor, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    # The fake speaks Bedrock's InvokeModel (/model/{id}/invoke): the span names the platform and is
    # priced at Bedrock's price for the model.
    pytest.importorskip("boto3")  # the Bedrock client signs requests with it
    client = anthropic.AnthropicBedrock(
        aws_region="us-east-1",
        aws_access_key="AKIAFAKE",
        aws_secret_key="secret",
        base_url=fake_provider.url,
        max_retries=0,
    )
    fake_provider.enqueue(Script(input_tokens=1000, output_tokens=100))
    client.messages.create(**ask(model="anthropic.claude-sonnet-4-6"))
    assert fake_provider.requests[0].path.endswith("/invoke")
    span = only_span(span_exporter)
    assert (span.attributes or {})[semconv.GEN_AI_PROVIDER_NAME] == "aws.bedrock"
    assert (span.attributes or {})[semconv.OTEL_LLM_COST_USD] == pytest.approx(1000 * 3e-6 + 100 * 15e-6, abs=1e-12)


def test_uninstrument_restores_every_method(
    fake_provider: FakeProvider, tracer_provider, meter_provider, span_exporter: InMemorySpanExporter
) -> None:
    originals = {name: anthropic.resources.messages.Messages.__dict__[name] for name in ("create", "stream", "parse")}
    instrumentor = AnthropicInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    assert "Messages.create" in instrumentor.wrapped_targets
    instrumentor.uninstrument()
    assert {n: anthropic.resources.messages.Messages.__dict__[n] for n in originals} == originals
    client = anthropic.Anthropic(base_url=fake_provider.anthropic_base_url, api_key="k", **sdk_tracing(tracer_provider))
    client.messages.create(**ask())
    assert all(s.instrumentation_scope.name != AnthropicInstrumentor.scope for s in span_exporter.get_finished_spans())


def test_raw_response_is_one_span_completed_by_parse(
    traced_client: anthropic.Anthropic, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(CACHED, Script(chunks=4))
    raw = traced_client.messages.with_raw_response.create(**ask())
    assert raw.headers["request-id"].startswith("req_")
    message = raw.parse()
    assert raw.parse() is message
    assert_cached_call_priced(only_span(span_exporter))

    raw_stream = traced_client.messages.with_raw_response.create(**ask(stream=True))
    events = [event.type for event in raw_stream.parse()]
    assert events.count("content_block_delta") == 4
    spans = span_exporter.get_finished_spans()
    assert len(spans) == 2 and (spans[1].attributes or {})[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 4


async def test_async_streaming_response_is_only_span(
    async_traced_client: anthropic.AsyncAnthropic, span_exporter: InMemorySpanExporter
) -> None:
    async with async_traced_client.messages.with_streaming_response.create(**ask()) as response:
        message = await response.parse()
    span = only_span(span_exporter)
    assert (span.attributes or {})[semconv.GEN_AI_RESPONSE_ID] == message.id
