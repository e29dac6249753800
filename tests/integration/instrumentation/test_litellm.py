"""LiteLLM over real HTTP to the fake provider: one usage-carrying span per provider request.

The openai and anthropic instrumentors are on as well (the ``litellm_instrumentor`` fixture), so a
second span from the SDK below LiteLLM would show. Routes and readers: ``litellm_routes``.
"""

from __future__ import annotations

import asyncio
import os
import socket
from dataclasses import replace
from typing import Any

import pytest
import wrapt
from opentelemetry import context as otel_context
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from otel_llm import semconv
from otel_llm.fake_provider import FakeProvider, Script
from otel_llm.instrumentation._nesting import OPENLLMETRY_SUPPRESS_KEY
from otel_llm.instrumentation.litellm import LiteLLMInstrumentor
from tests.integration.instrumentation.litellm_routes import (
    COST,
    INPUT,
    MESSAGES,
    ROUTES,
    assert_priced,
    litellm,
    per_million,
    the_usage_span,
    usage_spans,
)

pytestmark = pytest.mark.usefixtures("litellm_instrumentor")


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


def test_uninstrument_restores_litellm(litellm_instrumentor: LiteLLMInstrumentor) -> None:
    instrumented = litellm_instrumentor
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
