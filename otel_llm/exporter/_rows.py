"""Finished spans as the columns of ``otel_traces``, laid out like the contrib ClickHouse exporter.

Why columns, not rows: clickhouse-connect serializes a column-oriented insert without pivoting,
and ClickHouse stores columns; building the 22 lists directly is the cheapest path from a span
to a committed row. The table is the OTel Collector contrib ``clickhouseexporter`` one (same
names, same spellings: ``SpanKind`` ``Client``, ``StatusCode`` ``Error``, hex ids, an empty
``ParentSpanId`` for a root span, nanosecond ``Timestamp`` and ``Duration``), so teams that
already run that exporter can put our views on their table.

Reuse (the collector): build a :class:`TraceColumns` and call :meth:`TraceColumns.add_row` once
per OTLP span with the values converted from protobuf (``SPAN_KIND_NAMES`` and
``STATUS_CODE_NAMES`` are indexed by the OTLP enum numbers; attribute maps go through
:func:`otel_llm.exporter.table.stringify_attributes`). The same rows then get the same
:meth:`TraceColumns.dedup_token`, whichever process writes them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan

from otel_llm.exporter._values import stringify_attributes

__all__ = [
    "COLUMN_NAMES",
    "SPAN_KIND_NAMES",
    "STATUS_CODE_NAMES",
    "TIMESTAMP_MAX_NS",
    "TIMESTAMP_MIN_NS",
    "TraceColumns",
    "spans_to_columns",
]

COLUMN_NAMES: tuple[str, ...] = (
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

# Indexed by the OTLP enum values; pdata's SpanKind.String() / StatusCode.String() spellings.
SPAN_KIND_NAMES: tuple[str, ...] = ("Unspecified", "Internal", "Server", "Client", "Producer", "Consumer")
STATUS_CODE_NAMES: tuple[str, ...] = ("Unset", "Ok", "Error")
_SERVICE_NAME = "service.name"  # resource semconv key, read like the Go exporter does

# The times a row can carry: 1970-01-01 to 2106-02-07 06:28:15, what ``DateTime`` holds. The
# tables partition and expire rows by ``toDate``/``toDateTime(Timestamp)``, so a time outside wraps
# and its row is expired on insert, silently; past Int64 (``DateTime64(9)``'s own end, 2262) the
# whole insert fails, every other span of the block with it. See :meth:`TraceColumns.fix_times`.
TIMESTAMP_MIN_NS = 0
TIMESTAMP_MAX_NS = 0xFFFF_FFFF * 1_000_000_000
_DURATION_MAX_NS = (1 << 64) - 1  # UInt64
_TIMESTAMP = COLUMN_NAMES.index("Timestamp")
_DURATION = COLUMN_NAMES.index("Duration")
_EVENT_TIMES = COLUMN_NAMES.index("Events.Timestamp")


class TraceColumns:
    """Column-oriented ``otel_traces`` rows, ready for ``client.insert(..., column_oriented=True)``."""

    __slots__ = ("columns",)
    NAMES = COLUMN_NAMES

    def __init__(self) -> None:
        self.columns: list[list[Any]] = [[] for _ in COLUMN_NAMES]

    def __len__(self) -> int:
        return len(self.columns[0])

    def truncate(self, rows: int) -> None:
        """Drops every row after the first ``rows``: undoes a group of rows that failed halfway."""
        for column in self.columns:
            del column[rows:]

    def add_row(
        self,
        timestamp_ns: int,
        trace_id: str,
        span_id: str,
        parent_span_id: str,
        trace_state: str,
        span_name: str,
        span_kind: str,
        service_name: str,
        resource_attributes: Mapping[str, str],
        scope_name: str,
        scope_version: str,
        span_attributes: Mapping[str, str],
        duration_ns: int,
        status_code: str,
        status_message: str,
        events: tuple[list[int], list[str], list[Mapping[str, str]]],
        links: tuple[list[str], list[str], list[str], list[Mapping[str, str]]],
    ) -> None:
        """Append one span, its values already in column form (hex ids, strings, stringified maps)."""
        (
            c_ts, c_trace, c_span, c_parent, c_state, c_name, c_kind, c_service, c_res, c_scope,
            c_scope_version, c_attrs, c_duration, c_status, c_message, c_ev_ts, c_ev_name, c_ev_attrs,
            c_link_trace, c_link_span, c_link_state, c_link_attrs,
        ) = self.columns  # fmt: skip
        c_ts.append(timestamp_ns)
        c_trace.append(trace_id)
        c_span.append(span_id)
        c_parent.append(parent_span_id)
        c_state.append(trace_state)
        c_name.append(span_name)
        c_kind.append(span_kind)
        c_service.append(service_name)
        c_res.append(resource_attributes)
        c_scope.append(scope_name)
        c_scope_version.append(scope_version)
        c_attrs.append(span_attributes)
        c_duration.append(duration_ns)
        c_status.append(status_code)
        c_message.append(status_message)
        c_ev_ts.append(events[0])
        c_ev_name.append(events[1])
        c_ev_attrs.append(events[2])
        c_link_trace.append(links[0])
        c_link_span.append(links[1])
        c_link_state.append(links[2])
        c_link_attrs.append(links[3])

    def fix_times(self, now_ns: int) -> list[int]:
        """Replaces span times no row can carry (see ``TIMESTAMP_MIN_NS``) by ``now_ns``, event
        times by their span's, and caps a duration at ``UInt64``; returns the rows changed, in order.

        Why the write time: a sender's clock bug or a hostile span must neither fail the block (the
        other senders' spans with it) nor vanish (a clamped 2106 or 1970 row falls outside the
        retention window); at the time it was written its usage and cost still show in reports.
        The duration is kept. A block without such a value (nearly all) costs a few C-speed passes.
        """
        low, high = TIMESTAMP_MIN_NS, TIMESTAMP_MAX_NS
        changed: set[int] = set()
        times = self.columns[_TIMESTAMP]
        if times and (min(times) < low or max(times) > high):
            for row, value in enumerate(times):
                if not low <= value <= high:
                    times[row] = now_ns
                    changed.add(row)
        durations = self.columns[_DURATION]
        if durations and (min(durations) < 0 or max(durations) > _DURATION_MAX_NS):
            for row, value in enumerate(durations):
                if not 0 <= value <= _DURATION_MAX_NS:
                    durations[row] = min(max(value, 0), _DURATION_MAX_NS)
                    changed.add(row)
        events = self.columns[_EVENT_TIMES]
        for row, stamps in enumerate(events):
            if stamps and (min(stamps) < low or max(stamps) > high):
                # A new list: the row builders share one empty list between rows.
                events[row] = [value if low <= value <= high else times[row] for value in stamps]
                changed.add(row)
        return sorted(changed)

    def dedup_token(self) -> str:
        """A token that is the same whenever the same spans are written again, in any process.

        ClickHouse drops an insert whose ``insert_deduplication_token`` it has already seen (within
        the table's dedup window), so a batch the exporter retries is stored once. Derived from the
        (trace id, span id) pairs in order. (The collector names its blocks after spool records.)
        """
        digest = hashlib.blake2b(digest_size=16)
        digest.update("".join(self.columns[1]).encode("ascii"))
        digest.update("".join(self.columns[2]).encode("ascii"))
        return digest.hexdigest()


_NO_EVENTS: tuple[list[int], list[str], list[Mapping[str, str]]] = ([], [], [])
_NO_LINKS: tuple[list[str], list[str], list[str], list[Mapping[str, str]]] = ([], [], [], [])


def spans_to_columns(spans: Iterable[ReadableSpan]) -> TraceColumns:
    """Convert finished SDK spans; pure, so it runs on the exporter's thread, never the app's."""
    columns = TraceColumns()
    add = columns.add_row
    resources: dict[int, tuple[str, dict[str, str]]] = {}  # spans share a few Resource objects
    for span in spans:
        context = span.context
        parent = span.parent
        resource = span.resource
        cached = resources.get(id(resource))
        if cached is None:
            service = resource.attributes.get(_SERVICE_NAME)
            cached = (service if type(service) is str else "", stringify_attributes(resource.attributes))
            resources[id(resource)] = cached
        scope = span.instrumentation_scope
        start = span.start_time or 0
        end = span.end_time or start
        status = span.status
        # The SDK's own sequences: the public .events / .links copy a locked deque on every access,
        # which costs more than converting the (usually absent) events themselves.
        events = getattr(span, "_events", None)
        if events is None:
            events = span.events
        links = getattr(span, "_links", None)
        if links is None:
            links = span.links
        add(
            start,
            format(context.trace_id, "032x"),
            format(context.span_id, "016x"),
            format(parent.span_id, "016x") if parent is not None and parent.span_id else "",
            context.trace_state.to_header() if context.trace_state else "",
            span.name,
            SPAN_KIND_NAMES[span.kind.value + 1],  # the SDK has no UNSPECIFIED: INTERNAL is 0
            cached[0],
            cached[1],
            scope.name if scope is not None else "",
            (scope.version or "") if scope is not None else "",
            stringify_attributes(span.attributes),
            max(end - start, 0),
            STATUS_CODE_NAMES[status.status_code.value],
            status.description or "",
            _events(events) if events else _NO_EVENTS,
            _links(links) if links else _NO_LINKS,
        )
    return columns


def _events(events: Sequence[Any]) -> tuple[list[int], list[str], list[Mapping[str, str]]]:
    return (
        [event.timestamp for event in events],
        [event.name for event in events],
        [stringify_attributes(event.attributes) for event in events],
    )


def _links(links: Sequence[Any]) -> tuple[list[str], list[str], list[str], list[Mapping[str, str]]]:
    return (
        [format(link.context.trace_id, "032x") for link in links],
        [format(link.context.span_id, "016x") for link in links],
        [link.context.trace_state.to_header() if link.context.trace_state else "" for link in links],
        [stringify_attributes(link.attributes) for link in links],
    )
