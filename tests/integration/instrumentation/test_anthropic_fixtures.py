"""Fixtures shared by the anthropic instrumentation tests (imported by name, holds no tests).

The instrumentor is installed on the test's in-memory providers and removed after each test, so
tests never depend on a global tracer provider. ``sdk_tracing`` builds clients whose OWN spans
(anthropic >= 1.x) go to the same provider, which is what a user with a registered provider gets.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anthropic
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_llm.fake_provider import FakeProvider
from otel_llm.instrumentation.anthropic import AnthropicInstrumentor

MODEL = "claude-sonnet-4-6"
OUR_SCOPE = AnthropicInstrumentor.scope
SDK_HAS_OWN_SPANS = "open_telemetry" in inspect.signature(anthropic.Anthropic.__init__).parameters


def ask(**overrides: Any) -> dict[str, Any]:
    """The keyword arguments of one small Messages request."""
    return {
        "model": MODEL,
        "max_tokens": 64,
        "messages": [{"role": "user", "content": "Say hello to the test suite."}],
        **overrides,
    }


def only_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    """The one finished span; fails listing them all when there are more (a duplicate SDK span)."""
    spans = exporter.get_finished_spans()
    assert len(spans) == 1, [s.name for s in spans]
    return spans[0]


def sdk_tracing(tracer_provider: TracerProvider) -> dict[str, Any]:
    """Client options that send the SDK's own spans to ``tracer_provider`` (nothing on 0.x)."""
    return {"open_telemetry": {"tracer_provider": tracer_provider}} if SDK_HAS_OWN_SPANS else {}


@contextmanager
def instrumenting(
    tracer_provider: TracerProvider, meter_provider: MeterProvider, **options: Any
) -> Iterator[AnthropicInstrumentor]:
    instrumentor = AnthropicInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider, **options)
    try:
        yield instrumentor
    finally:
        instrumentor.uninstrument()


@pytest.fixture
def instrumented(tracer_provider: TracerProvider, meter_provider: MeterProvider) -> Iterator[AnthropicInstrumentor]:
    with instrumenting(tracer_provider, meter_provider) as instrumentor:
        yield instrumentor


@pytest.fixture
def traced_client(
    fake_provider: FakeProvider, tracer_provider: TracerProvider, instrumented: AnthropicInstrumentor
) -> Iterator[anthropic.Anthropic]:
    """A sync client created AFTER instrument(), with the SDK's own tracing on the same provider."""
    client = anthropic.Anthropic(
        base_url=fake_provider.anthropic_base_url, api_key="test-key", max_retries=2, **sdk_tracing(tracer_provider)
    )
    yield client
    client.close()


@pytest.fixture
async def async_traced_client(
    fake_provider: FakeProvider, tracer_provider: TracerProvider, instrumented: AnthropicInstrumentor
) -> Any:
    client = anthropic.AsyncAnthropic(
        base_url=fake_provider.anthropic_base_url, api_key="test-key", max_retries=2, **sdk_tracing(tracer_provider)
    )
    yield client
    await client.close()
