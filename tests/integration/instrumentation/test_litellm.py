"""LiteLLM over real HTTP to the fake provider: one usage-carrying span per provider request.

Every route LiteLLM offers that the fake provider speaks is called for real (LiteLLM's own HTTP
client for Anthropic, Gemini and Bedrock; the openai SDK underneath for ``openai/`` and
``azure/``), with the openai and anthropic instrumentors switched on as well, so a second span
from below would show. Costs are hand-computed from the list prices (per million tokens) in
each test, to the micro-dollar, cache reads and writes included.
"""

from __future__ import annotations

import asyncio
import gc
import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import pytest
import wrapt

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # LiteLLM reads it on import: no internet
litellm = pytest.importorskip("litellm")

from opentelemetry import context as otel_context  # noqa: E402
from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402
from opentelemetry.trace import StatusCode  # noqa: E402

from otel_llm import semconv  # noqa: E402
from otel_llm.fake_provider import FakeProvider, Script  # noqa: E402
from otel_llm.instrumentation._nesting import OPENLLMETRY_SUPPRESS_KEY  # noqa: E402
from otel_llm.instrumentation.anthropic import AnthropicInstrumentor  # noqa: E402
from otel_llm.instrumentation.litellm import LiteLLMInstrumentor  # noqa: E402
from otel_llm.instrumentation.openai import OpenAIInstrumentor  # noqa: E402
from tests.fixtures.provider import API_KEY  # noqa: E402

MESSAGES = [{"role": "user", "content": "Say hello to the test suite."}]
COST = semconv.OTEL_LLM_COST_USD
INPUT = semconv.GEN_AI_USAGE_INPUT_TOKENS


@pytest.fixture
def instrumented(tracer_provider: TracerProvider, meter_provider: MeterProvider) -> Iterator[LiteLLMInstrumentor]:
    """LiteLLM's instrumentor, and the openai and anthropic ones beside it, as an app would have them."""
    ours = LiteLLMInstrumentor()
    instrumentors = [ours, OpenAIInstrumentor(), AnthropicInstrumentor()]
    for instrumentor in instrumentors:
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    yield ours
    for instrumentor in reversed(instrumentors):
        instrumentor.uninstrument()


pytestmark = pytest.mark.usefixtures("instrumented")


def usage_spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    """Every finished span that carries usage, whoever emitted it."""
    return [s for s in exporter.get_finished_spans() if INPUT in (s.attributes or {})]


def the_usage_span(exporter: InMemorySpanExporter) -> dict[str, Any]:
    spans = usage_spans(exporter)
    assert len(spans) == 1, [(s.instrumentation_scope.name, s.name) for s in spans]
    assert spans[0].instrumentation_scope.name == LiteLLMInstrumentor.scope
    return dict(spans[0].attributes or {})


def per_million(**tokens_at_price: tuple[int, str]) -> float:
    """Hand-computed cost: each (tokens, USD per million tokens) pair, summed exactly."""
    return float(sum(Decimal(n) * Decimal(price) for n, price in tokens_at_price.values()) / 1_000_000)


@dataclass(frozen=True)
class Route:
    """One LiteLLM route: how to call it, what the provider reports, and what we must record."""

    model: str
    options: Callable[[FakeProvider], dict[str, Any]]
    script: Script
    provider: str
    usage: tuple[int, int, int, int, int]  # input (cache included), output, cache read, cache write, reasoning
    cost: float


