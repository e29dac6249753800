"""The one ClickHouse writer of ``otel_traces`` (and ``otel_logs``) rows, and what its errors mean for a retry.

Why one writer: the in-process exporter and the collector store a batch the same way, so that
whichever of them retries (or the collector replays its spool after a crash) the batch is stored
once. The caller names the block: the exporter with :meth:`TraceColumns.dedup_token`, the
collector with its spool batch's token (the records it holds, so a replay after a crash rebuilds
the same block). The settings that make that true:

- ``insert_deduplication_token``: the caller's token for the block;
- ``insert_deduplicate=1``: also on a non-replicated MergeTree (the schema gives every table a
  ``non_replicated_deduplication_window``);
- ``deduplicate_blocks_in_dependent_materialized_views=1``: a retried insert that reached the
  views once does not count the same calls twice in ``llm_calls`` and the rollups.

The same writer stores ``otel_logs`` blocks (:class:`~otel_llm.exporter._log_rows.LogColumns`):
a block names its own columns (``NAMES``), so the writer is told only the table.

Reuse (the collector): ``writer = TraceWriter(client, database)`` then
``writer.write(columns)`` for each :class:`TraceColumns`; call :func:`is_retryable` on what it
raises to decide between keeping the batch for later and giving it up.
"""

from __future__ import annotations

import logging
import re
import socket
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from otel_llm.exporter._rows import TraceColumns
from otel_llm.exporter._values import valid_utf8
from otel_llm.log_interval import IntervalLog

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

__all__ = ["LOGS_TABLE", "TRACES_TABLE", "Block", "Sink", "TraceWriter", "is_retryable"]

_log = logging.getLogger("otel_llm.exporter")
_impossible_time_log = IntervalLog(_log, logging.WARNING)

TRACES_TABLE = "otel_traces"
LOGS_TABLE = "otel_logs"

# ClickHouse error codes for conditions that pass: overload, timeouts, network, replicas/keeper,
# an insert whose outcome is unknown (the dedup token makes retrying it safe).
_RETRYABLE_CODES = frozenset(
    {
        32,  # ATTEMPT_TO_READ_AFTER_EOF
        95,  # CANNOT_READ_FROM_SOCKET
        96,  # CANNOT_WRITE_TO_SOCKET
        159,  # TIMEOUT_EXCEEDED
        160,  # TOO_SLOW
        173,  # CANNOT_ALLOCATE_MEMORY
        202,  # TOO_MANY_SIMULTANEOUS_QUERIES
        203,  # NO_FREE_CONNECTION
        209,  # SOCKET_TIMEOUT
        210,  # NETWORK_ERROR
        225,  # NO_ZOOKEEPER
        236,  # ABORTED
        241,  # MEMORY_LIMIT_EXCEEDED
        242,  # TABLE_IS_READ_ONLY
        252,  # TOO_MANY_PARTS
        279,  # ALL_CONNECTION_TRIES_FAILED
        285,  # TOO_FEW_LIVE_REPLICAS
        319,  # UNKNOWN_STATUS_OF_INSERT
        394,  # QUERY_WAS_CANCELLED
        439,  # CANNOT_SCHEDULE_TASK
        473,  # DEADLOCK_AVOIDED
        745,  # SERVER_OVERLOADED
        999,  # KEEPER_EXCEPTION
        1000,  # POCO_EXCEPTION
    }
)
_HTTP_STATUS = re.compile(r"HTTP status (\d{3})")
_RETRYABLE_HTTP = frozenset({408, 429, 500, 502, 503, 504})


class Block(Protocol):
    """Column-oriented rows of one table: :class:`TraceColumns` or ``LogColumns``."""

    NAMES: ClassVar[tuple[str, ...]]
    columns: list[list[Any]]

    def __len__(self) -> int: ...

    def fix_times(self, now_ns: int) -> list[int]: ...

    def dedup_token(self) -> str: ...


