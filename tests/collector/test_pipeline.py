"""Real OTLP exporters -> a collector subprocess -> chdb, read back through the SQL endpoint."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import grpc
import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from otel_llm import semconv
from otel_llm.cli import main as cli_main
from otel_llm.pricing import default_price_book
from tests.collector.conftest import TOKEN, emit, unique_service
from tests.collector.harness import RunningCollector, start_collector

SPANS_BY_SERVICE = "SELECT count() FROM otel_traces WHERE ServiceName = {s:String}"


def http_exporter(collector: RunningCollector) -> HttpExporter:
    return HttpExporter(endpoint=collector.url + "/v1/traces", headers=collector.auth_headers)


def test_http_exporter_spans_land_in_otel_traces_with_exporter_spellings(collector: RunningCollector) -> None:
    service = unique_service("http")
    ids = emit(http_exporter(collector), service, 50, {"gen_ai.request.model": "gpt-4o", "flags": [True, False]})

    assert collector.wait_for(SPANS_BY_SERVICE, 50, s=service) == 50
    rows = collector.sql(
        "SELECT SpanId, SpanKind, StatusCode, StatusMessage, ScopeName, ScopeVersion, SpanAttributes['index'],"
        " SpanAttributes['flags'], Events.Name, Events.Attributes, Duration > 0"
        " FROM otel_traces WHERE ServiceName = {s:String} ORDER BY toUInt32(SpanAttributes['index'])",
        s=service,
    )
    assert [r[0] for r in rows] == ids
    first, second = rows[0], rows[1]
    assert first[1:] == ["Client", "Unset", "", "tests.collector", "1.2.3", "0", "[true,false]", ["an event"],
                         [{"n": "1.5"}], 1]  # fmt: skip
    assert second[2:4] == ["Error", "boom"]


def test_genai_spans_reach_llm_calls_through_the_views(collector: RunningCollector) -> None:
    service = unique_service("llm")
    attributes = {
        semconv.GEN_AI_OPERATION_NAME: "chat",
        semconv.GEN_AI_PROVIDER_NAME: "openai",
        semconv.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
        semconv.GEN_AI_USAGE_INPUT_TOKENS: 1000,
        semconv.GEN_AI_USAGE_OUTPUT_TOKENS: 50,
        semconv.OTEL_LLM_FEATURE: "search",
    }
    emit(http_exporter(collector), service, 8, attributes)

    query = "SELECT count() FROM llm_calls WHERE ServiceName = {s:String}"
    assert collector.wait_for(query, 8, s=service) == 8
    rows = collector.sql(
        "SELECT Provider, Model, Operation, Feature, sum(InputTokens), sum(OutputTokens) FROM llm_calls"
        " WHERE ServiceName = {s:String} GROUP BY ALL",
        s=service,
    )
    assert rows == [["openai", "gpt-4o-mini", "chat", "search", 8000, 400]]
    # No cost on the spans (another SDK sent them): priced by the book the collector loaded on start.
    price = default_price_book().lookup("gpt-4o-mini", "openai")
    assert price is not None
    ((cost, unpriced),) = collector.sql(
        "SELECT toFloat64(sum(CostUSD)), countIf(CostUSD IS NULL) FROM llm_calls WHERE ServiceName = {s:String}",
        s=service,
    )
    assert unpriced == 0
    assert cost == pytest.approx(float(8 * (1000 * price.input + 50 * price.output)))


def test_cli_report_reads_the_collector_store_through_its_sql_endpoint(
    collector: RunningCollector, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    service = unique_service("cli")
    attributes = {
        semconv.GEN_AI_OPERATION_NAME: "chat",
        semconv.GEN_AI_PROVIDER_NAME: "openai",
        semconv.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
        semconv.GEN_AI_USAGE_INPUT_TOKENS: 10,
        semconv.OTEL_LLM_COST_USD: "0.25",
        semconv.OTEL_LLM_FEATURE: "triage",
    }
    emit(http_exporter(collector), service, 4, attributes)
    # The report reads the hourly rollup, whose part commits just after llm_calls' in the same insert.
    rollup = "SELECT sum(Calls) FROM llm_usage_hourly WHERE ServiceName = {s:String}"
    assert collector.wait_for(rollup, 4, s=service) == 4
    monkeypatch.setenv(semconv.ENV_COLLECTOR_AUTH_TOKEN, TOKEN)

    # --until a minute ahead: the CLI sends its bounds with whole seconds, and "now" would cut off
    # spans written in this very second.
    until = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S")
    args = ["report", "--collector", collector.url, "--service", service, "--format", "json", "--until", until]
    code = cli_main(args)

    assert code == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["feature"], row["calls"], Decimal(str(row["cost_usd"]))) == ("triage", 4, Decimal("1"))


def test_grpc_exporter_spans_land_in_otel_traces(collector: RunningCollector) -> None:
    service = unique_service("grpc")
    exporter = GrpcExporter(
        endpoint=f"127.0.0.1:{collector.grpc_port}", insecure=True, headers=(("authorization", f"Bearer {TOKEN}"),)
    )
    ids = emit(exporter, service, 40)

    assert collector.wait_for(SPANS_BY_SERVICE, 40, s=service) == 40
    stored = collector.sql("SELECT SpanId FROM otel_traces WHERE ServiceName = {s:String}", s=service)
    assert sorted(r[0] for r in stored) == sorted(ids)


def test_metrics_count_what_was_received_and_written(collector: RunningCollector) -> None:
    before = collector.metric("spans_written_total")
    service = unique_service("metrics")
    emit(http_exporter(collector), service, 10)
    assert collector.wait_for(SPANS_BY_SERVICE, 10, s=service) == 10

    assert collector.wait_metric("spans_written_total", before + 10) >= before + 10
    assert collector.metric("spans_received_total") >= collector.metric("spans_written_total")
    assert collector.wait_drained() == 0
    status, body = collector.get("/readyz")
    assert (status, b'"ready": true' in body) == (200, True)


class _CapturingExporter(SpanExporter):
    """Encodes each batch exactly as the OTLP/HTTP exporter would send it, and keeps the bytes."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.bodies.append(encode_spans(spans).SerializeToString())
        return SpanExportResult.SUCCESS


