"""OTLP logs through a real collector process: both protocols, the same answers, spool and dedup as traces.

Why logs: a call whose span the sampler drops is recorded as one log event (issue 13); an app on
OTLP sends those events to the collector, which must keep them exactly as it keeps spans.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import time
from pathlib import Path

import grpc
import pytest
from google.rpc import status_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter as GrpcLogExporter
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter as HttpLogExporter
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource as PbResource
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource

from otel_llm.exporter.table import stringify_value
from otel_llm_collector.forward import signal_url
from otel_llm_collector.signals import LOGS, TRACES
from tests.collector.conftest import TOKEN, unique_service
from tests.collector.harness import RunningCollector, start_collector

PROTOBUF = {"Content-Type": "application/x-protobuf"}
JSON = {"Content-Type": "application/json"}
GRPC_AUTH = (("authorization", f"Bearer {TOKEN}"),)
LOGS_EXPORT = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
NOW_NS = time.time_ns()


def logs_request(service: str, *records: LogRecord) -> logs_service_pb2.ExportLogsServiceRequest:
    resource = PbResource(attributes=[KeyValue(key="service.name", value=AnyValue(string_value=service))])
    return logs_service_pb2.ExportLogsServiceRequest(
        resource_logs=[ResourceLogs(resource=resource, scope_logs=[ScopeLogs(log_records=list(records))])]
    )


def record(n: int, **fields: object) -> LogRecord:
    return LogRecord(
        time_unix_nano=NOW_NS,
        trace_id=n.to_bytes(16, "big"),
        span_id=n.to_bytes(8, "big"),
        flags=1,
        severity_number=9,
        event_name="gen_ai.client.inference.operation.details",
        attributes=[KeyValue(key="n", value=AnyValue(int_value=n))],
        **fields,
    )


def count_logs(service: str) -> str:
    return f"SELECT count() FROM otel_logs WHERE ServiceName = '{service}'"


def _emit(exporter: object, service: str, count: int) -> None:
    """``count`` event records through the SDK's own logs pipeline and OTLP exporter."""
    provider = LoggerProvider(resource=Resource.create({"service.name": service}))
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))  # type: ignore[arg-type]
    logger = provider.get_logger("tests.collector.logs", "1.0")
    for index in range(count):
        logger.emit(
            severity_number=SeverityNumber.INFO,
            severity_text="INFO",
            body=f"record {index}",
            attributes={"index": index, "cost": 0.000123 * index, "ok": index % 2 == 0, "tags": ("a", "b")},
            event_name="gen_ai.client.inference.operation.details",
        )
    provider.shutdown()


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_the_sdk_otlp_log_exporter_lands_every_record_in_otel_logs(collector: RunningCollector, protocol: str) -> None:
    service = unique_service(f"logs-{protocol}")
    if protocol == "http":
        exporter = HttpLogExporter(endpoint=collector.url + "/v1/logs", headers=collector.auth_headers)
    else:
        exporter = GrpcLogExporter(endpoint=f"127.0.0.1:{collector.grpc_port}", insecure=True, headers=GRPC_AUTH)
    _emit(exporter, service, 5)
    assert collector.wait_for(count_logs(service), 5) == 5
    rows = collector.sql(
        "SELECT Body, EventName, SeverityNumber, SeverityText, ScopeName, ScopeVersion, LogAttributes"
        " FROM otel_logs WHERE ServiceName = {s:String} ORDER BY Body",
        s=service,
    )
    assert rows[3] == [
        "record 3",
        "gen_ai.client.inference.operation.details",
        9,
        "INFO",
        "tests.collector.logs",
        "1.0",
        {"index": "3", "cost": stringify_value(0.000123 * 3), "ok": "false", "tags": '["a","b"]'},
    ]
    assert collector.metric("log_records_received_total") >= 5


def test_garbage_protobuf_is_400_naming_the_logs_request(collector: RunningCollector) -> None:
    status, _headers, body = collector.post("/v1/logs", b"\xff\xff\xff not protobuf", PROTOBUF)
    assert status == 400
    assert "ExportLogsServiceRequest (protobuf)" in status_pb2.Status.FromString(body).message


def test_json_with_hex_ids_is_stored_and_bad_ids_get_partial_success(collector: RunningCollector) -> None:
    service = unique_service("logs-json")
    document = {
        "resourceLogs": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
                "scopeLogs": [
                    {
                        "logRecords": [
                            {
                                "timeUnixNano": str(NOW_NS),
                                "traceId": "5b8efff798038103d269b633813fc60c",
                                "spanId": "eee19b7ec3c1b174",
                                "body": {"stringValue": "kept"},
                                "someFutureField": 1,
                            },
                            {"timeUnixNano": str(NOW_NS), "traceId": "abcd", "body": {"stringValue": "bad ids"}},
                            {"timeUnixNano": str(NOW_NS), "body": {"stringValue": "no trace"}},
                        ]
                    }
                ],
            }
        ]
    }
    status, headers, body = collector.post("/v1/logs", json.dumps(document).encode(), JSON)
    assert (status, headers["Content-Type"]) == (200, "application/json")
    answer = json.loads(body)["partialSuccess"]
    assert answer["rejectedLogRecords"] == "1" and "trace_id must be empty or 16 bytes" in answer["errorMessage"]
    assert collector.wait_for(count_logs(service), 2) == 2
    rows = collector.sql(
        "SELECT Body, TraceId, SpanId FROM otel_logs WHERE ServiceName = {s:String} ORDER BY Body", s=service
    )
    assert rows == [["kept", "5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174"], ["no trace", "", ""]]


