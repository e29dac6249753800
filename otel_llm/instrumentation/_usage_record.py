"""The usage record of a call whose span is sampled out: one log event, so money is never sampled.

Why: a service that samples traces at 1% would otherwise store 1% of its calls, and report 1% of
its spend. The span's sampling decision is known when the call starts; when the span will not be
exported (not sampled), :class:`~otel_llm.instrumentation._lifecycle.LLMCall` keeps the
attributes it sets anyway (request, response, usage, cost, tags) and, at its end, emits them as
one ``gen_ai.client.inference.operation.details`` event through the OpenTelemetry Logs API,
carrying the sampled-out span's trace and span ids. A sampled call emits nothing here: its span
already carries everything, so each call is recorded exactly once. Content is never in it (the
content policy writes to the span only).

Where the event goes is the app's logs pipeline: ``OTEL_LOGS_EXPORTER=clickhouse`` (our
:class:`~otel_llm.exporter.ClickHouseLogExporter`) or ``otlp`` to a collector. Without a logger
provider the API's no-op logger drops it for the price of one call.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

from opentelemetry._logs import Logger, SeverityNumber
from opentelemetry.trace import Span, set_span_in_context

from otel_llm import semconv

__all__ = ["emit_usage_record", "event_logger", "span_is_exported"]

_log = logging.getLogger("otel_llm.instrumentation")


def event_logger(logger: Logger) -> Logger | None:
    """``logger`` if its API can emit a named event; else None, said once in one line.

    Older ``opentelemetry-api`` releases take only ``emit(record)``, without an event name: every
    record would fail, so a sampled-out call would go unrecorded without a word at each call.
    """
    try:
        parameters = inspect.signature(logger.emit).parameters
    except (TypeError, ValueError):
        parameters = {}
    if "event_name" in parameters:
        return logger
    _log.warning(
        "otel-llm: this opentelemetry-api cannot emit log events; calls whose span is sampled out will not be "
        "recorded. Upgrade opentelemetry-api and opentelemetry-sdk (pip install -U opentelemetry-sdk)."
    )
    return None


def span_is_exported(span: Span) -> bool:
    """True when the span will reach a span exporter: the SDK's processors export sampled spans only.

    A span recorded but not sampled (``RECORD_ONLY``) is exported by none of them, so it counts
    as sampled out, like a non-recording one.
    """
    return span.get_span_context().trace_flags.sampled


def emit_usage_record(
    logger: Logger, span: Span, attributes: dict[str, Any], started_ns: int, duration_ns: int
) -> None:
    """Emit the call's attributes as its one event, in the sampled-out span's trace."""
    attributes[semconv.OTEL_LLM_CALL_DURATION_NS] = duration_ns
    logger.emit(
        timestamp=started_ns,
        context=set_span_in_context(span),
        severity_number=SeverityNumber.INFO,
        attributes=attributes,
        event_name=semconv.EVENT_INFERENCE_DETAILS,
    )