def test_a_senders_retry_of_the_same_request_is_stored_once(collector: RunningCollector) -> None:
    # The sender lost our acknowledgement and sends the same bytes again.
    service = unique_service("retry")
    captured = _CapturingExporter()
    emit(captured, service, 20)
    before = collector.metric("requests_duplicate_total")
    headers = {"Content-Type": "application/x-protobuf", **collector.auth_headers}
    for body in captured.bodies * 2:
        status, _headers, _answer = collector.post("/v1/traces", body, headers)
        assert status == 200

    assert collector.wait_for(SPANS_BY_SERVICE, 20, s=service) == 20
    assert collector.wait_drained() == 0
    assert collector.sql(SPANS_BY_SERVICE, s=service) == [[20]]
    assert collector.metric("requests_duplicate_total") == before + len(captured.bodies)


class _Receiver(BaseHTTPRequestHandler):
    """A minimal OTLP/HTTP receiver standing in for Jaeger: keeps every request body, and answers
    only once ``gate`` is open (a test closes it to play a stuck Jaeger)."""

    bodies: list[bytes]
    gate: threading.Event

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        assert self.path == "/v1/traces"
        self.gate.wait(60)
        self.bodies.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def upstream() -> Iterator[tuple[str, list[bytes], threading.Event]]:
    bodies: list[bytes] = []
    gate = threading.Event()
    gate.set()
    handler = type("Receiver", (_Receiver,), {"bodies": bodies, "gate": gate})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", bodies, gate
    gate.set()
    server.shutdown()


def forwarded_span_ids(bodies: list[bytes]) -> list[str]:
    requests = [ExportTraceServiceRequest.FromString(body) for body in bodies]
    return [s.span_id.hex() for r in requests for rs in r.resource_spans for ss in rs.scope_spans for s in ss.spans]