class Sink(Protocol):
    """Where batches go. The exporter only needs these two calls, so tests can wrap a real writer."""

    def write(self, columns: Any, token: str) -> int: ...

    def close(self) -> None: ...


class TraceWriter:
    """Column-oriented, deduplicated inserts into ``<database>.otel_traces`` (or the ``table`` given,
    e.g. ``otel_logs``) over clickhouse-connect.

    The table's column types are read once (one ``DESCRIBE``) and reused, so each insert is a
    single round trip on both the HTTP and the embedded (chdb) backend.
    """

    def __init__(self, client: Client, database: str, table: str = TRACES_TABLE) -> None:
        self._client = client
        self._database = database
        self._table = table
        self._column_types: Sequence[Any] | None = None

    def write(self, columns: Block | TraceColumns, token: str | None = None) -> int:
        """Inserts ``columns`` as one block; returns how many of its spans had an impossible time
        replaced by the write time (see :meth:`TraceColumns.fix_times`), logged once a minute."""
        if not len(columns):
            return 0
        fixed = columns.fix_times(time.time_ns())
        names = columns.NAMES
        if fixed:
            columns_ = columns.columns
            first = fixed[0]
            service, trace_id, span_id = (names.index(name) for name in ("ServiceName", "TraceId", "SpanId"))
            _impossible_time_log.log(
                "stored %d rows with a time outside 1970..2106 (what the tables can keep) at the time of "
                "writing, e.g. service %r trace %s span %s: the sender's clock or instrumentation sets "
                "impossible times",
                len(fixed),
                columns_[service][first],
                columns_[trace_id][first],
                columns_[span_id][first],
            )
        if self._column_types is None:
            context = self._client.create_insert_context(
                self._table, list(names), database=self._database, column_oriented=True
            )
            self._column_types = context.column_types
        token = token or columns.dedup_token()
        try:
            self._insert(columns.columns, names, token)
        except UnicodeEncodeError:
            # One lone surrogate (how Python carries invalid UTF-8) must not cost the whole batch.
            # Serializing failed before anything was stored, so the same token stays right.
            _log.warning("Replacing invalid UTF-8 in a batch of %d rows with U+FFFD", len(columns))
            self._insert([valid_utf8(column) for column in columns.columns], names, token)
        return len(fixed)

    def _insert(self, data: Sequence[Sequence[Any]], names: Sequence[str], token: str) -> None:
        self._client.insert(
            self._table,
            data,
            column_names=list(names),
            database=self._database,
            column_types=self._column_types,
            column_oriented=True,
            settings={
                "insert_deduplication_token": token,
                "insert_deduplicate": 1,
                "deduplicate_blocks_in_dependent_materialized_views": 1,
            },
        )

    def close(self) -> None:
        self._client.close()


def is_retryable(error: BaseException) -> bool:
    """True when the same insert may succeed later; False when it would fail the same way forever.

    Retryable: the server unreachable, reset or timing out; HTTP 408/429/5xx; ClickHouse codes for
    overload and transient cluster trouble (``TOO_MANY_PARTS``, ``MEMORY_LIMIT_EXCEEDED``,
    ``TIMEOUT_EXCEEDED``, keeper and replica errors ...). Permanent: everything else, e.g. a
    type mismatch, an unknown table, bad credentials, or a bug of ours.
    """
    if isinstance(error, (ConnectionError, TimeoutError, socket.timeout)):
        return True
    try:
        from clickhouse_connect.driver import exceptions as ch
    except ImportError:  # without the driver nothing will ever succeed
        return False
    if not isinstance(error, ch.Error):
        return False
    if error.code is not None:  # the server (or chdb) said why
        return error.code in _RETRYABLE_CODES
    if isinstance(error, ch.OperationalError):
        return True  # transport failures and HTTP statuses clickhouse-connect already retried
    status = _HTTP_STATUS.search(str(error))
    return status is not None and int(status.group(1)) in _RETRYABLE_HTTP
