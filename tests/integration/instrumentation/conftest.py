"""Instrumentors installed on in-memory OpenTelemetry providers, removed after each test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider


@pytest.fixture
def openai_instrumentor(tracer_provider: TracerProvider, meter_provider: MeterProvider) -> Iterator[Any]:
    pytest.importorskip("openai")
    from otel_llm.instrumentation.openai import OpenAIInstrumentor

    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    yield instrumentor
    instrumentor.uninstrument()


@pytest.fixture
def inject_stream_usage(
    monkeypatch: pytest.MonkeyPatch,
    openai_instrumentor: Any,
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
) -> None:
    """OTEL_LLM_OPENAI_STREAM_USAGE=inject, re-instrumenting since the setting is read by instrument()."""
    from otel_llm import semconv

    monkeypatch.setenv(semconv.ENV_OPENAI_STREAM_USAGE, "inject")
    openai_instrumentor.uninstrument()
    openai_instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)


def _instrumented(instrumentor: Any, tracer_provider: TracerProvider, meter_provider: MeterProvider) -> Iterator[Any]:
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    yield instrumentor
    instrumentor.uninstrument()


@pytest.fixture
def mistral_instrumentor(tracer_provider: TracerProvider, meter_provider: MeterProvider) -> Iterator[Any]:
    pytest.importorskip("mistralai")
    from otel_llm.instrumentation.mistralai import MistralInstrumentor

    yield from _instrumented(MistralInstrumentor(), tracer_provider, meter_provider)


@pytest.fixture
def groq_instrumentor(tracer_provider: TracerProvider, meter_provider: MeterProvider) -> Iterator[Any]:
    pytest.importorskip("groq")
    from otel_llm.instrumentation.groq import GroqInstrumentor

    yield from _instrumented(GroqInstrumentor(), tracer_provider, meter_provider)


@pytest.fixture
def cohere_instrumentor(tracer_provider: TracerProvider, meter_provider: MeterProvider) -> Iterator[Any]:
    pytest.importorskip("cohere")
    from otel_llm.instrumentation.cohere import CohereInstrumentor

    yield from _instrumented(CohereInstrumentor(), tracer_provider, meter_provider)


@pytest.fixture
def litellm_instrumentor(tracer_provider: TracerProvider, meter_provider: MeterProvider) -> Iterator[Any]:
    """LiteLLM's instrumentor, and the openai and anthropic ones beside it, as an app would have them."""
    pytest.importorskip("litellm")
    from otel_llm.instrumentation.anthropic import AnthropicInstrumentor
    from otel_llm.instrumentation.litellm import LiteLLMInstrumentor
    from otel_llm.instrumentation.openai import OpenAIInstrumentor

    ours = LiteLLMInstrumentor()
    others = [OpenAIInstrumentor(), AnthropicInstrumentor()]
    for instrumentor in (ours, *others):
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    yield ours
    for instrumentor in (*reversed(others), ours):
        instrumentor.uninstrument()


@pytest.fixture
def anthropic_instrumentor(tracer_provider: TracerProvider, meter_provider: MeterProvider) -> Iterator[Any]:
    pytest.importorskip("anthropic")
    from otel_llm.instrumentation.anthropic import AnthropicInstrumentor

    yield from _instrumented(AnthropicInstrumentor(), tracer_provider, meter_provider)


@pytest.fixture
def langchain_instrumentor(tracer_provider: TracerProvider, meter_provider: MeterProvider) -> Iterator[Any]:
    pytest.importorskip("langchain_core")
    from otel_llm.instrumentation.langchain import LangChainInstrumentor

    yield from _instrumented(LangChainInstrumentor(), tracer_provider, meter_provider)
