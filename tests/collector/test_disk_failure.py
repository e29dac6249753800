"""A disk that refuses writes: refused retryably, nothing acknowledged lost, the spool left clean.

The disk is made to fail for real, without root: RLIMIT_FSIZE caps how large a file a process may
write, and Python ignores SIGXFSZ from its start, so a write past the cap stores what fits and then
fails with EFBIG, as on a disk that fills up mid-write. ``prlimit`` sets and lifts the cap on the
running collector, so the same process shows the outage and the recovery.
"""

from __future__ import annotations

import json
import logging
import resource
import signal
import threading
from pathlib import Path

import grpc
import pytest
from google.rpc import code_pb2, status_pb2
from google.rpc.error_details_pb2 import RetryInfo
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from otel_llm_collector.ingest import RETRY_AFTER_SECONDS
from otel_llm_collector.otlp import decode_protobuf
from otel_llm_collector.signals import TRACES
from otel_llm_collector.spool import Spool, SpoolUnavailable
from tests.collector.conftest import emit, unique_service
from tests.collector.harness import RunningCollector, start_collector
from tests.collector.test_durability import request_bytes
from tests.collector.test_spool import drain_all

PROTOBUF = {"Content-Type": "application/x-protobuf"}


def limit_file_size(pid: int, limit: int | None) -> None:
    """Caps the size of files ``pid`` may write (0: this process); ``None`` lifts the cap."""
    _soft, hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (hard if limit is None else limit, hard))


def segment_of(spool_dir: Path) -> Path:
    (segment,) = spool_dir.glob("*.seg")  # the default segment size keeps a test in one
    return segment


def span_ids(payload: bytes) -> list[str]:
    request = decode_protobuf(TRACES, payload)
    return [s.span_id.hex() for rs in request.resource_spans for ss in rs.scope_spans for s in ss.spans]


# --- the spool alone ---------------------------------------------------------------------------
def test_a_write_cut_short_is_undone_before_the_next_append(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert signal.getsignal(signal.SIGXFSZ) == signal.SIG_IGN  # else the cap would kill pytest
    spool = Spool(tmp_path, 1 << 20)
    spool.append(b"kept-1")
    segment = segment_of(tmp_path)
    intact = segment.stat().st_size
    limit_file_size(0, intact + 30)  # the header and part of the payload fit, the rest does not
    try:
        with pytest.raises(SpoolUnavailable, match="File too large"):
            spool.append(b"x" * 100)
    finally:
        limit_file_size(0, None)

    assert segment.stat().st_size == intact
    assert (spool.pending_records, spool.pending_bytes) == (1, intact)
    assert spool.append(b"kept-2") == 2  # the refused record's id is not used up
    batch = spool.next_batch(max_records=10, max_bytes=1 << 20, timeout=0)
    assert batch is not None and batch.payloads == [b"kept-1", b"kept-2"]
    spool.close()
    with caplog.at_level(logging.WARNING, logger="otel_llm_collector.spool"):
        reopened = Spool(tmp_path, 1 << 20)
    assert "truncating" not in caplog.text  # nothing torn was left for the restart to repair
    assert drain_all(reopened) == [b"kept-1", b"kept-2"]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_segment_that_cannot_be_cut_back_is_never_written_again(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 1 << 20, segment_bytes=64)
    spool.append(b"a" * 40)
    # The next segment lives on a "disk" that is always full and cannot be truncated either.
    (tmp_path / f"{2:020d}.seg").symlink_to("/dev/full")
    with pytest.raises(SpoolUnavailable, match="No space left"):
        spool.append(b"b" * 40)

    assert spool.append(b"c" * 40) == 3  # id 2 may sit whole on that disk: never reused
    assert drain_all(spool) == [b"a" * 40, b"c" * 40]
    spool.close()
    assert Spool(tmp_path, 1 << 20).pending_records == 0


# --- a running collector -----------------------------------------------------------------------
def export_over_grpc(running: RunningCollector, body: bytes) -> grpc.RpcError | None:
    """None when the collector acknowledged the request, else its refusal."""
    with grpc.insecure_channel(f"127.0.0.1:{running.grpc_port}") as channel:
        stub = trace_service_pb2_grpc.TraceServiceStub(channel)
        try:
            stub.Export(trace_service_pb2.ExportTraceServiceRequest.FromString(body), timeout=10)
        except grpc.RpcError as refusal:
            return refusal
    return None


def test_a_refusing_disk_is_answered_retryably_and_loses_nothing(tmp_path: Path) -> None:
    running = start_collector(tmp_path)
    service = unique_service("disk")
    first, second, refused, refused_grpc, after = (request_bytes(service, range(n, n + 50)) for n in range(1, 251, 50))
    stored: list[str] = []  # span ids acknowledged, in the order they were spooled
    for body in (first, second):
        assert running.post("/v1/traces", body, PROTOBUF)[0] == 200
        stored += span_ids(body)
    assert running.wait_drained() == 0  # the store is idle before its process's files are capped too
    segment = segment_of(tmp_path / "spool")
    intact = segment.stat().st_size
    limit_file_size(running.process.pid, intact + 100)

    status, headers, answer = running.post("/v1/traces", refused, PROTOBUF)
    assert (status, headers["Retry-After"]) == (503, str(RETRY_AFTER_SECONDS))
    assert status_pb2.Status.FromString(answer).code == code_pb2.UNAVAILABLE
    assert "disk" in status_pb2.Status.FromString(answer).message
    error = export_over_grpc(running, refused_grpc)
    assert error is not None and error.code() == grpc.StatusCode.UNAVAILABLE
    retry = RetryInfo.FromString(dict(error.trailing_metadata())["google.rpc.retryinfo-bin"])
    assert retry.retry_delay.seconds == RETRY_AFTER_SECONDS
    assert running.process.poll() is None
    assert segment.stat().st_size == intact  # the torn writes were cut back
    ready_status, ready = running.get("/readyz")
    assert (ready_status, json.loads(ready)["spool"]) == (503, "disk refuses writes")
    assert running.metric("spool_errors_total") == 2

    # A real exporter, refused, waits the hinted delay and retries; the disk is back by then.
    def lift_when_refused() -> None:
        running.wait_metric("spool_errors_total", 3)
        limit_file_size(running.process.pid, None)

    lifter = threading.Thread(target=lift_when_refused)
    lifter.start()
    stored += emit(HttpExporter(endpoint=f"{running.url}/v1/traces"), service, 5)
    lifter.join()
    assert running.metric("spool_errors_total") == 3
    assert export_over_grpc(running, after) is None
    stored += span_ids(after)
    assert running.post("/v1/traces", refused, PROTOBUF)[0] == 200  # the sender's retry is stored now
    stored += span_ids(refused)
    assert running.get("/readyz")[0] == 200

    assert running.wait_drained() == 0
    rows = running.sql("SELECT SpanId FROM otel_traces WHERE ServiceName = {s:String}", s=service)
    assert sorted(row[0] for row in rows) == sorted(stored)  # each acknowledged span once, no refused one
    assert running.stop() == 0
    assert running.log().count("spool cannot store requests") == 1  # one line per outage, not per refusal
    assert "spool stores requests again, after refusing 3" in running.log()

    # The segment holds exactly the acknowledged requests, whole and in order: replay it from the start.
    state = tmp_path / "spool" / "state.json"
    state.write_text(json.dumps({**json.loads(state.read_text()), "committed": 0, "intent": None}))
    replayed = drain_all(Spool(tmp_path / "spool", 1 << 30))
    assert [span for payload in replayed for span in span_ids(payload)] == stored
