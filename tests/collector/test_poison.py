"""One sender's impossible span must not keep other senders' acknowledged spans out of the store
(issue 17 item 6), through a real collector process and both receivers."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from tests.collector.harness import RunningCollector, start_collector
from tests.collector.test_refusals import NOW_NS, PROTOBUF, good_span, request_with


def _send(collector: RunningCollector, names: list[str], first_id: int, *, grpc_too: bool = True) -> None:
    """Each name as a request of its own, half of them over gRPC: senders of every kind."""
    channel = grpc.insecure_channel(f"127.0.0.1:{collector.grpc_port}")
    export = trace_service_pb2_grpc.TraceServiceStub(channel).Export
    try:
        for offset, name in enumerate(names):
            request = request_with(good_span(name, first_id + offset))
            if grpc_too and offset % 2:
                export(request, timeout=30)
            else:
                status, _headers, body = collector.post("/v1/traces", request.SerializeToString(), PROTOBUF)
                assert status == 200, body
    finally:
        channel.close()


def test_a_span_with_impossible_times_is_stored_beside_everyone_elses(tmp_path: Path) -> None:
    """Before: acknowledged, then the drain's insert failed (``value out of range``) five times and
    the whole batch, 0/3 innocent requests before and 0/3 after, went to dead-letter."""
    collector = start_collector(tmp_path)
    try:
        _send(collector, ["before-1", "before-2", "before-3"], 1)
        bad = Span(
            trace_id=(99).to_bytes(16, "big"),
            span_id=(99).to_bytes(8, "big"),
            name="impossible",
            start_time_unix_nano=1 << 63,
            end_time_unix_nano=(1 << 63) + 10,
            events=[Span.Event(time_unix_nano=(1 << 64) - 1, name="never")],
        )
        status, _headers, body = collector.post("/v1/traces", request_with(bad).SerializeToString(), PROTOBUF)
        assert status == 200, body
        _send(collector, ["after-1", "after-2", "after-3"], 11)

        assert collector.wait_for("SELECT count() FROM otel_traces", 7) == 7
        rows = collector.sql(
            "SELECT toUnixTimestamp64Nano(Timestamp), Duration, "
            "arrayMap(t -> toUnixTimestamp64Nano(t), Events.Timestamp) FROM otel_traces WHERE SpanName = 'impossible'"
        )
        [[stamp, duration, events]] = rows
        assert NOW_NS < stamp < time.time_ns() and duration == 10 and events == [stamp]  # at the write time
        assert collector.wait_metric("spans_impossible_time_total", 1) == 1
        assert collector.metric("spans_written_total") == 7
        assert collector.metric("spans_dropped_total") == 0
        assert not (tmp_path / "spool" / "dead-letter").exists()
    finally:
        collector.stop()
    lines = [line for line in collector.log().splitlines() if "outside 1970..2106" in line]
    assert len(lines) == 1 and "trace 00000000000000000000000000000063" in lines[0], collector.log()


_CONSTRAIN = """
import sys
import time
from otel_llm.schema import prepare
from otel_llm.store import connect
client = connect(sys.argv[1])
prepare(client, "otel")
client.command("ALTER TABLE otel.otel_traces ADD CONSTRAINT no_poison CHECK SpanName != 'poison'")
client.close()
"""


def test_a_request_clickhouse_refuses_costs_only_its_own_spans(tmp_path: Path) -> None:
    """Defence in depth, for a refusal no check foresees (here a CHECK constraint on the table):
    the refused batch is bisected, the culprit request alone goes to dead-letter."""
    dsn = f"chdb://{tmp_path / 'chdb'}"
    subprocess.run([sys.executable, "-c", _CONSTRAIN, dsn], check=True, timeout=120)
    collector = start_collector(tmp_path, endpoint=dsn)
    try:
        _send(collector, ["before-1", "before-2", "before-3", "poison", "after-1", "after-2", "after-3"], 1)
        assert collector.wait_drained() == 0
        names = collector.sql("SELECT SpanName FROM otel_traces ORDER BY SpanName")
        assert names == [[n] for n in ["after-1", "after-2", "after-3", "before-1", "before-2", "before-3"]]
        assert collector.metric("spans_dropped_total") == 1
        assert collector.metric("spans_written_total") == 6
        assert collector.metric("batches_split_total") >= 1
    finally:
        collector.stop()
    dead = list((tmp_path / "spool" / "dead-letter").iterdir())
    assert [request_with(good_span("poison", 4)).SerializeToString()] == [path.read_bytes() for path in dead]


def _llm_span(name: str, n: int, start_ns: int) -> Span:
    """A chat span another SDK could send, started at ``start_ns``."""
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

    attributes = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": name,
                  "gen_ai.usage.input_tokens": "10", "gen_ai.usage.output_tokens": "5"}
    return Span(
        trace_id=n.to_bytes(16, "big"),
        span_id=n.to_bytes(8, "big"),
        name=f"chat {name}",
        start_time_unix_nano=start_ns,
        end_time_unix_nano=start_ns + 1000,
        attributes=[KeyValue(key=k, value=AnyValue(string_value=v)) for k, v in attributes.items()],
    )


def test_spans_older_than_the_raw_retention_are_counted_and_logged_not_silently_lost(tmp_path: Path) -> None:
    """Issue 17 audit: valid times older than otel_traces' 30-day TTL were acknowledged and counted as
    written, and ClickHouse dropped them on insert without a counter or a log line."""
    day = 86_400 * 10**9
    now = time.time_ns()
    starts = {"epoch": 0, "one-ns": 1, "y1971": 365 * day, "two-years": now - 730 * day,
              "days-200": now - 200 * day, "days-40": now - 40 * day, "fresh": now}
    collector = start_collector(tmp_path)
    try:
        for n, (name, start) in enumerate(starts.items(), 1):
            status, _headers, body = collector.post(
                "/v1/traces", request_with(_llm_span(name, n, start)).SerializeToString(), PROTOBUF
            )
            assert status == 200, body
        assert collector.wait_metric("spans_past_retention_total", 6) == 6
        assert collector.metric("spans_written_total") == 7
        assert collector.metric("spans_impossible_time_total") == 0  # valid times: stored as sent
        assert ["chat fresh"] in collector.sql("SELECT SpanName FROM otel_traces")
        # What ClickHouse keeps of the old ones depends on when its TTL runs (on insert or at the
        # next TTL merge); what stays within a table's own retention is kept at its own time:
        # llm_calls keeps 180 days, the rollups (what report reads) 730.
        calls = collector.sql("SELECT RequestModel FROM llm_calls")
        assert ["days-40"] in calls and ["fresh"] in calls
        hourly = collector.sql("SELECT Model FROM llm_usage_hourly GROUP BY Model")
        assert all([name] in hourly for name in ("days-200", "days-40", "fresh"))
    finally:
        collector.stop()
    lines = [line for line in collector.log().splitlines() if "older than otel_traces keeps (30 days)" in line]
    assert len(lines) == 1 and "spans_past_retention" in lines[0], collector.log()
