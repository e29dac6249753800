"""The request shape on real SDK spans: fingerprints, sizes and flags, never content, never a broken call."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_llm import semconv
from otel_llm.fake_provider import FakeProvider
from otel_llm.instrumentation.anthropic import AnthropicInstrumentor
from tests.integration.instrumentation.test_openai_fixtures import attrs, one_span

SYSTEM = "You answer questions about one 40-page contract. " * 120


@pytest.fixture
def anthropic_instrumentor(tracer_provider: TracerProvider, meter_provider: MeterProvider) -> Iterator[None]:
    instrumentor = AnthropicInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    yield
    instrumentor.uninstrument()


def _ask(client: openai.OpenAI, question: str, **extra: Any) -> None:
    client.chat.completions.create(model="gpt-4o-mini", max_tokens=50, **extra, messages=[
        {"role": "system", "content": SYSTEM}, {"role": "user", "content": question}])


@pytest.mark.usefixtures("openai_instrumentor")
def test_openai_spans_carry_the_shape_and_no_content(
    fake_provider: FakeProvider, openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter
) -> None:
    _ask(openai_client, "When is invoice 7 due?")
    _ask(openai_client, "When is invoice 7 due?", stream=True)  # streamed: the same request for a cache
    _ask(openai_client, "Which clause covers batch 12?")
    spans = [attrs(s) for s in span_exporter.get_finished_spans()]
    first, streamed, other = spans
    assert first[semconv.OTEL_LLM_REQUEST_FINGERPRINT] == streamed[semconv.OTEL_LLM_REQUEST_FINGERPRINT]
    assert first[semconv.OTEL_LLM_REQUEST_FINGERPRINT] != other[semconv.OTEL_LLM_REQUEST_FINGERPRINT]
    assert first[semconv.OTEL_LLM_REQUEST_PREFIX_FINGERPRINT] == other[semconv.OTEL_LLM_REQUEST_PREFIX_FINGERPRINT]
    # The prefix's tokens follow the provider's own count (the fake's: characters / 4), not bytes / 4
    # of our encoding (which counts the framing of every string too); a little low, never high.
    provider_count = len(SYSTEM) / 4
    assert 0.98 * provider_count <= first[semconv.OTEL_LLM_REQUEST_PREFIX_TOKENS] <= provider_count
    assert first[semconv.OTEL_LLM_REQUEST_CACHE_CONTROL] == semconv.CACHE_CONTROL_AUTOMATIC  # > 1024 tokens
    assert (first[semconv.OTEL_LLM_REQUEST_MESSAGE_COUNT], first[semconv.OTEL_LLM_REQUEST_TURN_INDEX]) == (2, 1)
    assert first[semconv.OTEL_LLM_REQUEST_MAX_TOKENS_SET] is True
    assert not any("invoice" in str(v) or "contract" in str(v) for a in spans for v in a.values())


@pytest.mark.usefixtures("anthropic_instrumentor")
def test_anthropic_cache_control_is_explicit(
    fake_provider: FakeProvider, anthropic_client: anthropic.Anthropic, span_exporter: InMemorySpanExporter
) -> None:
    anthropic_client.messages.create(
        model="claude-haiku-4-5", max_tokens=50,
        system=[{"type": "text", "text": SYSTEM, "cache_control": {"type": "ephemeral"}}],
        messages=[{"role": "user", "content": "hi"}])
    [span] = span_exporter.get_finished_spans()
    a = attrs(span)
    assert a[semconv.OTEL_LLM_REQUEST_CACHE_CONTROL] == semconv.CACHE_CONTROL_EXPLICIT
    assert a[semconv.OTEL_LLM_REQUEST_TOOL_COUNT] == 0 and a[semconv.OTEL_LLM_REQUEST_TURN_INDEX] == 1


@pytest.mark.usefixtures("openai_instrumentor")
def test_a_failure_of_ours_in_the_shape_costs_only_the_shape(
    monkeypatch: pytest.MonkeyPatch, fake_provider: FakeProvider, openai_client: openai.OpenAI,
    span_exporter: InMemorySpanExporter, caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(key: bytes, parts: Any) -> Any:  # a fault injected where a bug of ours would be
        raise RuntimeError("shape bug")

    monkeypatch.setattr("otel_llm.instrumentation._lifecycle.request_shape", broken)
    caplog.set_level(logging.DEBUG, logger="otel_llm.instrumentation")  # logged fully once per process
    response = openai_client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], max_tokens=5)
    assert response.choices
    a = attrs(one_span(span_exporter))
    assert semconv.OTEL_LLM_REQUEST_FINGERPRINT not in a
    assert a[semconv.GEN_AI_USAGE_INPUT_TOKENS] > 0 and semconv.OTEL_LLM_COST_USD in a
    assert "shape bug" in caplog.text


def test_shapes_can_be_turned_off(
    monkeypatch: pytest.MonkeyPatch, fake_provider: FakeProvider, openai_client: openai.OpenAI,
    span_exporter: InMemorySpanExporter, tracer_provider: TracerProvider, meter_provider: MeterProvider,
) -> None:
    from otel_llm.instrumentation.openai import OpenAIInstrumentor

    monkeypatch.setenv(semconv.ENV_REQUEST_SHAPE, "false")
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    try:
        _ask(openai_client, "hi")
    finally:
        instrumentor.uninstrument()
    assert not [k for k in attrs(one_span(span_exporter)) if k.startswith("otel_llm.request.")]


@pytest.mark.usefixtures("openai_instrumentor")
def test_parse_with_a_pydantic_response_format_gets_a_shape(
    fake_provider: FakeProvider, openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import pydantic

    class Verdict(pydantic.BaseModel):
        label: str

    openai_client.chat.completions.parse(model="gpt-4o-mini", response_format=Verdict, max_tokens=20,
                                         messages=[{"role": "user", "content": "great product"}])
    a = attrs(one_span(span_exporter))
    assert len(a[semconv.OTEL_LLM_REQUEST_FINGERPRINT]) == 32
    assert "internal error" not in caplog.text
