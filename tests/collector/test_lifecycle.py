"""The collector's life at its edges: a start that cannot bind, a stop with work still spooled, and
a store that fails mid-run and comes back.

The store outage is driven at the drain, against the session's real chdb: a chdb directory cannot
be taken away from a process that already holds it, so a running collector's embedded store cannot
be made to fail and come back for real. The failure is injected one layer down instead, in the
ClickHouse client (third-party code), as a server that goes away looks through it; the drain and
the spool are ours and run unchanged.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from concurrent import futures
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import grpc
import pytest
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import OperationalError

from otel_llm.store import connect
from otel_llm_collector.drain import Drain
from otel_llm_collector.metrics import Counters
from otel_llm_collector.signals import TRACES
from otel_llm_collector.spool import Spool
from tests.collector.conftest import release, wait_until
from tests.collector.harness import STARTED, start_collector
from tests.collector.test_drain import llm_request
from tests.collector.test_durability import PROTOBUF, request_bytes
from tests.fixtures.store import Store, query_in_subprocess


@contextmanager
def socket_holding_a_port() -> Iterator[int]:
    """Any other program listening on the port."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


@contextmanager
def grpc_server_holding_a_port() -> Iterator[int]:
    """Another collector: gRPC servers set SO_REUSEPORT by default, and two that both do would
    share the port, each silently taking part of the connections."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield port
    finally:
        server.stop(None)


@pytest.mark.parametrize("holder", [socket_holding_a_port, grpc_server_holding_a_port])
def test_a_grpc_port_in_use_stops_the_start_with_a_clear_message_and_exit_1(
    tmp_path: Path, holder: Callable[[], AbstractContextManager[int]]
) -> None:
    """An operator who starts a second collector must read why it stopped, not a traceback."""
    with holder() as port, pytest.raises(RuntimeError, match="collector did not start") as failed:
        start_collector(tmp_path / "c", "--grpc-port", str(port))  # the last --grpc-port wins
    log = str(failed.value)
    assert STARTED[-1].returncode == 1, log
    assert "collector cannot start" in log and str(port) in log
    assert "Traceback" not in log


def test_a_second_collector_on_the_same_spool_stops_and_the_first_loses_nothing(tmp_path: Path) -> None:
    """One user's collectors share the default spool directory. A second one that started anyway
    would delete the first one's open segment, and what the first acknowledged next would be lost."""
    first = start_collector(tmp_path / "a")
    assert first.post("/v1/traces", request_bytes("shared-spool", range(1, 11)), PROTOBUF)[0] == 200
    assert first.wait_drained() == 0  # the open segment holds nothing undrained: what a recovery deletes

    with pytest.raises(RuntimeError, match="collector did not start") as failed:
        start_collector(tmp_path / "b", "--spool-dir", str(tmp_path / "a" / "spool"))  # the last one wins
    log = str(failed.value)
    assert STARTED[-1].returncode == 1, log
    assert "collector cannot start" in log and f"in use by another collector (pid {first.process.pid})" in log
    assert "Traceback" not in log

    assert first.post("/v1/traces", request_bytes("shared-spool", range(11, 21)), PROTOBUF)[0] == 200
    query = "SELECT count() FROM otel_traces WHERE ServiceName = 'shared-spool'"
    assert first.wait_for(query, 20) == 20
    assert first.stop() == 0


def test_sigterm_drains_what_is_still_spooled_before_exiting(
    tmp_path: Path, store_held: tuple[str, subprocess.Popen[str]]
) -> None:
    """SIGTERM lands with acknowledged spans not yet inserted: they must reach ClickHouse before
    the process exits, not wait in the spool for a next start. The store is held until the
    collector is shutting down, so nothing can drain before the signal, however slow the machine."""
    dsn, holder = store_held
    running = start_collector(tmp_path / "c", "--shutdown-grace", "120", endpoint=dsn, wait_ready=False)
    for k in range(5):
        body = request_bytes("sigterm", range(k * 100 + 1, k * 100 + 101))
        assert running.post("/v1/traces", body, PROTOBUF)[0] == 200
    assert running.metric("spool_requests") == 5  # the test's premise: all of it is still undrained

    running.process.send_signal(signal.SIGTERM)
    assert wait_until(lambda: "shutting down" in running.log()), running.log()
    release(holder)  # the store comes back within the grace period
    running.process.wait(150)
    assert running.stop() == 0  # already exited: this only collects its last lines
    assert json.loads(running.lines[-1]) == {"event": "stopped", "spool_pending_requests": 0}
    query = "SELECT count(), uniqExact(SpanId) FROM otel.otel_traces WHERE ServiceName = 'sigterm'"
    assert query_in_subprocess(dsn, query) == [[500, 500]]


class _AnswerLosingClient:
    """A real client whose inserts still reach the store during an outage but whose answer is
    lost on the way back: the case where the drain cannot know whether the block is in."""

    def __init__(self, client: Client, down: threading.Event) -> None:
        self._client = client
        self._down = down

    def insert(self, *args: Any, **kwargs: Any) -> Any:
        summary = self._client.insert(*args, **kwargs)
        if self._down.is_set():
            raise OperationalError("Error executing HTTP request: Connection reset by peer")
        return summary

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class _Outage:
    """The store as the drain sees it while ``down`` is set: new connections are refused, and the
    insert under way when it went down lands but is not acknowledged."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self.down = threading.Event()

    def connect(self) -> Any:
        if self.down.is_set():
            raise OperationalError("Error executing HTTP request: Connection refused")
        return _AnswerLosingClient(connect(self._dsn), self.down)


def test_a_store_that_fails_mid_run_gets_every_span_exactly_once_when_it_returns(
    tmp_path: Path, store: Store, store_dsn: str
) -> None:
    client, database = store
    outage = _Outage(store_dsn)
    counters = Counters()
    spool = Spool(tmp_path / "spool", 1 << 20)
    drain = Drain(
        TRACES,
        spool,
        outage.connect,
        lambda _client: None,  # the store fixture already migrated the database
        database,
        counters,
        dead_letter_dir=tmp_path / "dead",
        linger=0.0,
    )
    drain.start()
    try:
        spool.append(llm_request(first=1, count=10))
        assert wait_until(lambda: spool.pending_records == 0)
        assert client.command(f"SELECT count() FROM `{database}`.otel_traces") == 10

        outage.down.set()
        spool.append(llm_request(first=100, count=10))  # lands in ClickHouse, answer lost
        assert wait_until(lambda: counters.get("clickhouse_errors") >= 2)  # that insert, then a refused reconnect
        spool.append(llm_request(first=200, count=10))  # arrives while the store is away
        assert drain.status.startswith("store unavailable")
        assert spool.pending_records == 2

        outage.down.clear()
        assert wait_until(lambda: spool.pending_records == 0)
    finally:
        drain.stop(5)

    traces = f"SELECT count(), uniqExact(SpanId) FROM `{database}`.otel_traces"
    assert client.query(traces).result_rows == [(30, 30)]
    assert client.command(f"SELECT count() FROM `{database}`.llm_calls") == 30  # the views deduplicated too
    assert not (tmp_path / "dead").exists()  # nothing was given up on
