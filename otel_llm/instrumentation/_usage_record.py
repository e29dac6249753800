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

Why the SDK's logger gets a direct path (:class:`_DirectLogger`): ``Logger.emit`` re-validates
every attribute through ``BoundedAttributes`` (about three quarters of its ~24 µs for a call's ~35
attributes), which is what made a sampled-out call cost as much as a sampled one. These attributes
are the ones the span would have carried, built by our own code from validated types, so the
direct path hands them to the logger's processors as they are, with everything else ``emit`` does
(enabled check, trace context, resource, scope, limits object, the SDK's own log metric). When the
SDK's attribute limits could change the record (a value length limit, more attributes than
allowed), or the SDK is not the one this path knows, ``emit`` runs as usual.

Two more costs of the SDK's own objects, measured on the sampled-out path (about 1 µs each of its
~9 µs, ``benchmarks/sampling/RESULTS.md``): ``BatchLogRecordProcessor`` shallow-copies every API
record with ``copy.copy``, which for a class without ``__copy__`` goes through ``__reduce_ex__``
(1.8 µs here; :class:`_UsageLogRecord` copies its ``__dict__`` in 0.55 µs); and
``ReadWriteLogRecord``'s constructor wraps the (absent) attributes in a new ``BoundedAttributes``
that the direct path replaces at once, so it fills the record's four fields itself.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
from typing import Any

from opentelemetry._logs import Logger, LogRecord, SeverityNumber
from opentelemetry.context import Context
from opentelemetry.trace import Span, set_span_in_context

from otel_llm import semconv

__all__ = ["emit_usage_record", "event_logger", "span_is_exported"]

_log = logging.getLogger("otel_llm.instrumentation")


def event_logger(logger: Logger) -> Logger | None:
    """``logger`` (through its direct path when it is the SDK's) if its API can emit a named event;
    else None, said once in one line.

    Older ``opentelemetry-api`` releases take only ``emit(record)``, without an event name: every
    record would fail, so a sampled-out call would go unrecorded without a word at each call.
    """
    try:
        parameters = inspect.signature(logger.emit).parameters
    except (TypeError, ValueError):
        parameters = {}
    if "event_name" in parameters:
        return _DirectLogger.wrap(logger)
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


_SCALARS = (str, int, float, bool)


def _plain(attributes: dict[str, Any]) -> bool:
    """True when every value is what the SDK would keep unchanged, lists made tuples as it does;
    False for anything it would drop or convert otherwise (then it does)."""
    for key, value in attributes.items():
        kind = type(value)
        if kind in _SCALARS:
            continue
        if kind not in (list, tuple) or not all(type(item) is str for item in value):
            return False
        if kind is list:
            attributes[key] = tuple(value)
    return True


class _UsageLogRecord(LogRecord):
    """The API's log record, with a shallow copy that costs a third of ``copy.copy``'s default."""

    def __copy__(self) -> _UsageLogRecord:
        copied = object.__new__(type(self))
        copied.__dict__.update(self.__dict__)
        return copied


# The fields of the SDK's ReadWriteLogRecord (1.39 to 1.45) the direct path fills without its
# constructor; an SDK whose record has other fields gets ``emit``.
_WRITABLE_FIELDS = frozenset({"log_record", "resource", "instrumentation_scope", "limits"})
# What the direct path reads of the SDK's Logger (1.39 to 1.45); a logger without one is used as is.
_SDK_PARTS = (
    "_is_enabled",
    "_resource",
    "_instrumentation_scope",
    "_log_record_limits",
    "_logger_metrics",
    "_multi_log_record_processor",
)


class _DirectLogger(Logger):
    """The SDK ``Logger``'s emit, without re-validating attributes that are valid by construction."""

    def __init__(self, logger: Any, record_type: type) -> None:
        scope = logger._instrumentation_scope
        super().__init__(scope.name, scope.version, scope.schema_url, scope.attributes)
        self._logger = logger
        self._record_type = record_type
        # A ReadWriteLogRecord's fields but its API record: the same for every record of this logger.
        self._writable_fields = {
            "resource": logger._resource,
            "instrumentation_scope": scope,
            "limits": logger._log_record_limits,
        }

    @classmethod
    def wrap(cls, logger: Logger) -> Logger:
        """``logger`` wrapped when it is an SDK logger with the parts the direct path uses; else as is."""
        try:
            from opentelemetry.sdk._logs import Logger as SdkLogger
            from opentelemetry.sdk._logs import ReadWriteLogRecord
        except ImportError:  # an SDK without ReadWriteLogRecord (before 1.39)
            return logger
        if type(logger) is not SdkLogger or not all(hasattr(logger, part) for part in _SDK_PARTS):
            return logger
        if not dataclasses.is_dataclass(ReadWriteLogRecord) or hasattr(ReadWriteLogRecord, "__slots__"):
            return logger
        if {f.name for f in dataclasses.fields(ReadWriteLogRecord)} != _WRITABLE_FIELDS:
            return logger
        return cls(logger, ReadWriteLogRecord)

    def enabled(self, **kwargs: Any) -> bool:
        return self._logger.enabled(**kwargs)

    def emit(  # type: ignore[override]
        self,
        record: LogRecord | None = None,
        *,
        timestamp: int | None = None,
        context: Context | None = None,
        severity_number: SeverityNumber | None = None,
        attributes: dict[str, Any] | None = None,
        event_name: str | None = None,
        **other: Any,
    ) -> None:
        sdk = self._logger
        limits = sdk._log_record_limits
        if (
            record is not None
            or other
            or not attributes
            or limits.max_log_record_attribute_length is not None
            or len(attributes) > limits.max_log_record_attributes
            or not _plain(attributes)
        ):
            sdk.emit(
                record,
                timestamp=timestamp,
                context=context,
                severity_number=severity_number,
                attributes=attributes,
                event_name=event_name,
                **other,
            )
            return
        if not sdk._is_enabled():
            return
        api_record = _UsageLogRecord(
            timestamp=timestamp,
            context=context,
            severity_number=severity_number,
            event_name=event_name,
        )
        api_record.attributes = attributes  # the caller hands the dict over
        writable = object.__new__(self._record_type)  # its constructor's BoundedAttributes is not needed
        fields = writable.__dict__
        fields.update(self._writable_fields)
        fields["log_record"] = api_record
        sdk._logger_metrics.emit_log()
        sdk._multi_log_record_processor.on_emit(writable)
