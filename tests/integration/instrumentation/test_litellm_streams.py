"""LiteLLM streams over real HTTP: priced from the provider's counts, the app's chunks unchanged,
one span ended once however the stream ends; and opt-in content capture, streamed and not."""

from __future__ import annotations

import gc
from dataclasses import replace

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from otel_llm import semconv
from otel_llm.fake_provider import FakeProvider, Script
from otel_llm.instrumentation.litellm import LiteLLMInstrumentor
from tests.integration.instrumentation.litellm_routes import (
    COST,
    MESSAGES,
    ROUTES,
    assert_priced,
    litellm,
    the_usage_span,
)

pytestmark = pytest.mark.usefixtures("litellm_instrumentor")


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


@pytest.mark.parametrize("stream", [False, True])
def test_content_is_recorded_only_when_switched_on(
    stream: bool,
    monkeypatch: pytest.MonkeyPatch,
    litellm_instrumentor: LiteLLMInstrumentor,
    tracer_provider: TracerProvider,
    fake_provider: FakeProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    route = ROUTES["anthropic"]
    litellm.completion(model=route.model, messages=MESSAGES, **route.options(fake_provider))
    assert semconv.GEN_AI_INPUT_MESSAGES not in (span_exporter.get_finished_spans()[0].attributes or {})  # off
    span_exporter.clear()
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "SPAN_ONLY")
    litellm_instrumentor.uninstrument()
    litellm_instrumentor.instrument(tracer_provider=tracer_provider)
    fake_provider.enqueue(Script(endpoint="/messages", text="Hello, suite.", chunks=2 if stream else None))
    response = litellm.completion(model=route.model, messages=MESSAGES, stream=stream, **route.options(fake_provider))
    if stream:
        list(response)
    attrs = dict(span_exporter.get_finished_spans()[0].attributes or {})
    assert "Say hello to the test suite." in attrs[semconv.GEN_AI_INPUT_MESSAGES]
    assert "suite." in attrs[semconv.GEN_AI_OUTPUT_MESSAGES]
