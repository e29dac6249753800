"""A MeterProvider nobody reads (``OTEL_METRICS_EXPORTER=none``) gets no metric points; spans are unchanged.

The SDK's ``MeterProvider`` takes its readers when it is built, and ``opentelemetry-instrument``
with ``OTEL_METRICS_EXPORTER=none`` (the README's commands) builds one with none: every point
recorded there goes nowhere. The instrumentors then record none (about 27 µs of every call in
situ), and everything else about the call is as before.
"""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_llm import semconv
from otel_llm.fake_provider import FakeProvider, Script
from otel_llm.instrumentation._instrumentor import metrics_read

genai = pytest.importorskip("google.genai")
from google.genai import types  # noqa: E402

from otel_llm.instrumentation.google_genai import GoogleGenAIInstrumentor  # noqa: E402

# What differs between two calls of the same request: the reply's id.
_PER_CALL = {semconv.GEN_AI_RESPONSE_ID}


def test_only_an_sdk_provider_built_without_readers_is_unread() -> None:
    assert metrics_read(MeterProvider()) is False
    assert metrics_read(MeterProvider(metric_readers=[InMemoryMetricReader()])) is True
    assert metrics_read(NoOpMeterProvider()) is True  # not the SDK's: its own business
    assert metrics_read(object()) is True  # unknown: assumed read, never a point lost


def _one_call(fake_provider: FakeProvider, tracer_provider: TracerProvider, exporter: InMemorySpanExporter,
              meter_provider: MeterProvider) -> tuple[dict[str, Any], bool]:
    """One generate_content through an instrumentor on ``meter_provider``: its span's attributes,
    and whether the instrumentor records metric points."""
    exporter.clear()
    instrumentor = GoogleGenAIInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    try:
        records = instrumentor.telemetry.metrics
        fake_provider.enqueue(Script(prompt_token_count=1000, candidates_token_count=200))
        client = genai.Client(api_key="gemini-test-key", http_options=types.HttpOptions(base_url=fake_provider.url))
        client.models.generate_content(model="gemini-2.5-flash", contents="Name a flower shop.")
    finally:
        instrumentor.uninstrument()
    (span,) = exporter.get_finished_spans()
    return {k: v for k, v in (span.attributes or {}).items() if k not in _PER_CALL}, records


def test_an_unread_provider_gets_no_points_and_the_same_priced_span(
    fake_provider: FakeProvider, tracer_provider: TracerProvider, span_exporter: InMemorySpanExporter
) -> None:
    reader = InMemoryMetricReader()
    calls = (fake_provider, tracer_provider, span_exporter)
    read_attrs, read_records = _one_call(*calls, MeterProvider(metric_readers=[reader]))
    unread_attrs, unread_records = _one_call(*calls, MeterProvider())

    assert (read_records, unread_records) == (True, False)
    names = {m.name for rm in reader.get_metrics_data().resource_metrics for sm in rm.scope_metrics for m in sm.metrics}
    assert {semconv.METRIC_OPERATION_DURATION, semconv.METRIC_TOKEN_USAGE, semconv.METRIC_COST} <= names
    assert unread_attrs == read_attrs  # the span says the same, cost included
    assert unread_attrs[semconv.OTEL_LLM_COST_USD] == pytest.approx(1000 * 0.3e-6 + 200 * 2.5e-6, abs=1e-12)
