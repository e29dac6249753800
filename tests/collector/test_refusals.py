"""What the collector refuses, and how: the OTLP status codes exporters act on, and read-only SQL."""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path

import grpc
import pytest
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from tests.collector.conftest import TOKEN
from tests.collector.harness import RunningCollector, start_collector

PROTOBUF = {"Content-Type": "application/x-protobuf"}
GRPC_AUTH = (("authorization", f"Bearer {TOKEN}"),)
NOW_NS = time.time_ns()  # rows older than the table's TTL would be dropped on insert


def request_with(*spans: Span) -> trace_service_pb2.ExportTraceServiceRequest:
    return trace_service_pb2.ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=list(spans))])]
    )


def good_span(name: str, n: int = 1) -> Span:
    return Span(
        trace_id=n.to_bytes(16, "big"),
        span_id=n.to_bytes(8, "big"),
        name=name,
        start_time_unix_nano=NOW_NS,
        end_time_unix_nano=NOW_NS + 500_000_000,
    )


def test_garbage_protobuf_is_400_with_a_status_message(collector: RunningCollector) -> None:
    status, _headers, body = collector.post("/v1/traces", b"\xff\xff\xff not protobuf", PROTOBUF)
    assert status == 400
    assert "protobuf" in status_pb2.Status.FromString(body).message


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz"}]}]}]}).encode(), "not hex"),
        (json.dumps({"resourceSpans": "nope"}).encode(), "ExportTraceServiceRequest"),
        (b"[" * 100_000, "nested too deeply"),
    ],
)
def test_malformed_json_is_400_with_a_clear_message(collector: RunningCollector, body: bytes, fragment: str) -> None:
    status, _headers, answer = collector.post("/v1/traces", body, {"Content-Type": "application/json"})
    assert status == 400
    assert fragment in json.loads(answer)["message"]


def test_json_with_hex_ids_is_accepted_and_stored(collector: RunningCollector) -> None:
    document = {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "json-svc"}}]},
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": "5b8efff798038103d269b633813fc60c",
                                "spanId": "eee19b7ec3c1b174",
                                "name": "json span",
                                "kind": 3,
                                "startTimeUnixNano": str(NOW_NS),
                                "endTimeUnixNano": str(NOW_NS + 1_000_000_000),
                                "attributes": [{"key": "n", "value": {"intValue": "7"}}],
                                "someFutureField": True,
                            }
                        ]
                    }
                ],
            }
        ]
    }
    status, headers, body = collector.post(
        "/v1/traces", json.dumps(document).encode(), {"Content-Type": "application/json"}
    )
    assert (status, headers["Content-Type"], json.loads(body)) == (200, "application/json", {})
    assert collector.wait_for("SELECT count() FROM otel_traces WHERE ServiceName = 'json-svc'", 1) == 1
    row = collector.sql("SELECT TraceId, SpanId, SpanKind, SpanAttributes['n'], Duration FROM otel_traces"
                        " WHERE ServiceName = 'json-svc'")[0]  # fmt: skip
    assert row == ["5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174", "Client", "7", 1_000_000_000]


def test_spans_with_bad_ids_get_partial_success_and_the_rest_are_stored(collector: RunningCollector) -> None:
    bad = Span(trace_id=b"short", span_id=b"12345678", name="partial-bad")
    request = request_with(good_span("partial-good", 42), bad)
    status, _headers, body = collector.post("/v1/traces", request.SerializeToString(), PROTOBUF)

    answer = trace_service_pb2.ExportTraceServiceResponse.FromString(body)
    assert status == 200
    assert answer.partial_success.rejected_spans == 1
    assert "trace_id must be 16 bytes" in answer.partial_success.error_message
    assert collector.wait_for("SELECT count() FROM otel_traces WHERE SpanName LIKE 'partial-%'", 1) == 1
    assert collector.sql("SELECT SpanName FROM otel_traces WHERE SpanName LIKE 'partial-%'") == [["partial-good"]]


def test_gzip_body_is_accepted(collector: RunningCollector) -> None:
    body = gzip.compress(request_with(good_span("gzipped", 77)).SerializeToString())
    status, _headers, _body = collector.post("/v1/traces", body, {**PROTOBUF, "Content-Encoding": "gzip"})
    assert status == 200
    assert collector.wait_for("SELECT count() FROM otel_traces WHERE SpanName = 'gzipped'", 1) == 1


