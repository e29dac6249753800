"""The hot-loop benchmark times the real priced path, not a wrapper that called straight through.

A wrapper that skipped its span (instrumentation switched off, a bug swallowed by the guard)
would print a fast number; each scenario's calls must each leave one span carrying a cost.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_llm import semconv

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "instrumentation"


@pytest.fixture(scope="module")
def bench_hotpath():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(BENCH))
    try:
        import bench_hotpath

        yield bench_hotpath
    finally:
        sys.path.remove(str(BENCH))


@pytest.mark.parametrize(
    ("scenario", "provider"), [("_gemini", semconv.PROVIDER_GCP_GEMINI), ("_openai", semconv.PROVIDER_OPENAI)]
)
def test_each_timed_call_is_one_priced_span(bench_hotpath, scenario: str, provider: str) -> None:  # type: ignore[no-untyped-def]
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    call = getattr(bench_hotpath, scenario)(tracer_provider, MeterProvider())

    median_ns = bench_hotpath._median_ns(call, 10)

    spans = exporter.get_finished_spans()
    assert median_ns > 0
    assert len(spans) == 11  # one warm-up call (calls // 10) and ten timed ones
    for span in spans:
        assert span.attributes[semconv.GEN_AI_PROVIDER_NAME] == provider
        assert span.attributes[semconv.OTEL_LLM_COST_USD] > 0


@pytest.mark.parametrize("scenario", ["bedrock converse", "bedrock invoke_model"])
def test_each_timed_bedrock_call_is_one_priced_span(bench_hotpath, scenario: str) -> None:  # type: ignore[no-untyped-def]
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    call = bench_hotpath._bedrock(tracer_provider, MeterProvider())[scenario]

    bench_hotpath._median_ns(call, 10)

    spans = exporter.get_finished_spans()
    assert len(spans) == 11
    for span in spans:
        assert span.attributes[semconv.GEN_AI_PROVIDER_NAME] == semconv.PROVIDER_AWS_BEDROCK
        assert span.attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] > 0
        assert span.attributes[semconv.OTEL_LLM_COST_USD] > 0
