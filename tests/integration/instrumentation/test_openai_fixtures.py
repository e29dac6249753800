"""Request builders and span readers shared by the OpenAI instrumentation tests (imported by name, holds no tests)."""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_llm.instrumentation.openai import OpenAIInstrumentor

MODEL = "gpt-4o"
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello to the test suite."}]


def chat(**overrides: Any) -> dict[str, Any]:
    return {"model": MODEL, "messages": MESSAGES, **overrides}


def our_spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.instrumentation_scope.name == OpenAIInstrumentor.scope]


def one_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    spans = our_spans(exporter)
    assert len(spans) == 1, [s.name for s in spans]
    return spans[0]


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})
