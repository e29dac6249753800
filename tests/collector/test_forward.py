"""The forwarder, driven directly against a raw TCP target: it survives broken answers and keeps
a stuck target's queue within its bounds."""

from __future__ import annotations

import logging
import re
import socket
import threading
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from otel_llm import semconv
from otel_llm.exporter import RetryPolicy
from otel_llm_collector.config import load_config
from otel_llm_collector.forward import Forwarder
from otel_llm_collector.metrics import Counters
from tests.collector.conftest import wait_until

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
NOT_HTTP = b"garbage\r\n\r\n"  # http.client: BadStatusLine
CUT_OFF = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"  # http.client: IncompleteRead
FAST = RetryPolicy(initial_backoff_s=0.01, max_backoff_s=0.01, jitter=0.0)


class RawTarget:
    """A TCP server on 127.0.0.1 answering request n with ``replies[n]`` (the last one repeats),
    so a test scripts a target that answers garbage, then recovers. Keeps the bodies it answered
    200 to. While ``gate`` is clear it holds every answer: a stuck target."""

    def __init__(self) -> None:
        self.replies = [OK]
        self.delivered: list[bytes] = []
        self.gate = threading.Event()
        self.gate.set()
        self._served = 0
        self._closed = threading.Event()
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.05)  # accept wakes up to notice close()
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _addr = self._server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        """Reads the whole request first: closing on unread bytes would reset the connection,
        and the client would see a reset instead of the answer under test."""
        head = b""
        with conn.makefile("rb") as stream:
            while (line := stream.readline()) not in (b"\r\n", b""):
                head += line
            length = re.search(rb"content-length:\s*(\d+)", head, re.IGNORECASE)
            body = stream.read(int(length.group(1)) if length else 0)
        self.gate.wait(10)
        reply = self.replies[min(self._served, len(self.replies) - 1)]
        self._served += 1
        if reply == OK:
            self.delivered.append(body)
        conn.sendall(reply)

    def close(self) -> None:
        self.gate.set()
        self._closed.set()
        self._thread.join(5)
        self._server.close()


@pytest.fixture
def target() -> Iterator[RawTarget]:
    running = RawTarget()
    yield running
    running.close()


@pytest.fixture
def counters() -> Counters:
    return Counters()


@pytest.fixture
def make_forwarder(target: RawTarget, counters: Counters) -> Iterator[Callable[..., Forwarder]]:
    """Builds forwarders to ``target`` with a fast retry policy, and closes them after the test."""
    forwarders: list[Forwarder] = []

    def make(**kwargs: int) -> Forwarder:
        forwarders.append(Forwarder(target.url, counters, policy=FAST, **kwargs))
        return forwarders[-1]

    yield make
    target.gate.set()
    target.replies = [OK]
    for forwarder in forwarders:
        forwarder.close(2.0)


@pytest.mark.parametrize("broken", [NOT_HTTP, CUT_OFF], ids=["not-http", "cut-off"])
def test_a_target_answering_broken_http_is_retried_until_it_recovers(
    target: RawTarget, make_forwarder: Callable[..., Forwarder], counters: Counters, broken: bytes
) -> None:
    target.replies = [broken, broken, OK]
    forwarder = make_forwarder()

    forwarder.submit(b"first", 3)

    assert wait_until(lambda: counters.get("spans_forwarded") == 3)
    assert target.delivered == [b"first"]
    assert counters.get("forward_errors") == 2
    forwarder.submit(b"second", 4)  # the thread is still there for the next request
    assert wait_until(lambda: counters.get("spans_forwarded") == 7)
    assert counters.get("spans_dropped") == 0


def test_an_unexpected_error_costs_one_request_not_the_forwarder(
    target: RawTarget,
    make_forwarder: Callable[..., Forwarder],
    counters: Counters,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    real_urlopen = urllib.request.urlopen
    failures = [RuntimeError("a bug nobody foresaw")]

    def urlopen_failing_once(*args: object, **kwargs: object) -> object:
        if failures:
            raise failures.pop()
        return real_urlopen(*args, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen_failing_once)
    forwarder = make_forwarder()

    with caplog.at_level(logging.ERROR, logger="otel_llm_collector.forward"):
        forwarder.submit(b"lost", 2)
        assert wait_until(lambda: counters.get("spans_dropped") == 2)
    forwarder.submit(b"next", 5)

    assert wait_until(lambda: counters.get("spans_forwarded") == 5)
    assert target.delivered == [b"next"]
    assert counters.get("forward_errors") == 1
    assert any(record.exc_info and "a bug nobody foresaw" in str(record.exc_info[1]) for record in caplog.records)


@pytest.mark.parametrize(
    ("bounds", "kept"),
    [({"max_queue_bytes": 1000}, 3), ({"max_queue": 2, "max_queue_bytes": 1 << 20}, 2)],
    ids=["bytes", "requests"],
)
def test_a_stuck_targets_queue_keeps_the_newest_requests_within_its_bounds(
    target: RawTarget,
    make_forwarder: Callable[..., Forwarder],
    counters: Counters,
    bounds: dict[str, int],
    kept: int,
) -> None:
    target.gate.clear()
    forwarder = make_forwarder(**bounds)
    bodies = [bytes([index]) * 300 for index in range(11)]
    forwarder.submit(bodies[0], 5)
    assert wait_until(lambda: forwarder.queued == 0)  # the first request is in flight, held by the target

    for body in bodies[1:]:
        forwarder.submit(body, 5)
        assert forwarder.queued_bytes <= bounds["max_queue_bytes"]

    assert (forwarder.queued, forwarder.queued_bytes) == (kept, 300 * kept)
    assert counters.get("spans_dropped") == 5 * (10 - kept)
    target.gate.set()
    assert wait_until(lambda: counters.get("spans_forwarded") == 5 * (1 + kept))
    assert target.delivered == [bodies[0], *bodies[-kept:]]


def test_a_request_larger_than_the_whole_bound_is_dropped_alone(
    target: RawTarget, make_forwarder: Callable[..., Forwarder], counters: Counters
) -> None:
    target.gate.clear()
    forwarder = make_forwarder(max_queue_bytes=1000)
    forwarder.submit(b"in flight", 1)
    assert wait_until(lambda: forwarder.queued == 0)
    forwarder.submit(b"q" * 600, 2)

    forwarder.submit(b"x" * 1001, 7)

    assert (forwarder.queued, forwarder.queued_bytes) == (1, 600)
    assert counters.get("spans_dropped") == 7


def test_forward_queue_bytes_is_a_flag_an_env_var_and_a_yaml_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(semconv.ENV_COLLECTOR_FORWARD_QUEUE_BYTES, raising=False)
    monkeypatch.delenv(semconv.ENV_COLLECTOR_CONFIG, raising=False)
    assert load_config([]).forward_queue_bytes == 256 << 20
    path = tmp_path / "collector.yaml"
    path.write_text("forward_queue_bytes: 1000\n")
    assert load_config(["--config", str(path)]).forward_queue_bytes == 1000
    monkeypatch.setenv(semconv.ENV_COLLECTOR_FORWARD_QUEUE_BYTES, "2000")
    assert load_config(["--config", str(path)]).forward_queue_bytes == 2000
    assert load_config(["--forward-queue-bytes", "3000"]).forward_queue_bytes == 3000
