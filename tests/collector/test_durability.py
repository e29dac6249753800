"""Nothing acknowledged is lost or doubled: kill -9 under load, a store that is away, a full spool.

The store is made unavailable for real: chdb lets one process hold a data directory, so a
"holder" subprocess that opens the collector's directory first keeps the collector out until it
exits, exactly like a ClickHouse server that is down and then comes back.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import grpc
import pytest
from google.rpc.error_details_pb2 import RetryInfo
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from tests.collector.conftest import emit, release
from tests.collector.harness import RunningCollector, start_collector

PROTOBUF = {"Content-Type": "application/x-protobuf"}


def request_bytes(service: str, span_ids: range) -> bytes:
    now = time.time_ns()
    spans = [
        Span(
            trace_id=i.to_bytes(16, "big"),
            span_id=i.to_bytes(8, "big"),
            name="load",
            start_time_unix_nano=now,
            end_time_unix_nano=now + 1000,
        )
        for i in span_ids
    ]
    resource = Resource(attributes=[KeyValue(key="service.name", value=AnyValue(string_value=service))])
    request = trace_service_pb2.ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(resource=resource, scope_spans=[ScopeSpans(spans=spans)])]
    )
    return request.SerializeToString()


def stored_once(collector: RunningCollector, service: str, ids: list[str]) -> tuple[int, int, int]:
    """(acknowledged ids found, total rows of the service, rows beyond one per span id)."""
    found = collector.sql(
        "SELECT count() FROM otel_traces WHERE ServiceName = {s:String} AND has({ids:Array(String)}, SpanId)",
        s=service,
        ids=ids,
    )[0][0]
    total, dupes = collector.sql(
        "SELECT count(), count() - uniqExact(SpanId) FROM otel_traces WHERE ServiceName = {s:String}", s=service
    )[0]
    return found, total, dupes


def test_kill_9_under_load_then_restart_keeps_every_acknowledged_span_exactly_once(tmp_path: Path) -> None:
    workdir = tmp_path / "c"
    running = start_collector(workdir)
    acked: list[str] = []
    attempted = 0
    lock = threading.Lock()
    stop = threading.Event()

    def sender(worker: int) -> None:
        nonlocal attempted
        batch = 0
        while not stop.is_set():
            first = (worker << 32) + batch * 100 + 1
            ids = range(first, first + 100)
            with lock:
                attempted += 100
            request = urllib.request.Request(
                running.url + "/v1/traces", data=request_bytes("kill9", ids), headers=PROTOBUF, method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    ok = response.status == 200
            except (urllib.error.URLError, ConnectionError, OSError):
                return  # the collector died mid-request: not acknowledged, may or may not be stored
            if ok:
                with lock:
                    acked.extend(i.to_bytes(8, "big").hex() for i in ids)
            batch += 1

    threads = [threading.Thread(target=sender, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    while len(acked) < 20_000:
        time.sleep(0.01)
    os.kill(running.process.pid, signal.SIGKILL)
    running.process.wait(10)
    stop.set()
    for thread in threads:
        thread.join(15)

    restarted = start_collector(workdir)
    try:
        assert restarted.wait_drained() == 0
        found, total, dupes = stored_once(restarted, "kill9", acked)
        assert found == len(acked)  # nothing acknowledged was lost
        assert dupes == 0  # nothing stored twice, though the spool replayed what was in flight
        assert len(acked) <= total <= attempted
    finally:
        assert restarted.stop() == 0
    assert json.loads(restarted.lines[-1]) == {"event": "stopped", "spool_pending_requests": 0}


def test_store_away_then_kill_9_then_store_back_loses_nothing(
    tmp_path: Path, store_held: tuple[str, subprocess.Popen[str]]
) -> None:
    dsn, holder = store_held
    workdir = tmp_path / "c"
    running = start_collector(workdir, endpoint=dsn, wait_ready=False)
    deadline = time.monotonic() + 30
    while b"store unavailable" not in (readiness := running.get("/readyz"))[1] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert readiness[0] == 503 and b"store unavailable" in readiness[1]

    ids = emit(HttpExporter(endpoint=running.url + "/v1/traces"), "outage", 50)
    assert running.metric("spans_received_total") == 50
    assert running.metric("spans_written_total") == 0
    assert running.metric("spool_requests") >= 1
    assert running.metric("clickhouse_errors_total") >= 1
    os.kill(running.process.pid, signal.SIGKILL)
    running.process.wait(10)

    restarted = start_collector(workdir, endpoint=dsn, wait_ready=False)
    try:
        release(holder)  # the store comes back
        restarted.wait_ready()
        assert restarted.wait_for("SELECT count() FROM otel_traces WHERE ServiceName = 'outage'", 50) == 50
        assert stored_once(restarted, "outage", ids) == (50, 50, 0)
    finally:
        assert restarted.stop() == 0


def test_a_retry_after_kill_9_of_a_spooled_request_is_acknowledged_not_stored_again(
    tmp_path: Path, store_held: tuple[str, subprocess.Popen[str]]
) -> None:
    """The sender's view: its request was fsynced, then the collector died before the answer
    reached it (the answer this test gets stands for one that never arrived), so it sends the same
    bytes to the restarted collector. The store is held so that nothing drains before the retry."""
    dsn, holder = store_held
    workdir = tmp_path / "c"
    body = request_bytes("retried", range(1, 51))
    running = start_collector(workdir, endpoint=dsn, wait_ready=False)
    assert running.post("/v1/traces", body, PROTOBUF)[0] == 200
    os.kill(running.process.pid, signal.SIGKILL)
    running.process.wait(10)

    restarted = start_collector(workdir, endpoint=dsn, wait_ready=False)
    try:
        assert restarted.post("/v1/traces", body, PROTOBUF)[0] == 200
        assert restarted.metric("requests_duplicate_total") == 1
        assert restarted.metric("spool_requests") == 1
        release(holder)
        restarted.wait_ready()
        assert restarted.wait_drained() == 0
        assert stored_once(restarted, "retried", [i.to_bytes(8, "big").hex() for i in range(1, 51)]) == (50, 50, 0)
    finally:
        assert restarted.stop() == 0


def test_full_spool_answers_429_and_resource_exhausted_with_retry_hints_until_drained(
    tmp_path: Path, store_held: tuple[str, subprocess.Popen[str]]
) -> None:
    dsn, holder = store_held
    running = start_collector(tmp_path / "c", "--spool-max-bytes", "20000", endpoint=dsn, wait_ready=False)
    try:
        # Distinct requests: a byte-identical one would be taken for a sender's retry and not stored.
        bodies = [request_bytes("full", range(k * 50 + 1, k * 50 + 51)) for k in range(10)]
        statuses = [running.post("/v1/traces", body, PROTOBUF) for body in bodies]
        codes = [s[0] for s in statuses]
        assert 200 in codes and 429 in codes
        refused = next(s for s in statuses if s[0] == 429)
        assert refused[1]["Retry-After"] == "5"
        assert running.metric("requests_refused_full_total") == codes.count(429)

        with grpc.insecure_channel(f"127.0.0.1:{running.grpc_port}") as channel:
            stub = trace_service_pb2_grpc.TraceServiceStub(channel)
            request = trace_service_pb2.ExportTraceServiceRequest.FromString(request_bytes("full", range(501, 551)))
            with pytest.raises(grpc.RpcError) as exhausted:
                stub.Export(request, timeout=10)
        assert exhausted.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        trailer = dict(exhausted.value.trailing_metadata())["google.rpc.retryinfo-bin"]
        assert RetryInfo.FromString(trailer).retry_delay.seconds == 5

        release(holder)
        running.wait_ready()
        accepted = codes.count(200)
        query = "SELECT count() FROM otel_traces WHERE ServiceName = 'full'"
        assert running.wait_for(query, 50 * accepted) == 50 * accepted
        assert running.wait_drained() == 0
        assert running.post("/v1/traces", request_bytes("full", range(1000, 1050)), PROTOBUF)[0] == 200
    finally:
        assert running.stop() == 0
