"""The store failing: retries with the same token, bounded memory, counted drops, never an exception.

Retry timing runs on a fake clock (``_FakeWaiter``): a backoff is recorded and skipped, not slept.
Failures come from seams around the real writer or from a real HTTP client on a closed port.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterator

import pytest
from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError
from opentelemetry.sdk.trace.export import SpanExportResult

from otel_llm.exporter import ClickHouseSpanExporter, ExporterConfig, RetryPolicy, Sink, Waiter, open_sink
from otel_llm.exporter.table import TraceColumns
from tests.fixtures.otel import finished_spans
from tests.fixtures.store import Store

NO_JITTER = RetryPolicy(initial_backoff_s=1.0, max_backoff_s=8.0, jitter=0.0)


class _FakeWaiter(Waiter):
    """Virtual time: a timed wait advances the clock instead of sleeping; an untimed one really waits."""

    def __init__(self) -> None:
        self.time = 0.0
        self.waits: list[float] = []
        super().__init__(lambda: self.time)

    def wait(self, condition: threading.Condition, timeout: float | None) -> None:
        if timeout is None:
            condition.wait()
            return
        self.waits.append(timeout)
        self.time += timeout


class _FailingSink:
    """The real writer behind a seam that raises ``error`` for the first ``failures`` writes."""

    def __init__(self, inner: Sink | None, error: Exception, failures: int) -> None:
        self.inner = inner
        self.error = error
        self.failures = failures
        self.tokens: list[str] = []
        self.gate = threading.Event()  # writes wait here until the test opens it
        self.gate.set()

    def write(self, columns: TraceColumns, token: str) -> None:
        self.gate.wait()
        self.tokens.append(token)
        if self.failures > 0:
            self.failures -= 1
            raise self.error
        assert self.inner is not None
        self.inner.write(columns, token)

    def close(self) -> None:
        if self.inner is not None:
            self.inner.close()


@pytest.fixture
def exporters() -> Iterator[list[ClickHouseSpanExporter]]:
    made: list[ClickHouseSpanExporter] = []
    yield made
    for exporter in made:
        exporter.shutdown(timeout_millis=5_000)


def _count(store: Store) -> int:
    client, database = store
    return int(client.command(f"SELECT count() FROM `{database}`.otel_traces"))


def test_transient_failures_are_retried_with_backoff_and_the_same_token(
    store: Store, store_dsn: str, exporters: list[ClickHouseSpanExporter]
) -> None:
    sinks: list[_FailingSink] = []
    waiter = _FakeWaiter()

    def factory(config: ExporterConfig) -> Sink:
        sinks.append(_FailingSink(open_sink(config), DatabaseError("Too many parts", code=252), failures=3))
        return sinks[-1]

    exporter = ClickHouseSpanExporter(
        endpoint=store_dsn,
        database=store.database,
        sink_factory=factory,
        retry=NO_JITTER,
        waiter=waiter,
        max_batch_age_s=3_600.0,
    )
    exporters.append(exporter)
    assert exporter.export(finished_spans(20)) is SpanExportResult.SUCCESS
    assert exporter.force_flush(30_000)

    assert _count(store) == 20
    (sink,) = sinks
    assert len(sink.tokens) == 4 and len(set(sink.tokens)) == 1  # three failures, one success, one token
    assert [w for w in waiter.waits if w < 100] == [1.0, 2.0, 4.0]  # the backoff, in order
    stats = exporter.stats()
    assert (stats.failed_inserts, stats.inserts, stats.written_spans, stats.dropped_spans) == (3, 1, 20, 0)
    assert "Too many parts" in (stats.last_error or "")


def test_a_permanent_error_rejects_its_batch_only(
    store: Store, store_dsn: str, exporters: list[ClickHouseSpanExporter], caplog: pytest.LogCaptureFixture
) -> None:
    sink_holder: list[_FailingSink] = []

    def factory(config: ExporterConfig) -> Sink:
        sink_holder.append(_FailingSink(open_sink(config), DatabaseError("Type mismatch", code=53), failures=1))
        return sink_holder[-1]

    exporter = ClickHouseSpanExporter(
        endpoint=store_dsn, database=store.database, sink_factory=factory, waiter=_FakeWaiter()
    )
    exporters.append(exporter)
    with caplog.at_level(logging.WARNING, logger="otel_llm.exporter"):
        exporter.export(finished_spans(5))
        assert exporter.force_flush(30_000)
        exporter.export(finished_spans(7))
        assert exporter.force_flush(30_000)

    stats = exporter.stats()
    assert (stats.rejected_spans, stats.written_spans, stats.failed_inserts) == (5, 7, 0)
    assert _count(store) == 7
    assert "not retried" in caplog.text


def test_a_long_outage_drops_the_oldest_spans_counted_with_memory_bounded(
    exporters: list[ClickHouseSpanExporter], caplog: pytest.LogCaptureFixture
) -> None:
    down = _FailingSink(None, OperationalError("Error executing HTTP request"), failures=10**9)
    down.gate.clear()  # the first insert hangs while the app keeps exporting
    exporter = ClickHouseSpanExporter(
        endpoint="http://127.0.0.1:9",
        max_buffered_spans=1_000,
        max_batch_age_s=0.0,
        sink_factory=lambda config: down,
        waiter=_FakeWaiter(),
    )
    exporters.append(exporter)
    batch = finished_spans(300)
    with caplog.at_level(logging.WARNING, logger="otel_llm.exporter"):
        results = [exporter.export(batch) for _ in range(20)]
        down.gate.set()
        assert exporter.force_flush(timeout_millis=100) is False  # lets the worker fail and retry a while
    stats = exporter.stats()

    assert results == [SpanExportResult.SUCCESS] * 20  # the app never sees the outage
    assert stats.buffered_spans <= 1_000
    assert stats.received_spans == 6_000
    assert stats.dropped_spans >= 5_000
    assert stats.dropped_spans + stats.buffered_spans == 6_000  # every span accounted for
    assert stats.written_spans == 0 and stats.failed_inserts >= 1
    assert caplog.text.count("buffer full") == 1  # one line, not one per batch


def test_a_closed_port_is_retried_and_shutdown_ends_in_a_counted_drop(exporters: list[ClickHouseSpanExporter]) -> None:
    with socket.socket() as probe:  # a port nothing listens on: connections are refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    exporter = ClickHouseSpanExporter(
        endpoint=f"http://127.0.0.1:{port}", timeout_s=2.0, retry=NO_JITTER, waiter=_FakeWaiter()
    )
    exporters.append(exporter)
    assert exporter.config.create_schema is False  # a server's schema is migrated by its owner
    assert exporter.export(finished_spans(10)) is SpanExportResult.SUCCESS
    exporter.shutdown(timeout_millis=20_000)  # virtual time: retries until the deadline, then drops
    stats = exporter.stats()
    assert stats.failed_inserts >= 2  # connection refused counts as transient
    assert (stats.dropped_spans, stats.written_spans, stats.buffered_spans) == (10, 0, 0)
    assert exporter.export(finished_spans(1)) is SpanExportResult.FAILURE  # after shutdown, as the SDK's exporters


def test_shutdown_flushes_what_is_still_waiting(store: Store, store_dsn: str) -> None:
    exporter = ClickHouseSpanExporter(
        endpoint=store_dsn, database=store.database, max_batch_age_s=3_600.0, shutdown_timeout_s=60.0
    )
    exporter.export(finished_spans(42))
    exporter.shutdown(timeout_millis=30_000)
    assert _count(store) == 42
    assert exporter.stats().written_spans == 42


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_starts_empty_with_its_own_worker(exporters: list[ClickHouseSpanExporter]) -> None:
    down = _FailingSink(None, OperationalError("down"), failures=10**9)
    exporter = ClickHouseSpanExporter(
        endpoint="http://127.0.0.1:9", sink_factory=lambda config: down, waiter=_FakeWaiter(), max_batch_age_s=3_600.0
    )
    exporters.append(exporter)
    exporter.export(finished_spans(5))
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, then leave without running pytest's teardown
        try:
            child = exporter.stats()
            accepted = exporter.export(finished_spans(2)) is SpanExportResult.SUCCESS
            alive = exporter._worker._thread.is_alive()
            os.write(write_end, f"{child.buffered_spans},{child.received_spans},{accepted},{alive}".encode())
        finally:
            os._exit(0)
    os.close(write_end)
    report = os.read(read_end, 100).decode()
    os.waitpid(pid, 0)
    assert report == "0,0,True,True"  # the parent's spans stay with the parent
    assert exporter.stats().received_spans == 5


def test_a_missing_schema_is_refused_with_the_fix_in_the_log(
    store: Store, store_dsn: str, exporters: list[ClickHouseSpanExporter], caplog: pytest.LogCaptureFixture
) -> None:
    exporter = ClickHouseSpanExporter(endpoint=store_dsn, database=f"{store.database}_absent", create_schema=False)
    exporters.append(exporter)
    with caplog.at_level(logging.WARNING, logger="otel_llm.exporter"):
        exporter.export(finished_spans(3))
        assert exporter.force_flush(30_000)
    assert (exporter.stats().rejected_spans, exporter.stats().written_spans) == (3, 0)
    assert "otel-llm migrate" in caplog.text
