"""OTLP protobuf spans straight to ``otel_traces`` rows, the columns the in-process exporter writes.

This is the collector's one converter. It does not build SDK ``ReadableSpan`` objects to reuse the
exporter's span-to-row code: that would allocate a Python object graph per span for nothing, at
the rate the collector must sustain. Instead it fills the same columns from the protobuf directly
and shares the one piece where drift would show in SQL: attribute values are stringified by the
exporter's ``stringify_value`` (Go pdata ``AsString`` rules), so a row from the collector and a row
from the exporter (or from the contrib Go collector) compare equal.

Enum spellings follow the contrib clickhouseexporter (``traceutil.SpanKindStr`` /
``StatusCodeStr``): ``Internal``, ``Server``, ``Client``...; ``Unset``, ``Ok``, ``Error``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from otel_llm.exporter._values import stringify_value

__all__ = ["COLUMNS", "request_rows"]

COLUMNS = (
    "Timestamp",
    "TraceId",
    "SpanId",
    "ParentSpanId",
    "TraceState",
    "SpanName",
    "SpanKind",
    "ServiceName",
    "ResourceAttributes",
    "ScopeName",
    "ScopeVersion",
    "SpanAttributes",
    "Duration",
    "StatusCode",
    "StatusMessage",
    "Events.Timestamp",
    "Events.Name",
    "Events.Attributes",
    "Links.TraceId",
    "Links.SpanId",
    "Links.TraceState",
    "Links.Attributes",
)

_SPAN_KINDS = ("Unspecified", "Internal", "Server", "Client", "Producer", "Consumer")
_STATUS_CODES = ("Unset", "Ok", "Error")
_SERVICE_NAME = "service.name"


def _python(value: AnyValue) -> Any:
    """An AnyValue as the plain Python value ``stringify_value`` expects."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [_python(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _python(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, kind)


def _attributes(pairs: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for kv in pairs:
        kv: KeyValue
        value = kv.value
        # Strings are nearly every attribute: skip the generic path for them.
        out[kv.key] = (
            value.string_value if value.WhichOneof("value") == "string_value" else stringify_value(_python(value))
        )
    return out


def request_rows(request: ExportTraceServiceRequest) -> Iterator[list[Any]]:
    """One row per span, in ``COLUMNS`` order; timestamps as integer nanoseconds (DateTime64(9))."""
    for resource_spans in request.resource_spans:
        resource = _attributes(resource_spans.resource.attributes)
        service = resource.get(_SERVICE_NAME, "")
        for scope_spans in resource_spans.scope_spans:
            scope_name = scope_spans.scope.name
            scope_version = scope_spans.scope.version
            for span in scope_spans.spans:
                start = span.start_time_unix_nano
                yield [
                    start,
                    span.trace_id.hex(),
                    span.span_id.hex(),
                    span.parent_span_id.hex(),
                    span.trace_state,
                    span.name,
                    _SPAN_KINDS[span.kind] if span.kind < len(_SPAN_KINDS) else _SPAN_KINDS[0],
                    service,
                    resource,
                    scope_name,
                    scope_version,
                    _attributes(span.attributes),
                    max(0, span.end_time_unix_nano - start),
                    _STATUS_CODES[span.status.code] if span.status.code < len(_STATUS_CODES) else _STATUS_CODES[0],
                    span.status.message,
                    [e.time_unix_nano for e in span.events],
                    [e.name for e in span.events],
                    [_attributes(e.attributes) for e in span.events],
                    [link.trace_id.hex() for link in span.links],
                    [link.span_id.hex() for link in span.links],
                    [link.trace_state for link in span.links],
                    [_attributes(link.attributes) for link in span.links],
                ]
