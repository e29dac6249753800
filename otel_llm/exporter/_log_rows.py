"""Finished SDK log records as the columns of ``otel_logs``, laid out like the contrib ClickHouse exporter.

Why that layout: otel-llm stores the usage record of a sampled-out call as a log event (issue 13),
and a team already running the OTel Collector's ``clickhouseexporter`` for logs has this very
table; our ``llm_calls`` view then reads its events too. Same column names, same spellings:
hex ids (``""`` for none), ``TraceFlags`` and ``SeverityNumber`` as numbers, attribute maps and a
non-string body stringified like pdata's ``AsString()`` (:mod:`otel_llm.exporter._values`), and
``EventName``, which newer versions of that exporter write when the table has it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from otel_llm.exporter._rows import TIMESTAMP_MAX_NS, TIMESTAMP_MIN_NS
from otel_llm.exporter._values import stringify_attributes, stringify_value

__all__ = ["LOG_COLUMN_NAMES", "LogColumns", "log_records_to_columns"]

LOG_COLUMN_NAMES: tuple[str, ...] = (
    "Timestamp",
    "TraceId",
    "SpanId",
    "TraceFlags",
    "SeverityText",
    "SeverityNumber",
    "ServiceName",
    "Body",
    "ResourceSchemaUrl",
    "ResourceAttributes",
    "ScopeSchemaUrl",
    "ScopeName",
    "ScopeVersion",
    "ScopeAttributes",
    "LogAttributes",
    "EventName",
)
_SERVICE_NAME = "service.name"
_TIMESTAMP = 0


class LogColumns:
    """Column-oriented ``otel_logs`` rows, ready for ``client.insert(..., column_oriented=True)``."""

    __slots__ = ("columns",)
    NAMES = LOG_COLUMN_NAMES

    def __init__(self) -> None:
        self.columns: list[list[Any]] = [[] for _ in LOG_COLUMN_NAMES]

    def __len__(self) -> int:
        return len(self.columns[0])

    def truncate(self, rows: int) -> None:
        """Drops every row after the first ``rows``: undoes a request that failed halfway (the collector)."""
        for column in self.columns:
            del column[rows:]

    def add_row(self, *values: Any) -> None:
        """Append one record, its values in ``LOG_COLUMN_NAMES`` order and column form."""
        for column, value in zip(self.columns, values, strict=True):
            column.append(value)

    def fix_times(self, now_ns: int) -> list[int]:
        """Replaces times no row can carry by ``now_ns`` (as :meth:`TraceColumns.fix_times` does)."""
        times = self.columns[_TIMESTAMP]
        if not times or (min(times) >= TIMESTAMP_MIN_NS and max(times) <= TIMESTAMP_MAX_NS):
            return []
        changed = []
        for row, value in enumerate(times):
            if not TIMESTAMP_MIN_NS <= value <= TIMESTAMP_MAX_NS:
                times[row] = now_ns
                changed.append(row)
        return changed

    def dedup_token(self) -> str:
        """The same whenever the same records are written again: their times, ids and attributes."""
        digest = hashlib.blake2b(digest_size=16)
        for row in zip(self.columns[0], self.columns[1], self.columns[2], self.columns[14], strict=True):
            digest.update(repr(row).encode("utf-8", "surrogatepass"))
        return digest.hexdigest()


def log_records_to_columns(records: Iterable[Any]) -> LogColumns:
    """Convert finished SDK log records; pure, so it runs on the exporter's thread, never the app's.

    Takes the SDK's ``ReadableLogRecord`` (resource beside the record) and the older ``LogData``
    (resource on the record).
    """
    columns = LogColumns()
    resources: dict[int, tuple[str, str, dict[str, str]]] = {}
    for item in records:
        record = item.log_record
        resource = getattr(item, "resource", None) or record.resource
        cached = resources.get(id(resource))
        if cached is None:
            service = resource.attributes.get(_SERVICE_NAME)
            cached = (
                service if type(service) is str else "",
                resource.schema_url or "",
                stringify_attributes(resource.attributes),
            )
            resources[id(resource)] = cached
        scope = item.instrumentation_scope
        severity = record.severity_number
        body = record.body
        columns.add_row(
            record.timestamp or record.observed_timestamp or 0,
            format(record.trace_id, "032x") if record.trace_id else "",
            format(record.span_id, "016x") if record.span_id else "",
            int(record.trace_flags or 0),
            record.severity_text or "",
            severity.value if severity is not None else 0,
            cached[0],
            body if type(body) is str else ("" if body is None else stringify_value(body)),
            cached[1],
            cached[2],
            (scope.schema_url or "") if scope is not None else "",
            scope.name if scope is not None else "",
            (scope.version or "") if scope is not None else "",
            stringify_attributes(getattr(scope, "attributes", None)) if scope is not None else {},
            stringify_attributes(record.attributes),
            getattr(record, "event_name", None) or "",
        )
    return columns
