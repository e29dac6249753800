"""The ``otel_traces`` and ``otel_logs`` tables as a public API: their columns, conversion, and the one insert.

Public for writers other than :class:`~otel_llm.exporter.ClickHouseSpanExporter`: ``otel-llm
collector`` turns OTLP into these rows and stores them with the same writer, so a batch that
either of them retries (or the collector replays from its spool) is stored once. What they use:

- :class:`TraceColumns` with :meth:`TraceColumns.add_row` per span (``SPAN_KIND_NAMES`` and
  ``STATUS_CODE_NAMES`` are indexed by the OTLP enum numbers), or :func:`spans_to_columns` for
  SDK spans; ``COLUMN_NAMES`` is the column order;
- :func:`stringify_value` / :func:`stringify_attributes`: attribute values spelled the way the
  OTel Collector contrib ClickHouse exporter writes them;
- :class:`LogColumns` (``LOG_COLUMN_NAMES``) the same for ``otel_logs``, one ``add_row`` per log
  record, written by ``TraceWriter(client, database, LOGS_TABLE)`` (``TRACES_TABLE`` is the default);
- :class:`TraceWriter` (``writer.write(columns)``, deduplicated by the batch's token) and
  :func:`is_retryable` to tell a failure worth retrying from one that never will succeed.

Everything else under ``otel_llm.exporter._*`` is private and may change.
"""

from __future__ import annotations

from otel_llm.exporter._log_rows import LOG_COLUMN_NAMES, LogColumns
from otel_llm.exporter._rows import COLUMN_NAMES, SPAN_KIND_NAMES, STATUS_CODE_NAMES, TraceColumns, spans_to_columns
from otel_llm.exporter._values import stringify_attributes, stringify_value
from otel_llm.exporter._writer import LOGS_TABLE, TRACES_TABLE, TraceWriter, is_retryable

__all__ = [
    "COLUMN_NAMES",
    "LOGS_TABLE",
    "LOG_COLUMN_NAMES",
    "SPAN_KIND_NAMES",
    "STATUS_CODE_NAMES",
    "TRACES_TABLE",
    "LogColumns",
    "TraceColumns",
    "TraceWriter",
    "is_retryable",
    "spans_to_columns",
    "stringify_attributes",
    "stringify_value",
]
