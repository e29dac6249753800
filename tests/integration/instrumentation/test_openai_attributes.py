"""Cost, tags, content, metrics, raw responses, Azure and uninstrument, through the real SDK."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import openai
import pytest
from opentelemetry import baggage
from opentelemetry import context as otel_context
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import otel_llm
from otel_llm import semconv
from otel_llm.fake_provider import FakeProvider, Script
from otel_llm.instrumentation.openai import OpenAIInstrumentor
from tests.integration.instrumentation.test_openai_fixtures import MODEL, attrs, chat, one_span, our_spans

instrumented = pytest.mark.usefixtures("openai_instrumentor")


@instrumented
def test_gpt4o_cost_with_1000_of_1200_input_tokens_cached(
    fake_provider: FakeProvider, openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(prompt_tokens=1200, cached_tokens=1000, completion_tokens=100))
    openai_client.chat.completions.create(**chat())
    a = attrs(one_span(span_exporter))
    # gpt-4o: $2.50 / 1M input, $1.25 / 1M cached input, $10 / 1M output.
    uncached, cached, output = 200 * 2.50e-6, 1000 * 1.25e-6, 100 * 10e-6
    assert a[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 1200
    assert a[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 1000
    assert a[semconv.OTEL_LLM_COST_INPUT_USD] == pytest.approx(uncached)
    assert a[semconv.OTEL_LLM_COST_CACHE_READ_USD] == pytest.approx(cached)
    assert a[semconv.OTEL_LLM_COST_OUTPUT_USD] == pytest.approx(output)
    assert a[semconv.OTEL_LLM_COST_USD] == pytest.approx(0.00275)
    assert a[semconv.OTEL_LLM_CACHE_HIT] is True
    assert a[semconv.OTEL_LLM_CACHE_SAVINGS_USD] == pytest.approx(1000 * (2.50e-6 - 1.25e-6))


@instrumented
def test_unknown_model_has_no_cost_and_is_flagged(
    openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter, metric_reader: InMemoryMetricReader
) -> None:
    openai_client.chat.completions.create(**chat(model="my-own-finetune-xyz"))
    a = attrs(one_span(span_exporter))
    assert a[semconv.OTEL_LLM_COST_UNKNOWN_MODEL] is True
    assert semconv.OTEL_LLM_COST_USD not in a
    assert _metric_points(metric_reader)[semconv.METRIC_UNKNOWN_MODEL_CALLS][0].value == 1


@instrumented
def test_tags_from_context_manager(openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter) -> None:
    with otel_llm.tag(feature="document_analysis", user_id="acme_corp_001", session_id="s1", team="search"):
        openai_client.chat.completions.create(**chat())
    a = attrs(one_span(span_exporter))
    assert a[semconv.OTEL_LLM_FEATURE] == "document_analysis"
    assert a[semconv.ENDUSER_ID] == a[semconv.USER_ID] == "acme_corp_001"
    assert a[semconv.SESSION_ID] == "s1"
    assert a[semconv.OTEL_LLM_TAG_PREFIX + "team"] == "search"


@instrumented
async def test_tags_from_w3c_baggage(
    async_openai_client: openai.AsyncOpenAI, span_exporter: InMemorySpanExporter
) -> None:
    ctx = baggage.set_baggage(semconv.BAGGAGE_FEATURE, "upstream_feature")
    ctx = baggage.set_baggage(semconv.BAGGAGE_USER_ID, "u-42", ctx)
    token = otel_context.attach(ctx)
    try:
        await async_openai_client.chat.completions.create(**chat())
    finally:
        otel_context.detach(token)
    a = attrs(one_span(span_exporter))
    assert a[semconv.OTEL_LLM_FEATURE] == "upstream_feature"
    assert a[semconv.USER_ID] == "u-42"


@instrumented
def test_default_feature_for_untagged_calls(
    monkeypatch: pytest.MonkeyPatch, openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter
) -> None:
    monkeypatch.setenv(semconv.ENV_DEFAULT_FEATURE, "background_jobs")
    openai_client.embeddings.create(model="text-embedding-3-small", input="x")
    assert attrs(one_span(span_exporter))[semconv.OTEL_LLM_FEATURE] == "background_jobs"


@instrumented
def test_content_is_off_by_default(openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter) -> None:
    openai_client.chat.completions.create(**chat())
    span = one_span(span_exporter)
    assert not {semconv.GEN_AI_INPUT_MESSAGES, semconv.GEN_AI_OUTPUT_MESSAGES} & set(attrs(span))
    assert "Say hello" not in json.dumps(attrs(span))
    assert "test-key" not in json.dumps(attrs(span))


@pytest.fixture
def with_content(
    monkeypatch: pytest.MonkeyPatch, tracer_provider: TracerProvider, meter_provider: MeterProvider
) -> Iterator[Callable[[Callable[[str], str]], None]]:
    """Instrument with content capture on (the env var) and a given redactor; undone after the test."""
    instrumentor = OpenAIInstrumentor()

    def start(redactor: Callable[[str], str]) -> None:
        monkeypatch.setenv(semconv.ENV_CAPTURE_CONTENT, "SPAN_ONLY")
        instrumentor.instrument(
            tracer_provider=tracer_provider, meter_provider=meter_provider, content_redactor=redactor
        )

    yield start
    if instrumentor.telemetry is not None:
        instrumentor.uninstrument()


@pytest.mark.parametrize("stream", [False, True])
def test_content_on_with_the_env_var_and_redactor(
    stream: bool,
    with_content: Callable[[Callable[[str], str]], None],
    openai_client: openai.OpenAI,
    span_exporter: InMemorySpanExporter,
) -> None:
    with_content(lambda t: t.replace("test", "***"))
    result = openai_client.chat.completions.create(**chat(stream=stream))
    text = "".join(c.choices[0].delta.content or "" for c in result) if stream else result.choices[0].message.content
    a = attrs(one_span(span_exporter))
    assert json.loads(a[semconv.GEN_AI_SYSTEM_INSTRUCTIONS]) == [{"type": "text", "content": "Be brief."}]
    (user,) = json.loads(a[semconv.GEN_AI_INPUT_MESSAGES])
    assert user == {"role": "user", "parts": [{"type": "text", "content": "Say hello to the *** suite."}]}
    (answer,) = json.loads(a[semconv.GEN_AI_OUTPUT_MESSAGES])
    assert answer["role"] == "assistant" and answer["finish_reason"] == "stop"
    assert answer["parts"][0]["content"] == text.replace("test", "***")


def _metric_points(reader: InMemoryMetricReader) -> dict[str, list[Any]]:
    data = reader.get_metrics_data()
    points: dict[str, list[Any]] = {}
    for rm in data.resource_metrics if data else ():
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                points.setdefault(metric.name, []).extend(metric.data.data_points)
    return points


@instrumented
def test_metrics_with_advised_buckets_and_no_user_id(
    fake_provider: FakeProvider,
    openai_client: openai.OpenAI,
    metric_reader: InMemoryMetricReader,
) -> None:
    fake_provider.enqueue(Script(prompt_tokens=1200, cached_tokens=1000, completion_tokens=100))
    with otel_llm.tag(feature="checkout", user_id="secret-user"):
        openai_client.chat.completions.create(**chat())
        list(openai_client.chat.completions.create(**chat(stream=True)))
    points = _metric_points(metric_reader)
    tokens = points[semconv.METRIC_TOKEN_USAGE]
    assert {p.attributes[semconv.GEN_AI_TOKEN_TYPE] for p in tokens} == {"input", "output"}
    assert tuple(tokens[0].explicit_bounds) == tuple(float(b) for b in semconv.TOKEN_USAGE_BUCKETS)
    duration = points[semconv.METRIC_OPERATION_DURATION]
    assert tuple(duration[0].explicit_bounds) == semconv.DURATION_BUCKETS
    assert sum(p.count for p in duration) == 2
    ttfc = points[semconv.METRIC_TIME_TO_FIRST_CHUNK]
    assert sum(p.count for p in ttfc) == 1 and tuple(ttfc[0].explicit_bounds) == semconv.DURATION_BUCKETS
    (cost,) = points[semconv.METRIC_COST]
    assert cost.attributes[semconv.OTEL_LLM_FEATURE] == "checkout"
    assert cost.value > 0.00275  # the cached call plus the estimated stream
    for name, series in points.items():
        for point in series:
            assert "secret-user" not in point.attributes.values(), name


@instrumented
def test_raw_response_is_traced_once_and_parses(
    openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter
) -> None:
    raw = openai_client.chat.completions.with_raw_response.create(**chat())
    assert raw.headers.get("content-type", "").startswith("application/json")
    completion = raw.parse()
    assert completion is raw.parse()
    a = attrs(one_span(span_exporter))
    assert a[semconv.GEN_AI_RESPONSE_ID] == completion.id
    assert a[semconv.OTEL_LLM_COST_USD] > 0


@instrumented
def test_raw_streamed_response_parses_to_a_traced_stream(
    openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter
) -> None:
    raw = openai_client.chat.completions.with_raw_response.create(**chat(stream=True))
    stream = raw.parse()
    assert isinstance(stream, openai.Stream)
    assert len(list(stream)) > 2
    assert attrs(one_span(span_exporter))[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] > 0


@instrumented
async def test_streaming_response_is_traced_once(
    openai_client: openai.OpenAI, async_openai_client: openai.AsyncOpenAI, span_exporter: InMemorySpanExporter
) -> None:
    with openai_client.chat.completions.with_streaming_response.create(**chat()) as response:
        sync_id = response.parse().id
    async with async_openai_client.responses.with_streaming_response.create(model=MODEL, input="hi") as aresponse:
        async_id = (await aresponse.parse()).id
    spans = our_spans(span_exporter)
    assert [attrs(s)[semconv.GEN_AI_RESPONSE_ID] for s in spans] == [sync_id, async_id]


@instrumented
def test_unparsed_streaming_response_still_ends_its_span(
    openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter
) -> None:
    with openai_client.chat.completions.with_streaming_response.create(**chat()) as response:
        assert b"choices" in response.read()
    span = one_span(span_exporter)
    assert semconv.OTEL_LLM_COST_USD not in attrs(span)


@instrumented
def test_azure_deployment_is_the_model_and_provider_is_azure(
    fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    client = openai.AzureOpenAI(azure_endpoint=fake_provider.azure_endpoint, api_key="k", api_version="2024-10-21")
    client.chat.completions.create(**chat(model="prod-chat-deployment"))
    span = one_span(span_exporter)
    a = attrs(span)
    assert span.name == "chat prod-chat-deployment"
    assert a[semconv.GEN_AI_PROVIDER_NAME] == semconv.PROVIDER_AZURE_OPENAI
    assert a[semconv.GEN_AI_REQUEST_MODEL] == "prod-chat-deployment"
    assert "/openai/deployments/prod-chat-deployment/" in fake_provider.requests[-1].path


def test_uninstrument_restores_the_sdk(
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    openai_client: openai.OpenAI,
    span_exporter: InMemorySpanExporter,
) -> None:
    from openai.resources.chat.completions import Completions

    original = Completions.__dict__["create"]
    inst = OpenAIInstrumentor()
    inst.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    assert Completions.__dict__["create"] is not original
    inst.uninstrument()
    assert Completions.__dict__["create"] is original
    openai_client.chat.completions.create(**chat())
    assert span_exporter.get_finished_spans() == ()


@pytest.mark.parametrize("stream", [False, True])
def test_a_failing_redactor_drops_content_but_not_the_call_or_its_cost(
    stream: bool,
    with_content: Callable[[Callable[[str], str]], None],
    openai_client: openai.OpenAI,
    span_exporter: InMemorySpanExporter,
) -> None:
    def broken_redactor(text: str) -> str:
        raise RuntimeError("redactor bug")

    with_content(broken_redactor)
    result = openai_client.chat.completions.create(**chat(stream=stream))
    assert list(result) if stream else result.choices
    a = attrs(one_span(span_exporter))
    assert semconv.GEN_AI_INPUT_MESSAGES not in a and semconv.GEN_AI_OUTPUT_MESSAGES not in a
    assert a[semconv.OTEL_LLM_COST_USD] > 0


@instrumented
def test_a_changed_base_url_is_seen_by_the_next_call(
    openai_client: openai.OpenAI, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    """The endpoint is cached per client URL object; assigning ``base_url`` must not keep the old host."""
    openai_client.chat.completions.create(**chat())
    openai_client.base_url = fake_provider.openai_base_url.replace("127.0.0.1", "localhost")
    openai_client.chat.completions.create(**chat())
    hosts = [attrs(s)[semconv.SERVER_ADDRESS] for s in sorted(our_spans(span_exporter), key=lambda s: s.start_time)]
    assert hosts == ["127.0.0.1", "localhost"]
