"""Shutdown is bounded whatever the store does, and every span it leaves behind is counted dropped.

Each unreachable store is a real socket on 127.0.0.1 and the exporter talks to it through the real
HTTP driver: a closed port (refused at once), a listening socket whose backlog is full (the connect
hangs), and a server that accepts and never answers (the request hangs). The driver's own timeout
is 30 s, so only the exporter's shutdown bound can end the wait in time.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from otel_llm import semconv
from otel_llm.exporter import ClickHouseSpanExporter, ExporterConfig, Sink, open_sink
from otel_llm.exporter.table import TraceColumns
from tests.fixtures.otel import emit_spans, finished_spans
from tests.fixtures.store import Store

BOUND_S = 1.0
SLACK_S = 1.0  # a loaded machine: joining a thread and taking a lock may lag, never by a second
DRIVER_TIMEOUT_S = 30.0  # the 30 s: the driver alone would wait this long
SPANS = 3_000


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on: every connect is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def full_backlog() -> Iterator[int]:
    """A listening socket that never accepts, its backlog already full: a new connect hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = int(listener.getsockname()[1])
    filler = socket.create_connection(("127.0.0.1", port), timeout=2.0)  # takes the one place
    with socket.socket() as probe:  # prove the scenario: the next connect gets no answer
        probe.settimeout(0.3)
        with pytest.raises(TimeoutError):
            probe.connect(("127.0.0.1", port))
    yield port
    filler.close()
    listener.close()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A server that accepts every connection and never reads or answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []

    def accept_forever() -> None:
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:  # the listener was closed: the test is over
                return

    thread = threading.Thread(target=accept_forever, daemon=True)
    thread.start()
    yield int(listener.getsockname()[1])
    listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() alone does not on Linux
    listener.close()
    for connection in held:
        connection.close()
    thread.join(5)


@pytest.fixture
def unreachable(request: pytest.FixtureRequest) -> int:
    return int(request.getfixturevalue(request.param))


def _exporter(port: int, **settings: float) -> ClickHouseSpanExporter:
    return ClickHouseSpanExporter(
        endpoint=f"http://127.0.0.1:{port}", timeout_s=DRIVER_TIMEOUT_S, max_batch_age_s=0.0, **settings
    )