def test_bad_gzip_is_400(collector: RunningCollector) -> None:
    status, _headers, _body = collector.post("/v1/traces", b"not gzip", {**PROTOBUF, "Content-Encoding": "gzip"})
    assert status == 400


def test_oversized_body_is_413_raw_and_after_decompression(collector: RunningCollector) -> None:
    limit = 16 << 20  # the default --max-body-bytes
    status, _headers, _body = collector.post("/v1/traces", b"\0" * (limit + 1), PROTOBUF)
    assert status == 413
    bomb = gzip.compress(b"\0" * (limit + 1024))  # small on the wire, over the limit inflated
    assert len(bomb) < limit
    status, _headers, body = collector.post("/v1/traces", bomb, {**PROTOBUF, "Content-Encoding": "gzip"})
    assert status == 413
    assert "exceeds" in status_pb2.Status.FromString(body).message


def test_unknown_content_type_is_415(collector: RunningCollector) -> None:
    status, _headers, _body = collector.post("/v1/traces", b"x", {"Content-Type": "text/plain"})
    assert status == 415


@pytest.mark.parametrize("path", ["/v1/traces", "/v1/sql"])
@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {TOKEN}"])
def test_http_without_the_right_token_is_401(collector: RunningCollector, path: str, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    stranger = RunningCollector(collector.process, collector.http_port, collector.grpc_port, None, collector.log_path)
    status, _headers, _body = stranger.post(path, b"{}", {**PROTOBUF, **headers})
    assert status == 401
    assert stranger.get("/metrics")[0] == 401
    assert stranger.get("/healthz")[0] == 200  # liveness stays open


def test_grpc_without_the_token_is_unauthenticated(collector: RunningCollector) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{collector.grpc_port}") as channel:
        stub = trace_service_pb2_grpc.TraceServiceStub(channel)
        with pytest.raises(grpc.RpcError) as refused:
            stub.Export(request_with(good_span("grpc-noauth")), timeout=10)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        answer = stub.Export(
            request_with(good_span("grpc-auth", 5)), metadata=(("authorization", f"Bearer {TOKEN}"),), timeout=10
        )
        assert not answer.HasField("partial_success")


def test_grpc_oversized_message_is_resource_exhausted_and_the_server_keeps_serving(
    collector: RunningCollector,
) -> None:
    """gRPC itself refuses a message over --max-body-bytes (16 MiB here), before our code sees it;
    one under it but over gRPC's own 4 MiB default must still get in, so the setting is applied."""
    # Its short trace id keeps the 8 MiB span out of the store: it only has to reach our code.
    large = request_with(Span(trace_id=b"short", span_id=b"12345678", name="x" * (8 << 20)))
    oversized = request_with(good_span("x" * (16 << 20), 7))
    with grpc.insecure_channel(f"127.0.0.1:{collector.grpc_port}") as channel:
        stub = trace_service_pb2_grpc.TraceServiceStub(channel)
        assert stub.Export(large, metadata=GRPC_AUTH, timeout=10).partial_success.rejected_spans == 1
        with pytest.raises(grpc.RpcError) as refused:
            stub.Export(oversized, metadata=GRPC_AUTH, timeout=10)
        assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        answer = stub.Export(request_with(good_span("grpc-after-oversized", 8)), metadata=GRPC_AUTH, timeout=10)
        assert not answer.HasField("partial_success")


def test_grpc_malformed_message_is_invalid_argument_and_the_server_keeps_serving(
    collector: RunningCollector,
) -> None:
    """Not retryable (OTLP/gRPC spec), with a message that says what is wrong."""
    with grpc.insecure_channel(f"127.0.0.1:{collector.grpc_port}") as channel:
        raw_export = channel.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export")
        with pytest.raises(grpc.RpcError) as refused:
            raw_export(b"\xff\xff\xff not protobuf", metadata=GRPC_AUTH, timeout=10)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "protobuf" in refused.value.details()
        stub = trace_service_pb2_grpc.TraceServiceStub(channel)
        answer = stub.Export(request_with(good_span("grpc-after-malformed", 9)), metadata=GRPC_AUTH, timeout=10)
        assert not answer.HasField("partial_success")


def test_grpc_malformed_message_without_the_token_is_unauthenticated(collector: RunningCollector) -> None:
    """The token is checked before the message is decoded: without it, the answer is about the
    token, never about the bytes sent."""
    with grpc.insecure_channel(f"127.0.0.1:{collector.grpc_port}") as channel:
        raw_export = channel.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export")
        with pytest.raises(grpc.RpcError) as refused:
            raw_export(b"\xff\xff\xff not protobuf", timeout=10)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert "protobuf" not in refused.value.details()


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO otel_traces (SpanName) VALUES ('x')",
        "CREATE TABLE evil (a Int32) ENGINE = Memory",
        "DROP TABLE otel_traces",
        "ALTER TABLE otel_traces DELETE WHERE 1",
        "TRUNCATE TABLE otel_traces",
        "  -- comment first\n DROP TABLE otel_traces",
        "SELECT 1; DROP TABLE otel_traces",
    ],
)
def test_sql_endpoint_refuses_writes(collector: RunningCollector, statement: str) -> None:
    body = json.dumps({"query": statement}).encode()
    status, _headers, answer = collector.post("/v1/sql", body, {"Content-Type": "application/json"})
    assert status in (400, 403), answer
    tables = "SELECT name FROM system.tables WHERE database = currentDatabase() AND name IN ('otel_traces', 'evil')"
    assert collector.sql(tables) == [["otel_traces"]]


