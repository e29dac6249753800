"""OTLP protobuf spans and log records straight to ``otel_traces`` / ``otel_logs`` columns, through
the exporter's own row builders.

This is the collector's one converter. It does not build SDK ``ReadableSpan`` objects to reuse the
exporter's span-to-columns function: that would allocate a Python object graph per span for
nothing, at the rate the collector must sustain. Instead it reads the protobuf directly and feeds
the exporter's :class:`TraceColumns` (same columns, same enum spellings, same hex ids) with values
stringified by the exporter's ``stringify_value`` (Go pdata ``AsString`` rules), so a row from the
collector and a row from the in-process exporter (or the contrib Go collector) compare equal.
Log records likewise fill :class:`LogColumns` as the in-process ``ClickHouseLogExporter`` does,
so the usage record of a sampled-out call lands in ``otel_logs`` the same through either path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from otel_llm.exporter.table import SPAN_KIND_NAMES, STATUS_CODE_NAMES, LogColumns, TraceColumns, stringify_value
from otel_llm_collector.encoded_attributes import EncodedAttributes, decode_encoded, decode_encoded_logs

__all__ = ["add_log_request", "add_request"]

_SERVICE_NAME = "service.name"


def _python(value: AnyValue) -> Any:
    """An AnyValue as the plain Python value ``stringify_value`` expects."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":  # a tuple, as the SDK stores sequences: the writer's fast path knows it
        return tuple([_python(v) for v in value.array_value.values])
    if kind == "kvlist_value":
        return {kv.key: _python(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, kind)


def _text(value: AnyValue) -> str:
    """Strings, integers and booleans are nearly every attribute: spelled here without the generic
    path (the same spellings ``stringify_value`` gives: decimal, ``true``/``false``). Doubles,
    arrays, maps and bytes take the exporter's rules."""
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind == "int_value":
        return str(value.int_value)
    if kind == "bool_value":
        return "true" if value.bool_value else "false"
    return stringify_value(_python(value))


def _attributes(pairs: Iterable[Any]) -> Mapping[str, str]:
    return {kv.key: _text(kv.value) for kv in pairs}


# Span attributes, read from their encoded bytes through one cache for the process (the drain is
# its one caller; a cached value is what decoding would give, so sharing it is safe).
_span_attributes = EncodedAttributes(_text)
_log_attributes = EncodedAttributes(_text)  # a cache of its own: its drain runs on another thread


def _name(names: tuple[str, ...], index: int) -> str:
    """An OTLP enum number as its name; a number from a newer OTLP than ours reads as the first."""
    return names[index] if 0 <= index < len(names) else names[0]


_Columns = TypeVar("_Columns", TraceColumns, LogColumns)


def _all_or_none(columns: _Columns, request: Callable[[], Any], add: Callable[[_Columns, Any], None]) -> None:
    """Runs ``add(columns, request())``; whatever it raises, ``columns`` are left as they were (a
    request that fails halfway must not leave half its rows in the batch)."""
    rows = len(columns)
    try:
        add(columns, request())
    except BaseException:
        columns.truncate(rows)
        raise


def add_request(columns: TraceColumns, body: bytes) -> None:
    """Appends every span of the OTLP protobuf ``body`` to ``columns``, or none of them.

    Raises ``PayloadError`` when ``body`` does not decode. Timestamps stay integer nanoseconds.
    """
    _all_or_none(columns, lambda: decode_encoded(body), _add_spans)


def add_log_request(columns: LogColumns, body: bytes) -> None:
    """Appends every log record of the OTLP protobuf ``body`` to ``columns``, or none of them."""
    _all_or_none(columns, lambda: decode_encoded_logs(body), _add_logs)


def _add_spans(columns: TraceColumns, request: Any) -> None:
    add = columns.add_row
    for resource_spans in request.resource_spans:
        resource = _attributes(resource_spans.resource.attributes)
        service = resource.get(_SERVICE_NAME, "")
        for scope_spans in resource_spans.scope_spans:
            scope_name = scope_spans.scope.name
            scope_version = scope_spans.scope.version
            for span in scope_spans.spans:
                start = span.start_time_unix_nano
                events, links, status = span.events, span.links, span.status
                add(
                    start,
                    span.trace_id.hex(),
                    span.span_id.hex(),
                    span.parent_span_id.hex(),
                    span.trace_state,
                    span.name,
                    _name(SPAN_KIND_NAMES, span.kind),
                    service,
                    resource,
                    scope_name,
                    scope_version,
                    _span_attributes(span.attributes),
                    max(0, span.end_time_unix_nano - start),
                    _name(STATUS_CODE_NAMES, status.code),
                    status.message,
                    _events(events) if events else _NO_EVENTS,
                    _links(links) if links else _NO_LINKS,
                )


# Most spans have neither; sharing one empty value spares building four lists per span.
_NO_EVENTS: tuple[list[int], list[str], list[Mapping[str, str]]] = ([], [], [])
_NO_LINKS: tuple[list[str], list[str], list[str], list[Mapping[str, str]]] = ([], [], [], [])


def _events(events: Any) -> tuple[list[int], list[str], list[Mapping[str, str]]]:
    return [e.time_unix_nano for e in events], [e.name for e in events], [_attributes(e.attributes) for e in events]


def _links(links: Any) -> tuple[list[str], list[str], list[str], list[Mapping[str, str]]]:
    return (
        [link.trace_id.hex() for link in links],
        [link.span_id.hex() for link in links],
        [link.trace_state for link in links],
        [_attributes(link.attributes) for link in links],
    )


_TRACE_FLAGS = 0xFF  # OTLP's flags carry the W3C trace flags in their low byte


def _add_logs(columns: LogColumns, request: Any) -> None:
    """The columns ``otel_llm.exporter._log_rows.log_records_to_columns`` gives the same records."""
    add = columns.add_row
    for resource_logs in request.resource_logs:
        resource = _attributes(resource_logs.resource.attributes)
        service = resource.get(_SERVICE_NAME, "")
        resource_schema = resource_logs.schema_url
        for scope_logs in resource_logs.scope_logs:
            scope = scope_logs.scope
            scope_attributes = _attributes(scope.attributes)
            for record in scope_logs.log_records:
                add(
                    record.time_unix_nano or record.observed_time_unix_nano,
                    record.trace_id.hex(),
                    record.span_id.hex(),
                    record.flags & _TRACE_FLAGS,
                    record.severity_text,
                    record.severity_number,
                    service,
                    _body(record),
                    resource_schema,
                    resource,
                    scope_logs.schema_url,
                    scope.name,
                    scope.version,
                    scope_attributes,
                    _log_attributes(record.attributes),
                    record.event_name,
                )


def _body(record: Any) -> str:
    """A string body as it is; no body as ``""``; any other value stringified like an attribute."""
    if not record.HasField("body"):
        return ""
    return _text(record.body) if record.body.WhichOneof("value") is not None else ""