ROUTES = {
    # LiteLLM drives the openai SDK; OpenAI's prompt_tokens include the cached ones.
    "openai": Route(
        "openai/gpt-4o-mini",
        lambda fp: {"api_base": fp.openai_base_url, "api_key": API_KEY},
        Script(endpoint="/chat/completions", prompt_tokens=500, cached_tokens=200, completion_tokens=7),
        semconv.PROVIDER_OPENAI,
        (500, 7, 200, 0, 0),
        per_million(uncached=(300, "0.15"), cached=(200, "0.075"), output=(7, "0.60")),
    ),
    # LiteLLM's own HTTP client; Anthropic's input_tokens EXCLUDE cache reads and both cache writes.
    "anthropic": Route(
        "anthropic/claude-sonnet-4-5",
        lambda fp: {"api_base": fp.anthropic_base_url, "api_key": API_KEY},
        Script(
            endpoint="/messages",
            input_tokens=100,
            output_tokens=20,
            cache_read_tokens=1000,
            cache_write_5m_tokens=300,
            cache_write_1h_tokens=200,
        ),
        semconv.PROVIDER_ANTHROPIC,
        (1600, 20, 1000, 500, 0),
        per_million(
            uncached=(100, "3"), read=(1000, "0.30"), write_5m=(300, "3.75"), write_1h=(200, "6"), output=(20, "15")
        ),
    ),
    # Gemini's promptTokenCount includes cached content; thoughts are billed as output.
    "gemini": Route(
        "gemini/gemini-2.5-flash",
        lambda fp: {"api_base": fp.url + "/v1beta", "api_key": API_KEY},
        Script(
            endpoint=":generateContent",
            prompt_token_count=1000,
            cached_content_token_count=400,
            candidates_token_count=50,
            thoughts_token_count=30,
        ),
        semconv.PROVIDER_GCP_GEMINI,
        (1000, 80, 400, 0, 30),
        per_million(uncached=(600, "0.30"), cached=(400, "0.03"), output=(80, "2.50")),
    ),
    # Bedrock Converse (SigV4 over LiteLLM's client); a US cross-region profile, priced as Bedrock lists it.
    "bedrock": Route(
        "bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        lambda fp: {
            "aws_bedrock_runtime_endpoint": fp.url,
            "aws_region_name": "us-east-1",
            "aws_access_key_id": "test",
            "aws_secret_access_key": "test",
        },
        Script(
            endpoint="/converse", input_tokens=100, output_tokens=20, cache_read_tokens=1000, cache_write_5m_tokens=300
        ),
        semconv.PROVIDER_AWS_BEDROCK,
        (1400, 20, 1000, 300, 0),
        per_million(uncached=(100, "3.30"), read=(1000, "0.33"), write=(300, "4.125"), output=(20, "16.50")),
    ),
    # The openai SDK's AzureOpenAI client; priced at the model Azure reports behind the deployment.
    "azure": Route(
        "azure/gpt-4o",
        lambda fp: {"api_base": fp.azure_endpoint, "api_key": API_KEY, "api_version": "2024-10-21"},
        Script(endpoint="/chat/completions", prompt_tokens=500, cached_tokens=200, completion_tokens=7),
        semconv.PROVIDER_AZURE_OPENAI,
        (500, 7, 200, 0, 0),
        per_million(uncached=(300, "2.50"), cached=(200, "1.25"), output=(7, "10")),
    ),
}


def assert_priced(attrs: dict[str, Any], route: Route) -> None:
    assert attrs[semconv.GEN_AI_PROVIDER_NAME] == route.provider
    assert attrs[semconv.GEN_AI_REQUEST_MODEL] == route.model  # as the user wrote it
    got = (
        attrs[INPUT],
        attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS],
        attrs[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS],
        attrs[semconv.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS],
        attrs.get(semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, 0),
    )
    assert got == route.usage
    assert attrs[COST] == pytest.approx(route.cost, abs=1e-12)
    assert not attrs.get(semconv.OTEL_LLM_USAGE_ESTIMATED)