def _timed(call: Callable[[], object]) -> tuple[object, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def _wait_for(predicate: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def _shutdown_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "at shutdown" in r.getMessage()]


@pytest.mark.parametrize(
    ("unreachable", "reason"),
    [
        ("closed_port", "ConnectionRefusedError: [Errno 111] Connection refused"),  # the socket's words
        ("full_backlog", "an insert was still waiting for ClickHouse"),
        ("silent_server", "an insert was still waiting for ClickHouse"),
    ],
    indirect=["unreachable"],
)
def test_shutdown_returns_within_its_bound_and_counts_what_was_buffered_as_dropped(
    unreachable: int, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    exporter = _exporter(unreachable, shutdown_timeout_s=BOUND_S)
    exporter.export(finished_spans(SPANS))
    _wait_for(lambda: exporter.stats().failed_inserts > 0 or exporter._worker._inflight > 0)
    buffered = exporter.stats().buffered_spans

    with caplog.at_level(logging.WARNING, logger="otel_llm.exporter"):
        _, elapsed = _timed(lambda: exporter.shutdown(timeout_millis=30_000))  # the SDK's default

    stats = exporter.stats()
    assert elapsed < BOUND_S + SLACK_S
    assert buffered == SPANS
    assert (stats.dropped_spans, stats.written_spans, stats.buffered_spans) == (buffered, 0, 0)
    (line,) = _shutdown_lines(caplog)  # one line, naming how many, why, and the setting
    assert f"dropped {SPANS} spans" in line and semconv.ENV_CLICKHOUSE_SHUTDOWN_TIMEOUT in line
    assert reason in line


def test_the_sdk_shutdown_of_an_app_is_bounded_by_the_environment_variable(
    full_backlog: int, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(semconv.ENV_CLICKHOUSE_SHUTDOWN_TIMEOUT, "0.5")
    exporter = _exporter(full_backlog)
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(exporter))
    emit_spans(provider, SPANS)

    with caplog.at_level(logging.WARNING, logger="otel_llm.exporter"):
        _, elapsed = _timed(provider.shutdown)  # what the SDK runs at exit

    assert exporter.config.shutdown_timeout_s == 0.5
    assert elapsed < 0.5 + SLACK_S
    stats = exporter.stats()
    assert (stats.received_spans, stats.dropped_spans, stats.buffered_spans) == (SPANS, SPANS, 0)
    assert len(_shutdown_lines(caplog)) == 1


def test_a_shorter_sdk_timeout_wins_over_the_setting(silent_server: int) -> None:
    exporter = _exporter(silent_server, shutdown_timeout_s=60.0)
    exporter.export(finished_spans(10))
    _, elapsed = _timed(lambda: exporter.shutdown(timeout_millis=300))
    assert elapsed < 0.3 + SLACK_S
    assert exporter.stats().dropped_spans == 10


def test_force_flush_honours_its_timeout(silent_server: int) -> None:
    exporter = _exporter(silent_server, shutdown_timeout_s=BOUND_S)
    exporter.export(finished_spans(10))
    flushed, elapsed = _timed(lambda: exporter.force_flush(timeout_millis=400))
    assert flushed is False
    assert 0.35 <= elapsed < 0.4 + SLACK_S
    assert exporter.stats().buffered_spans == 10  # a flush that times out drops nothing
    exporter.shutdown()
    assert exporter.stats().dropped_spans == 10


def test_a_zero_timeout_stops_at_once_and_counts_everything(silent_server: int) -> None:
    exporter = _exporter(silent_server, shutdown_timeout_s=0)
    exporter.export(finished_spans(25))
    _, elapsed = _timed(exporter.shutdown)
    assert elapsed < SLACK_S
    assert (exporter.stats().dropped_spans, exporter.stats().buffered_spans) == (25, 0)


class _GatedSink:
    """The real writer behind a gate: a write waits there until the test opens it."""

    def __init__(self, inner: Sink) -> None:
        self.inner = inner
        self.entered = threading.Event()
        self.gate = threading.Event()

    def write(self, columns: TraceColumns, token: str) -> None:
        self.entered.set()
        self.gate.wait()
        self.inner.write(columns, token)

    def close(self) -> None:
        self.inner.close()


def _gated_exporter(store: Store, store_dsn: str, sinks: list[_GatedSink], endpoint: str) -> ClickHouseSpanExporter:
    """Writes to the session's chdb store through a gate; ``endpoint`` is what the exporter is told."""

    def factory(config: ExporterConfig) -> Sink:
        sinks.append(_GatedSink(open_sink(replace(config, endpoint=store_dsn))))
        return sinks[-1]

    return ClickHouseSpanExporter(
        endpoint=endpoint, database=store.database, sink_factory=factory, max_batch_age_s=0.0, shutdown_timeout_s=0.2
    )


def test_an_abandoned_insert_that_lands_later_is_counted_written_not_dropped(store: Store, store_dsn: str) -> None:
    sinks: list[_GatedSink] = []
    # The exporter is told a server's DSN (the gate writes to the real embedded store): a server's
    # insert in progress is abandoned at the bound (the embedded one's is waited for, below).
    exporter = _gated_exporter(store, store_dsn, sinks, endpoint="http://127.0.0.1:1")
    exporter.export(finished_spans(12))
    _wait_for(lambda: bool(sinks) and sinks[0].entered.is_set())
    exporter.shutdown()
    assert (exporter.stats().dropped_spans, exporter.stats().written_spans) == (12, 0)

    sinks[0].gate.set()  # the store answers after all
    _wait_for(lambda: exporter.stats().written_spans == 12)
    client, database = store
    assert int(client.command(f"SELECT count() FROM `{database}`.otel_traces")) == 12
    stats = exporter.stats()
    assert (stats.dropped_spans, stats.buffered_spans, stats.received_spans) == (0, 0, 12)


def test_an_embedded_insert_in_progress_is_waited_for_past_the_bound(
    store: Store, store_dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Abandoning chdb's native call while the interpreter exits crashed apps at exit (-11); the
    batch it stores is not announced as dropped (a user read "dropped 1 log records" for nothing)."""
    caplog.set_level(logging.INFO, logger="otel_llm.exporter")
    sinks: list[_GatedSink] = []
    exporter = _gated_exporter(store, store_dsn, sinks, endpoint=store_dsn)
    exporter.export(finished_spans(12))
    _wait_for(lambda: bool(sinks) and sinks[0].entered.is_set())
    opener = threading.Timer(1.0, sinks[0].gate.set)  # the embedded insert takes a second
    opener.start()
    _, elapsed = _timed(exporter.shutdown)
    assert elapsed >= 0.9  # not back at the 0.2 s bound while chdb still runs
    assert not exporter._worker._thread.is_alive()
    stats = exporter.stats()
    assert (stats.written_spans, stats.dropped_spans, stats.buffered_spans) == (12, 0, 0)
    client, database = store
    assert int(client.command(f"SELECT count() FROM `{database}`.otel_traces")) == 12
    assert "dropped" not in caplog.text and "after shutdown" not in caplog.text


def test_past_the_embedded_call_nothing_new_starts_and_only_the_rest_is_dropped(
    store: Store, store_dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    sinks: list[_GatedSink] = []
    exporter = _gated_exporter(store, store_dsn, sinks, endpoint=store_dsn)
    exporter.export(finished_spans(12))
    _wait_for(lambda: bool(sinks) and sinks[0].entered.is_set())
    exporter.export(finished_spans(5))  # waits behind the insert in progress
    opener = threading.Timer(1.0, sinks[0].gate.set)
    opener.start()
    exporter.shutdown()
    stats = exporter.stats()
    assert (stats.written_spans, stats.dropped_spans, stats.buffered_spans) == (12, 5, 0)
    assert "dropped 5 spans at shutdown" in caplog.text
    client, database = store
    assert int(client.command(f"SELECT count() FROM `{database}`.otel_traces")) == 12