def test_gzip_limits_content_type_and_token_as_for_traces(collector: RunningCollector) -> None:
    service = unique_service("logs-gzip")
    body = gzip.compress(logs_request(service, record(7)).SerializeToString())
    assert collector.post("/v1/logs", body, {**PROTOBUF, "Content-Encoding": "gzip"})[0] == 200
    assert collector.wait_for(count_logs(service), 1) == 1
    assert collector.post("/v1/logs", b"not gzip", {**PROTOBUF, "Content-Encoding": "gzip"})[0] == 400
    bomb = gzip.compress(b"\0" * ((16 << 20) + 1024))
    status, _headers, answer = collector.post("/v1/logs", bomb, {**PROTOBUF, "Content-Encoding": "gzip"})
    assert status == 413 and "exceeds" in status_pb2.Status.FromString(answer).message
    assert collector.post("/v1/logs", b"x", {"Content-Type": "text/plain"})[0] == 415
    status, _headers, _body = collector.post("/v1/logs", body, {**PROTOBUF, "Authorization": "Bearer wrong"})
    assert status == 401


def test_grpc_logs_service_checks_the_token_and_refuses_garbage(collector: RunningCollector) -> None:
    good = logs_request(unique_service("logs-grpc"), record(3)).SerializeToString()
    with grpc.insecure_channel(f"127.0.0.1:{collector.grpc_port}") as channel:
        export = channel.unary_unary(LOGS_EXPORT)
        with pytest.raises(grpc.RpcError) as refused:
            export(good, timeout=10)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.RpcError) as garbage:
            export(b"\xff\xff\xff", metadata=GRPC_AUTH, timeout=10)
        assert garbage.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "ExportLogsServiceRequest" in (garbage.value.details() or "")
        answer = logs_service_pb2.ExportLogsServiceResponse.FromString(export(good, metadata=GRPC_AUTH, timeout=10))
        assert not answer.HasField("partial_success")


def test_a_retried_request_is_stored_once_and_an_acknowledged_one_survives_kill_9(tmp_path: Path) -> None:
    running = start_collector(tmp_path)
    service = unique_service("logs-kill")
    body = logs_request(service, record(1), record(2)).SerializeToString()
    assert running.post("/v1/logs", body, PROTOBUF)[0] == 200
    assert running.post("/v1/logs", body, PROTOBUF)[0] == 200  # the sender's retry: same bytes
    assert running.metric("requests_duplicate_total") == 1
    os.kill(running.process.pid, signal.SIGKILL)  # before the drain's 2 s linger is over
    running.process.wait(10)
    assert (tmp_path / "spool" / "logs").is_dir()

    again = start_collector(tmp_path)
    try:
        assert again.post("/v1/logs", body, PROTOBUF)[0] == 200  # retried across the restart
        assert again.wait_for(count_logs(service), 2) == 2
        assert again.wait_drained() == 0
        time.sleep(0.5)
        assert again.sql(count_logs(service))[0][0] == 2
    finally:
        again.stop()


def test_logs_are_forwarded_where_traces_are(tmp_path: Path) -> None:
    upstream = start_collector(tmp_path / "upstream")
    try:
        front = start_collector(tmp_path / "front", "--forward", upstream.url)
        try:
            service = unique_service("logs-forward")
            body = logs_request(service, record(5)).SerializeToString()
            assert front.post("/v1/logs", body, PROTOBUF)[0] == 200
            assert upstream.wait_for(count_logs(service), 1) == 1
            assert front.wait_metric("log_records_forwarded_total", 1) == 1
        finally:
            front.stop()
    finally:
        upstream.stop()


def test_forward_urls_per_signal() -> None:
    assert signal_url("http://jaeger:4318", LOGS) == "http://jaeger:4318/v1/logs"
    assert signal_url("http://jaeger:4318/v1/traces", LOGS) == "http://jaeger:4318/v1/logs"
    assert signal_url("http://tempo/otlp/v1/traces", LOGS) == "http://tempo/otlp/v1/logs"
    assert signal_url("http://tempo/custom", TRACES) == "http://tempo/custom"
    assert signal_url("http://tempo/custom", LOGS) is None


_BODIES = st.one_of(
    st.binary(max_size=400),
    st.builds(lambda r: r.SerializeToString(), st.builds(logs_request, st.text(max_size=20))),
    st.builds(
        lambda data: data,
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=20),
            lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
            max_leaves=12,
        ).map(lambda value: json.dumps({"resourceLogs": value}).encode()),
    ),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_BODIES, content_type=st.sampled_from(["application/x-protobuf", "application/json"]))
def test_any_body_on_v1_logs_is_answered_200_or_400_and_the_port_keeps_serving(
    collector: RunningCollector, body: bytes, content_type: str
) -> None:
    """Hostile bodies (hypothesis): never a 5xx, never a traceback, the next request served."""
    tracebacks = collector.log().count("Traceback")  # the module's bad-gzip test leaves aiohttp's own
    status, _headers, _answer = collector.post("/v1/logs", body, {"Content-Type": content_type})
    assert status in (200, 400), status
    assert collector.get("/healthz") == (200, b"ok\n")
    assert collector.log().count("Traceback") == tracebacks


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=400))
def test_any_message_to_the_grpc_logs_service_is_ok_or_invalid_argument(
    collector: RunningCollector, body: bytes
) -> None:
    tracebacks = collector.log().count("Traceback")
    with grpc.insecure_channel(f"127.0.0.1:{collector.grpc_port}") as channel:
        try:
            channel.unary_unary(LOGS_EXPORT)(body, metadata=GRPC_AUTH, timeout=10)
        except grpc.RpcError as exc:
            assert exc.code() == grpc.StatusCode.INVALID_ARGUMENT, exc
    assert collector.log().count("Traceback") == tracebacks