def test_sql_readonly_is_enforced_by_clickhouse_not_only_by_the_keyword_check(collector: RunningCollector) -> None:
    sneaky = "WITH 1 AS x INSERT INTO otel_traces (SpanName) VALUES ('x')"  # starts with a read keyword
    body = json.dumps({"query": sneaky}).encode()
    status, _headers, _answer = collector.post("/v1/sql", body, {"Content-Type": "application/json"})
    assert status in (400, 403)
    assert collector.sql("SELECT count() FROM otel_traces WHERE SpanName = 'x'") == [[0]]


def test_sql_parameters_limits_and_exact_values(collector: RunningCollector) -> None:
    assert collector.sql("SELECT {a:Int32} + 1, toDecimal64('0.1', 9) * 3", a=41) == [[42, "0.300000000"]]
    too_many = json.dumps({"query": "SELECT number FROM system.numbers LIMIT 200000"}).encode()
    status, _headers, answer = collector.post("/v1/sql", too_many, {"Content-Type": "application/json"})
    assert status == 400
    assert "max rows" in json.loads(answer)["error"]
    override = json.dumps({"query": "SELECT 1 SETTINGS max_result_rows = 0"}).encode()
    status, _headers, _answer = collector.post("/v1/sql", override, {"Content-Type": "application/json"})
    assert status == 403


def test_sql_empty_result_still_names_and_types_its_columns(collector: RunningCollector) -> None:
    body = json.dumps({"query": "SELECT Feature, sum(CostUSD) AS cost FROM llm_calls WHERE 0 GROUP BY Feature"})
    status, _headers, answer = collector.post("/v1/sql", body.encode(), {"Content-Type": "application/json"})
    assert status == 200
    assert json.loads(answer) == {
        "columns": ["Feature", "cost"],
        "types": ["LowCardinality(String)", "Nullable(Decimal(38, 12))"],
        "rows": [],
    }


def test_sql_bad_request_shapes_are_400(collector: RunningCollector) -> None:
    for body in (b"not json", b'{"parameters": {}}', b'{"query": 1}'):
        status, _headers, _answer = collector.post("/v1/sql", body, {"Content-Type": "application/json"})
        assert status == 400, body


def test_sql_query_over_the_time_limit_is_refused_instead_of_hanging(tmp_path: Path) -> None:
    """A runaway report must end at --sql-timeout and leave the endpoint usable for the next one."""
    running = start_collector(tmp_path / "c", "--sql-timeout", "1")
    try:
        running.wait_ready()  # the store is open: what follows times the query, not the start
        body = json.dumps({"query": "SELECT sum(number) FROM numbers(1e12)"}).encode()  # minutes of work
        started = time.monotonic()
        status, _headers, answer = running.post("/v1/sql", body, {"Content-Type": "application/json"})
        elapsed = time.monotonic() - started
        assert status == 400, answer
        assert "TIMEOUT_EXCEEDED" in json.loads(answer)["error"]
        assert elapsed < 20  # unlimited, the query runs for minutes; a loaded CI core is slow, not that slow
        assert running.sql("SELECT 1") == [[1]]
    finally:
        assert running.stop() == 0
