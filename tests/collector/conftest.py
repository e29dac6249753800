"""Collectors under test, spans sent to them by the real OTLP exporters, and a store held away."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

from tests.collector.harness import STARTED, RunningCollector, start_collector
from tests.collector.sql_hostile import Canary

TOKEN = "test-token-123"
_HOLDER = (
    "import sys, clickhouse_connect\n"
    "client = clickhouse_connect.get_client(dsn=sys.argv[1])\n"
    "print('holding', flush=True)\n"
    "sys.stdin.read()\n"
)


@pytest.fixture(autouse=True)
def reap() -> Iterator[None]:
    """Kills the collectors a test started and left running (an assertion failed before stop)."""
    before = len(STARTED)
    yield
    for process in STARTED[before:]:
        if process.poll() is None:
            process.kill()
            process.wait(10)


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    """One collector (auth on) shared by a module's tests; tests keep apart by service name."""
    running = start_collector(tmp_path_factory.mktemp("collector"), token=TOKEN)
    yield running
    running.stop()


def emit(
    exporter: SpanExporter,
    service: str,
    count: int,
    attributes: Mapping[str, Any] | None = None,
) -> list[str]:
    """Sends ``count`` spans through a real SDK pipeline; returns their span ids (hex)."""
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(exporter, max_export_batch_size=64))
    tracer = provider.get_tracer("tests.collector", "1.2.3")
    ids = []
    for index in range(count):
        with tracer.start_as_current_span(
            f"span {index}", kind=SpanKind.CLIENT, attributes={"index": index, **(attributes or {})}
        ) as span:
            span.add_event("an event", {"n": 1.5})
            if index % 2:
                span.set_status(Status(StatusCode.ERROR, "boom"))
            ids.append(format(span.get_span_context().span_id, "016x"))
    assert provider.force_flush(30_000)
    provider.shutdown()
    return ids


def unique_service(prefix: str) -> str:
    return f"{prefix}-{random.randrange(1 << 30)}"


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Polls: what the test waits for moves on another thread or process, so it can only watch."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


@pytest.fixture(scope="module")
def canary() -> Iterator[Canary]:
    """A local HTTP server that counts requests: a hit means a SQL query reached the network."""
    server = Canary()
    yield server
    server.close()


@pytest.fixture(scope="module")
def sql_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    """A collector of its own (token on) holding 20 spans, for hostile SQL to prove unchanged."""
    running = start_collector(tmp_path_factory.mktemp("sql"), token=TOKEN)
    emit(HttpExporter(endpoint=running.url + "/v1/traces", headers=running.auth_headers), unique_service("seed"), 20)
    assert running.wait_for("SELECT count() FROM otel_traces", 20) == 20
    yield running
    running.stop()


@pytest.fixture
def store_held(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """A chdb directory locked by another process until the test calls ``release(holder)``.

    chdb lets one process hold a data directory, so a collector given this DSN finds its store
    unavailable, exactly like a ClickHouse server that is down, until the holder exits.
    """
    dsn = f"chdb://{tmp_path / 'held-chdb'}"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, dsn], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    yield dsn, holder
    if holder.poll() is None:
        holder.kill()
    holder.wait(10)


def release(holder: subprocess.Popen[str]) -> None:
    """The store comes back: the holder exits and frees the chdb directory."""
    assert holder.stdin is not None
    holder.stdin.close()
    holder.wait(30)
