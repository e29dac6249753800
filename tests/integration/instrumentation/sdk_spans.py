"""Span readers shared by the mistralai, groq and cohere tests (imported by name, holds no tests)."""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


def spans_of(exporter: InMemorySpanExporter, scope: str) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.instrumentation_scope.name == scope]


def only_span(exporter: InMemorySpanExporter, scope: str) -> ReadableSpan:
    spans = spans_of(exporter, scope)
    assert len(spans) == 1, [s.name for s in spans]
    return spans[0]


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def mistral_class() -> Any:
    """``Mistral`` of the installed mistralai: under ``mistralai.client`` from 2.x, top level in 1.x."""
    try:
        from mistralai.client import Mistral
    except ImportError:
        from mistralai import Mistral
    return Mistral
