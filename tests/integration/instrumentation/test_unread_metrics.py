"""A MeterProvider nobody reads (``OTEL_METRICS_EXPORTER=none``) gets no metric points; spans are unchanged.

``opentelemetry-instrument`` with ``OTEL_METRICS_EXPORTER=none`` (the README's commands) builds
the SDK's MeterProvider with no reader: every point recorded there goes nowhere. A call then
records none (25-35 µs of its overhead in situ), and records them again as soon as a reader is
added (``add_metric_reader``). Everything else about the call is the same.
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
from otel_llm.instrumentation._instrumentor import measurement_consumer

genai = pytest.importorskip("google.genai")
from google.genai import types  # noqa: E402

from otel_llm.instrumentation.google_genai import GoogleGenAIInstrumentor  # noqa: E402

# What differs between two calls of the same request: the reply's id.
_PER_CALL = {semconv.GEN_AI_RESPONSE_ID}
_OURS = {semconv.METRIC_OPERATION_DURATION, semconv.METRIC_TOKEN_USAGE, semconv.METRIC_COST}


def test_only_the_sdks_provider_is_asked_who_reads_it() -> None:
    assert measurement_consumer(MeterProvider()) is not None
    assert measurement_consumer(NoOpMeterProvider()) is None  # not the SDK's: every point recorded
    assert measurement_consumer(object()) is None  # unknown: every point recorded, never one lost


def _metric_names(reader: InMemoryMetricReader) -> set[str]:
    data = reader.get_metrics_data()
    return {m.name for rm in (data.resource_metrics if data else ()) for sm in rm.scope_metrics for m in sm.metrics}


def _call(
    fake_provider: FakeProvider, instrumentor: GoogleGenAIInstrumentor, exporter: InMemorySpanExporter
) -> tuple[dict[str, Any], bool]:
    """One generate_content: its span's attributes, and whether its points reached a reader."""
    exporter.clear()
    read = instrumentor.telemetry.metrics_read
    fake_provider.enqueue(Script(prompt_token_count=1000, candidates_token_count=200))
    client = genai.Client(api_key="gemini-test-key", http_options=types.HttpOptions(base_url=fake_provider.url))
    client.models.generate_content(model="gemini-2.5-flash", contents="Name a flower shop.")
    (span,) = exporter.get_finished_spans()
    return {k: v for k, v in (span.attributes or {}).items() if k not in _PER_CALL}, read


def test_points_go_only_where_a_reader_is_and_the_span_is_the_same(
    fake_provider: FakeProvider, tracer_provider: TracerProvider, span_exporter: InMemorySpanExporter
) -> None:
    meter_provider = MeterProvider()  # as OTEL_METRICS_EXPORTER=none builds it
    instrumentor = GoogleGenAIInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    try:
        unread_attrs, unread = _call(fake_provider, instrumentor, span_exporter)
        # A reader added later (the SDK allows it) gets the points of every call from then on.
        reader = InMemoryMetricReader()
        meter_provider.add_metric_reader(reader)
        read_attrs, read = _call(fake_provider, instrumentor, span_exporter)
    finally:
        instrumentor.uninstrument()
    assert (unread, read) == (False, True)
    assert _metric_names(reader) >= _OURS
    assert unread_attrs == read_attrs  # the span says the same, cost included
    assert unread_attrs[semconv.OTEL_LLM_COST_USD] == pytest.approx(1000 * 0.3e-6 + 200 * 2.5e-6, abs=1e-12)


def test_a_provider_built_with_a_reader_gets_every_point(
    fake_provider: FakeProvider, tracer_provider: TracerProvider, span_exporter: InMemorySpanExporter
) -> None:
    reader = InMemoryMetricReader()
    instrumentor = GoogleGenAIInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=MeterProvider(metric_readers=[reader]))
    try:
        _, read = _call(fake_provider, instrumentor, span_exporter)
    finally:
        instrumentor.uninstrument()
    assert read is True
    assert _metric_names(reader) >= _OURS
