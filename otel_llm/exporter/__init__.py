"""A span exporter that stores every span in ClickHouse, where otel-llm's views price and roll it up.

Under ``opentelemetry-instrument`` (with ``opentelemetry-distro`` installed, which applies the
variable)::

    OTEL_TRACES_EXPORTER=otlp,clickhouse opentelemetry-instrument python app.py

keeps sending to Jaeger/Tempo and also fills ClickHouse. In code::

    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from otel_llm.exporter import ClickHouseSpanExporter

    provider.add_span_processor(BatchSpanProcessor(ClickHouseSpanExporter(endpoint="chdb:///var/lib/otel-llm")))

Settings: keyword argument, else ``OTEL_EXPORTER_CLICKHOUSE_<NAME>``, else the default.

- ``endpoint`` (``..._ENDPOINT``): ``chdb:///dir`` (embedded) or ``http(s)://user:pass@host:8123``;
  default ``chdb://$XDG_DATA_HOME/otel-llm`` (``~/.local/share/otel-llm``).
- ``database`` (``..._DATABASE``): default ``otel``.
- ``username``, ``password`` (``..._USERNAME``, ``..._PASSWORD``): server credentials.
- ``create_schema`` (``..._CREATE_SCHEMA``): on for chdb, off for a server (run ``otel-llm migrate``).
- ``ttl_days`` (``..._TTL_DAYS``): retention of the raw span tables; default the schema's (30).
- ``timeout_s`` (``..._TIMEOUT``, seconds): per server request; default 10.
- ``compression`` (``..._COMPRESSION``): ``auto``, ``none``, ``lz4``, ``zstd``, ``gzip``, ``br``.
- ``max_buffered_spans`` (``..._MAX_BUFFERED_SPANS``): spans held while the store is away; 100000.
- ``shutdown_timeout_s`` (``..._SHUTDOWN_TIMEOUT``, seconds): the most ``shutdown()`` waits for the
  store, so an unreachable one cannot hold up the app's exit; default 5.

``export()`` never blocks on the store: spans are regrouped into inserts of up to 50,000 rows or
1 s on the exporter's own thread, which opens the store lazily. Failed inserts are retried with
backoff under the same ``insert_deduplication_token`` (stored once); past the buffer bound the
oldest spans are dropped and counted (``stats()``). ``provider.force_flush()`` only empties the
BatchSpanProcessor (the SDK does not pass it on): call ``exporter.force_flush()`` to wait for the
store. chdb lets one process own a data directory: services with several processes should send
OTLP to ``otel-llm collector`` instead.

The log exporter (:class:`ClickHouseLogExporter`, entry point ``clickhouse`` of
``OTEL_LOGS_EXPORTER``) stores log records in ``otel_logs`` (the contrib exporter's layout) with
the same settings, variables, thread, retries, dedup tokens and bounds; the schema's
``llm_calls`` view reads the usage records otel-llm emits for calls whose span was sampled out,
so reports count every call::

    OTEL_TRACES_EXPORTER=otlp,clickhouse OTEL_LOGS_EXPORTER=clickhouse opentelemetry-instrument python app.py

Public here: the exporters, their settings (:class:`ExporterSettings`, resolved into
:class:`ExporterConfig`), its counters (:class:`ExportStats`), and the constructor's seams
(:class:`RetryPolicy`, :class:`Waiter`, a ``sink_factory`` returning a :class:`Sink`, default
:func:`open_sink`). The ``otel_traces`` row format and its deduplicated insert, which the
collector builds on, are the public module :mod:`otel_llm.exporter.table`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from opentelemetry.sdk.trace import ReadableSpan

try:  # opentelemetry-sdk >= 1.39 names the base LogRecordExporter
    from opentelemetry.sdk._logs.export import LogRecordExporter as _LogExporterBase
    from opentelemetry.sdk._logs.export import LogRecordExportResult as _LogExportResult
except ImportError:  # pragma: no cover - older SDKs
    from opentelemetry.sdk._logs.export import LogExporter as _LogExporterBase  # type: ignore[assignment,no-redef]
    from opentelemetry.sdk._logs.export import LogExportResult as _LogExportResult  # type: ignore[assignment,no-redef]
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from otel_llm.exporter._config import ExporterConfig, ExporterSettings, resolve_config
from otel_llm.exporter._log_rows import log_records_to_columns
from otel_llm.exporter._retry import RetryPolicy, Waiter
from otel_llm.exporter._worker import ExportStats, ExportWorker
from otel_llm.exporter._writer import LOGS_TABLE, TRACES_TABLE, Sink, TraceWriter
from otel_llm.schema import prepare
from otel_llm.store import connect, dictionary_credentials  # chdb and clickhouse-connect load when connect runs

__all__ = [
    "ClickHouseLogExporter",
    "ClickHouseSpanExporter",
    "ExportStats",
    "ExporterConfig",
    "ExporterSettings",
    "RetryPolicy",
    "Sink",
    "Waiter",
    "open_sink",
]

if TYPE_CHECKING:
    from typing_extensions import Unpack

_log = logging.getLogger(__name__)


def open_sink(config: ExporterConfig, table: str = TRACES_TABLE) -> Sink:
    """Connect (on the calling thread), create the schema when asked, and return the writer of ``table``."""
    client = connect(
        config.endpoint,
        username=config.username,
        password=config.password,
        timeout_s=config.timeout_s,
        compression=config.compression,
    )
    try:
        if config.create_schema:
            credentials = dictionary_credentials(config.endpoint, username=config.username, password=config.password)
            prepare(client, config.database, ttl_days=config.schema_ttl_days, source_credentials=credentials)
    except BaseException:
        client.close()
        raise
    return TraceWriter(client, config.database, table)


class _WorkerExporter:
    """What both exporters are: settings resolved once, and a worker thread that stores their items.

    Each exporter adds only ``export`` (its SDK's result type) and what its items become.
    """

    def __init__(
        self,
        settings: ExporterSettings,
        sink_factory: Callable[[ExporterConfig], Sink],
        retry: RetryPolicy | None,
        waiter: Waiter | None,
        **conversion: Any,
    ) -> None:
        self._config = config = resolve_config(**settings)
        self._worker = ExportWorker(
            config, lambda: sink_factory(config), retry or RetryPolicy(), waiter or Waiter(), **conversion
        )

    @property
    def config(self) -> ExporterConfig:
        return self._config

    def _hand_over(self, items: Sequence[Any]) -> bool:
        """Queue ``items`` for the worker; False when refused (stopping) or on a bug of ours."""
        try:
            return self._worker.enqueue(items)
        except Exception:  # a bug of ours must not reach the SDK's thread
            _log.exception("ClickHouse exporter could not accept %d items", len(items))
            return False

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Write everything received so far; False if that did not finish within the timeout."""
        return self._worker.flush(timeout_millis / 1000)

    def shutdown(self, timeout_millis: int = 30_000) -> None:
        """Flush, then stop, within the shorter of ``timeout_millis`` and ``shutdown_timeout_s``.

        Returns by then whatever the store does (an insert or connect still in progress is
        abandoned); the items not stored are dropped, counted in ``stats()`` and logged in one line.
        """
        self._worker.shutdown(timeout_millis / 1000)

    def stats(self) -> ExportStats:
        return self._worker.stats()


class ClickHouseSpanExporter(_WorkerExporter, SpanExporter):
    """Spans into ``otel_traces`` (the OTel Collector contrib layout), exactly once, off the app's path."""

    def __init__(
        self,
        *,
        retry: RetryPolicy | None = None,
        sink_factory: Callable[[ExporterConfig], Sink] | None = None,
        waiter: Waiter | None = None,
        **settings: Unpack[ExporterSettings],
    ) -> None:
        """Settings as in the table above; bad ones raise ``ValueError`` here. Nothing connects yet.

        ``sink_factory`` and ``waiter`` are seams (a wrapped writer, a fake clock), as the OTLP
        exporters accept a session: the defaults are :func:`open_sink` and real time.
        """
        super().__init__(settings, sink_factory or open_sink, retry, waiter)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Hand the spans to the exporter's thread; returns at once, whatever the store is doing."""
        return SpanExportResult.SUCCESS if self._hand_over(spans) else SpanExportResult.FAILURE


def _open_log_sink(config: ExporterConfig) -> Sink:
    return open_sink(config, LOGS_TABLE)


class ClickHouseLogExporter(_WorkerExporter, _LogExporterBase):  # type: ignore[misc,valid-type]
    """Log records into ``otel_logs`` (the OTel Collector contrib layout), exactly once, off the app's path.

    Everything as :class:`ClickHouseSpanExporter` (settings, variables, the worker thread, retries
    under one dedup token, the buffer bound, the bounded shutdown); ``max_buffered_spans`` and
    the ``stats()`` counters count log records here.
    """

    def __init__(
        self,
        *,
        retry: RetryPolicy | None = None,
        sink_factory: Callable[[ExporterConfig], Sink] | None = None,
        waiter: Waiter | None = None,
        **settings: Unpack[ExporterSettings],
    ) -> None:
        super().__init__(
            settings,
            sink_factory or _open_log_sink,
            retry,
            waiter,
            convert=log_records_to_columns,
            noun="log records",
        )

    def export(self, batch: Sequence[Any]) -> _LogExportResult:
        """Hand the records to the exporter's thread; returns at once, whatever the store is doing."""
        return _LogExportResult.SUCCESS if self._hand_over(batch) else _LogExportResult.FAILURE