@pytest.mark.parametrize("name", list(ROUTES))
def test_each_route_is_one_priced_span_with_its_cache_tokens(
    name: str, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    route = ROUTES[name]
    fake_provider.enqueue(route.script)
    response = litellm.completion(model=route.model, messages=MESSAGES, **route.options(fake_provider))
    assert len(fake_provider.requests) == 1
    attrs = the_usage_span(span_exporter)
    assert_priced(attrs, route)
    # No span at all from the SDK LiteLLM drives underneath (openai/azure), even with its instrumentor on.
    assert [s.instrumentation_scope.name for s in span_exporter.get_finished_spans()] == [LiteLLMInstrumentor.scope]
    # LiteLLM's own cost is kept beside ours, exactly as LiteLLM computed it.
    assert attrs[semconv.OTEL_LLM_COST_REPORTED_USD] == response._hidden_params["response_cost"]
    if name == "anthropic":  # LiteLLM adds cache reads and writes into prompt_tokens, as we count input
        assert response.usage.prompt_tokens == attrs[INPUT]
        assert attrs[semconv.OTEL_LLM_USAGE_CACHE_WRITE_1H_INPUT_TOKENS] == 200


@pytest.mark.parametrize("name", ["openai", "anthropic"])
async def test_acompletion_is_one_priced_span(
    name: str, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    route = ROUTES[name]
    fake_provider.enqueue(route.script)
    await litellm.acompletion(model=route.model, messages=MESSAGES, **route.options(fake_provider))
    assert_priced(the_usage_span(span_exporter), route)
    assert len(span_exporter.get_finished_spans()) == 1


@pytest.mark.parametrize("name", ["anthropic", "gemini", "bedrock"])
def test_stream_is_priced_from_the_providers_counts_and_the_user_sees_the_same_chunks(
    name: str, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    """We ask LiteLLM for the usage chunk (its usage without the ask lacks the cache counts on some
    versions, and Bedrock's altogether on 1.110); the provider's request does not change, and the
    usage-only chunk LiteLLM then adds is hidden from the app."""
    route = ROUTES[name]
    fake_provider.enqueue(replace(route.script, endpoint=None, chunks=3))
    stream = litellm.completion(model=route.model, messages=MESSAGES, stream=True, **route.options(fake_provider))
    assert isinstance(stream, litellm.CustomStreamWrapper)
    chunks = list(stream)
    assert len(chunks) >= 3 and all(c.choices for c in chunks)  # no usage-only chunk reached the app
    assert "stream_options" not in fake_provider.requests[0].body
    attrs = the_usage_span(span_exporter)
    assert_priced(attrs, route)
    assert semconv.OTEL_LLM_COST_REPORTED_USD not in attrs  # LiteLLM prices streams later, off the call path


def test_openai_stream_with_include_usage_is_exact_and_the_user_keeps_the_usage_chunk(
    fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    route = ROUTES["openai"]
    fake_provider.enqueue(replace(route.script, chunks=3))
    stream = litellm.completion(
        model=route.model,
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
        **route.options(fake_provider),
    )
    chunks = list(stream)
    assert chunks[-1].usage.prompt_tokens == 500  # the app asked for the usage chunk: it gets it
    assert_priced(the_usage_span(span_exporter), route)
    assert len(span_exporter.get_finished_spans()) == 1


def test_openai_stream_without_usage_is_estimated_and_flagged(
    fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    route = ROUTES["openai"]
    stream = litellm.completion(model=route.model, messages=MESSAGES, stream=True, **route.options(fake_provider))
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text
    assert fake_provider.requests[0].body.get("stream_options") is None  # the request was not changed
    attrs = the_usage_span(span_exporter)
    assert attrs[semconv.OTEL_LLM_USAGE_ESTIMATED] is True
    assert attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] > 0


async def test_async_stream_is_one_priced_span(
    fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    route = ROUTES["anthropic"]
    fake_provider.enqueue(replace(route.script, chunks=2))
    stream = await litellm.acompletion(
        model=route.model, messages=MESSAGES, stream=True, **route.options(fake_provider)
    )
    chunks = [c async for c in stream]
    assert len(chunks) == 3
    assert_priced(the_usage_span(span_exporter), route)


def test_a_stream_left_early_ends_its_span_once_without_error(
    fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    route = ROUTES["anthropic"]
    fake_provider.enqueue(Script(endpoint="/messages", chunks=5))
    stream = litellm.completion(model=route.model, messages=MESSAGES, stream=True, **route.options(fake_provider))
    for _ in stream:
        break
    del stream
    gc.collect()
    (span,) = span_exporter.get_finished_spans()
    assert span.status.status_code is not StatusCode.ERROR
    # Anthropic's counts arrive at the end of the stream: what was left is estimated and says so.
    assert dict(span.attributes or {})[semconv.OTEL_LLM_USAGE_ESTIMATED] is True


def test_a_stream_broken_by_the_provider_is_an_error_span(
    fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    route = ROUTES["anthropic"]
    fake_provider.enqueue(Script(endpoint="/messages", chunks=5, fail_mid_stream=2, fail_mode="error_event"))
    stream = litellm.completion(model=route.model, messages=MESSAGES, stream=True, **route.options(fake_provider))
    with pytest.raises(Exception):  # noqa: B017 - whichever LiteLLM exception maps the error event
        for _ in stream:
            pass
    (span,) = span_exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert COST not in (span.attributes or {})


def _router(fake_provider: FakeProvider, **settings: Any) -> Any:
    anthropic = {"model": ROUTES["anthropic"].model, **ROUTES["anthropic"].options(fake_provider)}
    openai = {"model": ROUTES["openai"].model, **ROUTES["openai"].options(fake_provider)}
    return litellm.Router(
        model_list=[
            {"model_name": "primary", "litellm_params": anthropic},
            {"model_name": "backup", "litellm_params": openai},
        ],
        **settings,
    )


def _outcomes(exporter: InMemorySpanExporter) -> list[tuple[str, str | None, bool]]:
    """(request model, error type, carries usage) of every span, in the order they ended."""
    return [
        (
            dict(s.attributes or {})[semconv.GEN_AI_REQUEST_MODEL],
            dict(s.attributes or {}).get(semconv.ERROR_TYPE),
            INPUT in (s.attributes or {}),
        )
        for s in exporter.get_finished_spans()
    ]


@pytest.mark.parametrize("status", [429, 500])
def test_router_retries_are_one_error_span_each_and_one_usage_span(
    status: int, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    router = _router(fake_provider, num_retries=2, retry_after=0)
    fake_provider.enqueue(Script(endpoint="/messages", status=status))
    router.completion(model="primary", messages=MESSAGES)
    assert len(fake_provider.requests) == 2
    model = ROUTES["anthropic"].model
    assert _outcomes(span_exporter) == [(model, str(status), False), (model, None, True)]


async def test_router_fallback_prices_the_request_that_succeeded(
    fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    router = _router(fake_provider, num_retries=0, fallbacks=[{"primary": ["backup"]}])
    fake_provider.enqueue(Script(endpoint="/messages", status=500))
    route = ROUTES["openai"]
    fake_provider.enqueue(route.script)
    await router.acompletion(model="primary", messages=MESSAGES)
    assert [r.path for r in fake_provider.requests] == ["/v1/messages", "/v1/chat/completions"]
    assert _outcomes(span_exporter) == [(ROUTES["anthropic"].model, "500", False), (route.model, None, True)]
    assert_priced(the_usage_span(span_exporter), route)


async def test_router_stream_is_one_priced_span(
    fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    router = _router(fake_provider, num_retries=0)
    route = ROUTES["anthropic"]
    fake_provider.enqueue(replace(route.script, chunks=3))
    stream = await router.acompletion(model="primary", messages=MESSAGES, stream=True)
    assert len([c async for c in stream]) == 4
    assert_priced(the_usage_span(span_exporter), route)
    assert len(span_exporter.get_finished_spans()) == 1


def test_litellm_num_retries_retry_inside_the_one_span(
    fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    route = ROUTES["anthropic"]
    fake_provider.enqueue(Script(endpoint="/messages", status=500), route.script)
    litellm.completion(model=route.model, messages=MESSAGES, num_retries=2, **route.options(fake_provider))
    assert len(fake_provider.requests) == 2
    assert_priced(the_usage_span(span_exporter), route)
    assert len(span_exporter.get_finished_spans()) == 1


def test_a_429_retried_by_the_openai_sdk_underneath_is_one_span(
    fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    route = ROUTES["openai"]
    fake_provider.enqueue(Script(endpoint="/chat/completions", status=429), route.script)
    litellm.completion(model=route.model, messages=MESSAGES, **route.options(fake_provider))
    assert len(fake_provider.requests) == 2
    assert_priced(the_usage_span(span_exporter), route)
    assert len(span_exporter.get_finished_spans()) == 1


def test_an_error_is_recorded_and_reraised_untouched(
    fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    route = ROUTES["anthropic"]
    fake_provider.enqueue(Script(endpoint="/messages", status=429))
    with pytest.raises(litellm.RateLimitError):
        litellm.completion(model=route.model, messages=MESSAGES, **route.options(fake_provider))
    (span,) = span_exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert dict(span.attributes or {})[semconv.ERROR_TYPE] == "429"
    assert INPUT not in (span.attributes or {})


def test_embedding_and_aembedding_are_priced(fake_provider: FakeProvider, span_exporter: InMemorySpanExporter) -> None:
    options = ROUTES["openai"].options(fake_provider)
    fake_provider.enqueue(Script(endpoint="/embeddings", prompt_tokens=1000))
    litellm.embedding(model="openai/text-embedding-3-small", input=["hello"], **options)
    fake_provider.enqueue(Script(endpoint="/embeddings", prompt_tokens=1000))
    asyncio.run(litellm.aembedding(model="openai/text-embedding-3-small", input=["hello"], **options))
    spans = usage_spans(span_exporter)
    assert len(spans) == 2 and len(span_exporter.get_finished_spans()) == 2
    for span in spans:
        attrs = dict(span.attributes or {})
        assert attrs[semconv.GEN_AI_OPERATION_NAME] == semconv.OP_EMBEDDINGS
        assert attrs[COST] == pytest.approx(per_million(input=(1000, "0.02")), abs=1e-12)


def test_text_completion_is_one_span_although_it_calls_completion(
    fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(endpoint="/completions", prompt_tokens=40, completion_tokens=10))
    options = ROUTES["openai"].options(fake_provider)
    litellm.text_completion(model="openai/gpt-3.5-turbo-instruct", prompt="Say hi", **options)
    attrs = the_usage_span(span_exporter)
    assert len(span_exporter.get_finished_spans()) == 1
    assert attrs[semconv.GEN_AI_OPERATION_NAME] == semconv.OP_TEXT_COMPLETION
    assert attrs[COST] == pytest.approx(per_million(input=(40, "1.50"), output=(10, "2")), abs=1e-12)


def test_model_and_messages_given_positionally(
    fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    route = ROUTES["openai"]
    fake_provider.enqueue(route.script)
    litellm.completion(route.model, MESSAGES, **route.options(fake_provider))
    assert_priced(the_usage_span(span_exporter), route)


def test_openllmetry_suppression_key_leaves_the_call_to_the_framework_span(
    fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    route = ROUTES["anthropic"]
    token = otel_context.attach(otel_context.set_value(OPENLLMETRY_SUPPRESS_KEY, True))
    try:
        response = litellm.completion(model=route.model, messages=MESSAGES, **route.options(fake_provider))
    finally:
        otel_context.detach(token)
    assert response.usage.prompt_tokens > 0
    assert span_exporter.get_finished_spans() == ()


def test_inside_our_call_other_projects_instrumentations_are_asked_to_stay_silent(
    monkeypatch: pytest.MonkeyPatch, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    """LiteLLM's pre-call hook runs just before the request goes out: OpenLLMetry's key is set there."""
    from litellm.integrations.custom_logger import CustomLogger

    seen: list[Any] = []

    class Probe(CustomLogger):  # type: ignore[misc]
        def log_pre_api_call(self, model: Any, messages: Any, kwargs: Any) -> None:
            seen.append(otel_context.get_value(OPENLLMETRY_SUPPRESS_KEY))

    monkeypatch.setattr(litellm, "callbacks", [Probe()])
    route = ROUTES["anthropic"]
    litellm.completion(model=route.model, messages=MESSAGES, **route.options(fake_provider))
    assert seen == [True]
    assert otel_context.get_value(OPENLLMETRY_SUPPRESS_KEY) is None  # and cleared after it
    assert len(usage_spans(span_exporter)) == 1


@pytest.mark.parametrize("stream", [False, True])
def test_content_is_recorded_only_when_switched_on(
    stream: bool,
    monkeypatch: pytest.MonkeyPatch,
    instrumented: LiteLLMInstrumentor,
    tracer_provider: TracerProvider,
    fake_provider: FakeProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    route = ROUTES["anthropic"]
    litellm.completion(model=route.model, messages=MESSAGES, **route.options(fake_provider))
    assert semconv.GEN_AI_INPUT_MESSAGES not in (span_exporter.get_finished_spans()[0].attributes or {})  # off
    span_exporter.clear()
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "SPAN_ONLY")
    instrumented.uninstrument()
    instrumented.instrument(tracer_provider=tracer_provider)
    fake_provider.enqueue(Script(endpoint="/messages", text="Hello, suite.", chunks=2 if stream else None))
    response = litellm.completion(model=route.model, messages=MESSAGES, stream=stream, **route.options(fake_provider))
    if stream:
        list(response)
    attrs = dict(span_exporter.get_finished_spans()[0].attributes or {})
    assert "Say hello to the test suite." in attrs[semconv.GEN_AI_INPUT_MESSAGES]
    assert "suite." in attrs[semconv.GEN_AI_OUTPUT_MESSAGES]


def test_a_mocked_call_is_not_traced(span_exporter: InMemorySpanExporter) -> None:
    """``mock_response`` makes up a reply and its usage without calling any model: nothing to price."""
    response = litellm.completion(model=ROUTES["anthropic"].model, messages=MESSAGES, mock_response="hi")
    assert response.usage.completion_tokens > 0  # LiteLLM invents usage for it
    assert span_exporter.get_finished_spans() == ()


def test_a_response_from_litellms_cache_carries_no_usage(
    monkeypatch: pytest.MonkeyPatch, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    """The second, cached answer repeats the first one's usage; it was billed once, so counted once."""
    for module in ("fastapi", "orjson", "soundfile"):  # LiteLLM 1.110's cache imports its proxy's modules
        pytest.importorskip(module)
    monkeypatch.setattr(litellm, "cache", litellm.Cache(type="local"))
    route = ROUTES["anthropic"]
    fake_provider.enqueue(route.script)
    for _ in range(2):
        litellm.completion(model=route.model, messages=MESSAGES, caching=True, **route.options(fake_provider))
    assert len(fake_provider.requests) == 1
    assert_priced(the_usage_span(span_exporter), route)
    cached = dict(span_exporter.get_finished_spans()[1].attributes or {})
    assert cached[semconv.OTEL_LLM_GATEWAY_CACHE_HIT] is True
    assert COST not in cached and semconv.OTEL_LLM_COST_UNKNOWN_MODEL not in cached


def test_nothing_on_the_call_path_needs_the_network(
    monkeypatch: pytest.MonkeyPatch, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    """Only the fake provider on 127.0.0.1 is reached: no price map, no telemetry, no lookups."""
    reached: list[Any] = []
    connect = socket.socket.connect

    def loopback_only(sock: socket.socket, address: Any) -> Any:
        reached.append(address)
        if not (isinstance(address, tuple) and address[0] in ("127.0.0.1", "::1")):
            raise OSError(f"test: no network ({address!r})")
        return connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", loopback_only)
    for name in ("anthropic", "gemini"):
        route = ROUTES[name]
        fake_provider.enqueue(route.script)
        litellm.completion(model=route.model, messages=MESSAGES, **route.options(fake_provider))
    assert all(address[0] == "127.0.0.1" for address in reached)
    assert len(usage_spans(span_exporter)) == 2


def test_uninstrument_restores_litellm(instrumented: LiteLLMInstrumentor) -> None:
    assert len(instrumented.wrapped_targets) == 12  # six functions, on litellm and on litellm.main
    assert isinstance(litellm.completion, wrapt.FunctionWrapper)
    instrumented.uninstrument()
    assert not isinstance(litellm.completion, wrapt.FunctionWrapper)
    assert not isinstance(litellm.main.acompletion, wrapt.FunctionWrapper)


_LATE_IMPORT_APP = """
import sys
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from otel_llm.instrumentation.litellm import LiteLLMInstrumentor

spans = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(spans))
LiteLLMInstrumentor().instrument(tracer_provider=provider)
assert "litellm" not in sys.modules, "instrument() imported litellm"
from litellm import completion  # the app's own import, after instrument()

completion(model="anthropic/claude-sonnet-4-5", messages=[{"role": "user", "content": "hi"}],
           api_base=sys.argv[1], api_key="test-key")
print(len(spans.get_finished_spans()))
"""


def test_instrument_waits_for_the_apps_own_import_of_litellm(fake_provider: FakeProvider, tmp_path: Any) -> None:
    """``opentelemetry-instrument`` instruments every installed SDK; importing litellm costs seconds,
    so an app that never imports it must not pay for it, and one that imports it later is traced."""
    import subprocess
    import sys

    app = tmp_path / "late_import.py"
    app.write_text(_LATE_IMPORT_APP)
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    done = subprocess.run(
        [sys.executable, str(app), fake_provider.anthropic_base_url],
        capture_output=True, text=True, timeout=300, env=env, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"