def test_forward_target_gets_the_same_spans_as_clickhouse(
    tmp_path: Path, upstream: tuple[str, list[bytes], threading.Event]
) -> None:
    url, bodies, _gate = upstream
    dead = "http://127.0.0.1:9/v1/traces"
    running = start_collector(tmp_path, "--forward", url, "--forward", dead, "--shutdown-grace", "1")
    try:
        service = unique_service("fwd")
        ids = emit(HttpExporter(endpoint=running.url + "/v1/traces"), service, 30)
        running.wait_for(SPANS_BY_SERVICE, 30, s=service)

        assert running.wait_metric("spans_forwarded_total", 30) == 30
        assert sorted(forwarded_span_ids(bodies)) == sorted(ids)
        # The second target is a closed port: its failures are counted, and ClickHouse got every span anyway.
        assert running.metric("forward_errors_total") >= 1
    finally:
        assert running.stop() == 0


def test_a_stuck_forward_target_does_not_hold_up_clickhouse(
    tmp_path: Path, upstream: tuple[str, list[bytes], threading.Event]
) -> None:
    url, bodies, gate = upstream
    gate.clear()  # Jaeger accepts connections and never answers
    running = start_collector(tmp_path, "--forward", url, "--shutdown-grace", "5")
    try:
        service = unique_service("stuck")
        ids = emit(HttpExporter(endpoint=running.url + "/v1/traces"), service, 40)

        assert running.wait_for(SPANS_BY_SERVICE, 40, s=service) == 40
        assert running.metric("spans_forwarded_total") == 0  # all of ClickHouse's while Jaeger hangs

        gate.set()  # Jaeger recovers: the queue it missed is delivered
        assert running.wait_metric("spans_forwarded_total", 40) == 40
        assert sorted(forwarded_span_ids(bodies)) == sorted(ids)
    finally:
        assert running.stop() == 0


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the openssl command line, as an operator would)."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_tls_on_both_ports(tmp_path: Path, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = certificate
    for bundle in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):  # requests lets these override the exporter's CA
        monkeypatch.delenv(bundle, raising=False)
    running = start_collector(tmp_path / "c", tls=certificate)
    try:
        assert running.url.startswith("https://")
        service = unique_service("tls")
        emit(HttpExporter(endpoint=running.url + "/v1/traces", certificate_file=str(cert)), service, 5)
        credentials = grpc.ssl_channel_credentials(root_certificates=cert.read_bytes())
        emit(GrpcExporter(endpoint=f"127.0.0.1:{running.grpc_port}", credentials=credentials), service, 5)
        assert running.wait_for(SPANS_BY_SERVICE, 10, s=service) == 10

        with pytest.raises((urllib.error.URLError, ConnectionError)):  # no plain HTTP on a TLS port
            urllib.request.urlopen(f"http://127.0.0.1:{running.http_port}/healthz", timeout=5)
        # The container health check reads the collector's own settings, TLS included.
        settings = {"OTEL_LLM_COLLECTOR_HTTP_PORT": str(running.http_port), "OTEL_LLM_COLLECTOR_HOST": "0.0.0.0"}
        assert healthcheck(settings) == 1  # plain HTTP: the TLS port does not answer it
        tls = {"OTEL_LLM_COLLECTOR_TLS_CERT": str(cert), "OTEL_LLM_COLLECTOR_TLS_KEY": str(key)}
        assert healthcheck({**settings, **tls}) == 0
        flags = ["--http-port", str(running.http_port), "--tls-cert", str(cert), "--tls-key", str(key)]
        assert healthcheck({}, *flags) == 0  # the collector's flags, given to the check too
    finally:
        assert running.stop() == 0
    assert healthcheck({**settings, **tls}) == 1  # stopped: unhealthy


def healthcheck(settings: dict[str, str], *flags: str) -> int:
    """Exit code of the Dockerfile's HEALTHCHECK command, run with these collector settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_LLM_COLLECTOR_")}
    command = [sys.executable, "-m", "otel_llm_collector.healthcheck", *flags]
    return subprocess.run(command, env={**env, **settings}, capture_output=True, timeout=30).returncode
