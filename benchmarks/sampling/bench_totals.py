"""Issue 13's proof at scale: traces sampled at 1%, every total exact, in process and through the collector.

    python benchmarks/sampling/bench_totals.py [--calls 100000] [--workdir DIR]

An app makes ``--calls`` chat calls (the real ``openai`` and ``anthropic`` SDKs, instrumented by
otel-llm) across 6 features, 50 users, 5 models (one without a price), plain and streamed, with
cache hits, Anthropic cache writes (5-minute and 1-hour TTL), reasoning tokens and rate-limit
failures. The provider's replies are recorded once from
the fake provider over HTTP (a different usage for each of 32 variants per model) and replayed
through the SDK's own transport, so 100,000 calls take minutes, not hours; everything after the
socket is real. The same app runs four times:

- in process, ``parentbased_traceidratio`` 0.01 then 1.0: ``ClickHouseSpanExporter`` and
  ``ClickHouseLogExporter`` into an embedded store (one database per run), plus an OTLP span
  exporter to the trace backend;
- through the collector, 0.01 then 1.0: OTLP/HTTP span and log exporters to ``otel-llm
  collector`` (a process of its own, one per run, its own embedded store), which forwards to the
  trace backend.

The trace backend is a local OTLP/HTTP receiver that counts the spans it gets and refuses logs
with 404, as Jaeger does. Checked, and printed as the table of RESULTS.md: ``otel-llm report
--format json`` by feature and by user, and the store's totals (calls, every token kind, cost to
the last decimal, unpriced calls, errors) are equal between 0.01 and 1.0 on each path (and
between the paths); the trace backend got about 1% of the spans at 0.01. Exits 1 if any differs.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anthropic
import httpx2
import openai
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, LogRecordExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from otel_llm import tag
from otel_llm.cli import main as cli
from otel_llm.exporter import ClickHouseLogExporter, ClickHouseSpanExporter
from otel_llm.fake_provider import FakeProvider, Script
from otel_llm.instrumentation.anthropic import AnthropicInstrumentor
from otel_llm.instrumentation.openai import OpenAIInstrumentor
from otel_llm.schema import prepare
from otel_llm.store import connect

REPO = Path(__file__).resolve().parents[2]
FEATURES = ("search", "chat", "summaries", "triage", "extraction", "agent")
USERS = 50
MODELS = ("gpt-4o", "gpt-4o-mini", "o3-mini", "not-a-real-model-xyz")  # the last one has no price
CLAUDE = "claude-sonnet-4-5"  # every 8th call: prompt-cached, writes with both TTLs and reads
VARIANTS = 32
VARIANT_HEADER = "x-bench-variant"
MESSAGES = [{"role": "user", "content": "Summarize the quarterly report in one sentence."}]
TOTALS = (
    "SELECT count(), sum(InputTokens), sum(OutputTokens), sum(CacheReadTokens), sum(CacheWriteTokens),"
    " sum(CacheWrite1hTokens), sum(ReasoningTokens), toString(sum(CostUSD)),"
    " toString(sumIf(CostUSD, CacheWriteTokens > 0)), countIf(NOT PriceKnown), countIf(StatusCode = 'Error'),"
    " sum(Sampled) FROM {db}llm_calls"
)
TOTAL_NAMES = (
    "calls", "input", "output", "cache read", "cache write", "cache write 1h", "reasoning", "cost USD",
    "cost USD of calls writing the cache", "unpriced", "errors",
)  # fmt: skip
QUEUE = 1 << 20  # the batch processors hold a whole run: none of its records may be dropped on the way


def _script(model: int, variant: int) -> Script:
    """A different usage per (model, variant): cache hits on a quarter, reasoning on o3-mini."""
    reasoning = 40 + variant if MODELS[model] == "o3-mini" else None
    return Script(
        prompt_tokens=180 + 37 * variant + model,
        completion_tokens=12 + 7 * variant + (reasoning or 0),
        cached_tokens=128 * (variant % 4 == 0),
        reasoning_tokens=reasoning,
    )


def _claude_script(variant: int) -> Script:
    """A Claude call's usage: a 1-hour cache write, a 5-minute one, a cache read, or none, in turn."""
    kind = variant % 4
    return Script(
        input_tokens=300 + 11 * variant,
        output_tokens=20 + 3 * variant,
        cache_write_1h_tokens=2048 + variant if kind == 0 else 0,
        cache_write_5m_tokens=1536 + variant if kind == 1 else 0,
        cache_read_tokens=2048 if kind == 2 else 0,
    )


def record_replies() -> dict[tuple[str, bool, int], tuple[int, bytes, str]]:
    """(model, stream, variant) -> (status, body, content type), recorded from the fake provider;
    variant -1 is a 429."""
    replies = {}
    with FakeProvider() as fake, httpx2.Client(base_url=fake.url) as http:
        for variant in range(VARIANTS):
            fake.enqueue(_claude_script(variant))
            body = {"model": CLAUDE, "max_tokens": 64, "messages": MESSAGES}
            reply = http.post("/v1/messages", json=body, headers={"anthropic-version": "2023-06-01"})
            replies[(CLAUDE, False, variant)] = (reply.status_code, reply.content, reply.headers["content-type"])
        for m, model in enumerate(MODELS):
            for stream in (False, True):
                for variant in range(-1, VARIANTS):
                    fake.enqueue(Script(status=429) if variant < 0 else _script(m, variant))
                    body: dict[str, Any] = {"model": model, "messages": MESSAGES}
                    if stream:
                        body |= {"stream": True, "stream_options": {"include_usage": True}}
                    reply = http.post("/v1/chat/completions", json=body)
                    replies[(model, stream, variant)] = (
                        reply.status_code,
                        reply.content,
                        reply.headers["content-type"],
                    )
    return replies


Clients = tuple[openai.OpenAI, anthropic.Anthropic]


def replay_clients(replies: dict[tuple[str, bool, int], tuple[int, bytes, str]]) -> Clients:
    def handle(request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        status, content, content_type = replies[
            (body["model"], bool(body.get("stream")), int(request.headers[VARIANT_HEADER]))
        ]
        return httpx2.Response(status, content=content, headers={"content-type": content_type})

    def http() -> httpx2.Client:
        return httpx2.Client(transport=httpx2.MockTransport(handle))

    return (
        openai.OpenAI(base_url="http://replay.invalid/v1", api_key="bench", max_retries=0, http_client=http()),
        anthropic.Anthropic(base_url="http://replay.invalid", api_key="bench", max_retries=0, http_client=http()),
    )


def run_app(clients: Clients, calls: int) -> None:
    """The same calls every run, whatever the sampler keeps."""
    client, claude = clients
    for i in range(calls):
        variant = -1 if i % 97 == 0 else (i * 7) % VARIANTS
        with tag(feature=FEATURES[i % len(FEATURES)], user_id=f"user-{i % USERS:03d}"):
            if i % 8 == 6:
                claude.messages.create(
                    model=CLAUDE, max_tokens=64, messages=MESSAGES,  # type: ignore[arg-type]
                    extra_headers={VARIANT_HEADER: str((i // 8) % VARIANTS)},
                )  # fmt: skip
                continue
            request: dict[str, Any] = {
                "model": MODELS[i % len(MODELS)],
                "messages": MESSAGES,
                "extra_headers": {VARIANT_HEADER: str(variant)},
            }
            try:
                if i % 10 == 3:
                    stream = client.chat.completions.create(
                        **request, stream=True, stream_options={"include_usage": True}
                    )
                    for _ in stream:
                        pass
                else:
                    client.chat.completions.create(**request)
            except openai.RateLimitError:
                pass


class TraceBackend:
    """An OTLP/HTTP receiver counting the spans it gets; logs are refused (404), as Jaeger does."""

    def __init__(self) -> None:
        self.spans = 0
        lock = threading.Lock()
        backend = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.path != "/v1/traces":
                    self.send_response(404)
                    self.end_headers()
                    return
                request = ExportTraceServiceRequest.FromString(body)
                count = sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)
                with lock:
                    backend.spans += count
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()


def timed_app(
    run: Run, clients: Clients, calls: int, span_exporters: list[SpanExporter], log_exporter: LogRecordExporter
) -> tuple[TracerProvider, LoggerProvider]:
    """The app, instrumented, its tracer sampling at ``run.ratio``; its time in ``run.app_seconds``.
    Returns the providers, for the caller to flush."""
    resource = Resource.create({"service.name": "sampling-proof"})
    tracer_provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(run.ratio)), resource=resource)
    for exporter in span_exporters:
        tracer_provider.add_span_processor(BatchSpanProcessor(exporter, max_queue_size=QUEUE))
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(log_exporter, max_queue_size=QUEUE))
    instrumentors = (OpenAIInstrumentor(), AnthropicInstrumentor())
    for instrumentor in instrumentors:
        instrumentor.instrument(tracer_provider=tracer_provider, logger_provider=logger_provider)
    started = time.perf_counter()
    try:
        run_app(clients, calls)
    finally:
        for instrumentor in instrumentors:
            instrumentor.uninstrument()
    run.app_seconds = time.perf_counter() - started
    return tracer_provider, logger_provider


def report(by: str, store: list[str]) -> Any:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli(["report", "--by", by, "--since", "1d", "--format", "json", *store])
    if code != 0:
        raise SystemExit(f"report --by {by} failed ({code})")
    return json.loads(out.getvalue())


class Run:
    """One run's results: the store's totals, the reports, spans at the backend, seconds taken."""

    def __init__(self, path: str, ratio: float) -> None:
        self.path, self.ratio = path, ratio
        self.totals: tuple[Any, ...] = ()
        self.reports: dict[str, Any] = {}
        self.backend_spans = 0
        self.app_seconds = 0.0
        self.stored_seconds = 0.0


def in_process(ratio: float, calls: int, clients: Clients, dsn: str, backend: TraceBackend) -> Run:
    run = Run("in process", ratio)
    database = f"sampling_{int(ratio * 100):03d}_{random.randrange(1 << 20):05x}"
    store = connect(dsn)
    prepare(store, database)
    settings: dict[str, Any] = {"endpoint": dsn, "database": database, "create_schema": False}
    spans, logs = ClickHouseSpanExporter(**settings), ClickHouseLogExporter(**settings)
    counted_before = backend.spans
    otlp = OTLPSpanExporter(endpoint=backend.url + "/v1/traces")
    started = time.perf_counter()
    tracer_provider, logger_provider = timed_app(run, clients, calls, [spans, otlp], logs)
    for provider in (tracer_provider, logger_provider):
        provider.force_flush(600_000)
    for exporter in (spans, logs):
        exporter.force_flush(600_000)
    tracer_provider.shutdown()
    logger_provider.shutdown()
    run.stored_seconds = time.perf_counter() - started
    dropped = spans.stats().dropped_spans + logs.stats().dropped_spans
    if dropped:
        raise SystemExit(f"the in-process exporters dropped {dropped} records")
    run.backend_spans = backend.spans - counted_before
    run.totals = store.query(TOTALS.format(db=f"`{database}`.")).result_rows[0]
    store.close()
    run.reports = {by: report(by, ["--endpoint", dsn, "--database", database]) for by in ("feature", "user")}
    return run


@contextlib.contextmanager
def collector(workdir: Path, backend: TraceBackend) -> Iterator[str]:
    """``otel-llm collector`` in a process of its own, with its own store; yields its URL."""
    command = [
        sys.executable, "-m", "otel_llm_collector", "--http-port", "0", "--grpc-port", "-1",
        "--spool-dir", str(workdir / "spool"), "--endpoint", f"chdb://{workdir / 'chdb'}",
        "--forward", backend.url,
    ]  # fmt: skip
    workdir.mkdir(parents=True, exist_ok=True)
    with open(workdir / "collector.log", "w") as log:
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        assert process.stdout is not None
        url = f"http://127.0.0.1:{json.loads(process.stdout.readline())['http_port']}"
        _wait(lambda: _get(url + "/readyz") == 200, 120, "collector ready")
        yield url
    finally:
        process.terminate()
        process.wait(60)


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status
    except OSError:
        return 0


def _spooled(url: str) -> float:
    with urllib.request.urlopen(url + "/metrics", timeout=10) as answer:
        lines = answer.read().decode().splitlines()
    return float(next(line.split()[1] for line in lines if line.startswith("otel_llm_collector_spool_requests ")))


def _sql(url: str, query: str) -> list[Any]:
    request = urllib.request.Request(
        url + "/v1/sql", data=json.dumps({"query": query}).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=120) as answer:
        return json.loads(answer.read())["rows"]


def _wait(done: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.5)


def through_collector(ratio: float, calls: int, clients: Clients, workdir: Path, backend: TraceBackend) -> Run:
    run = Run("collector", ratio)
    with collector(workdir, backend) as url:
        counted_before = backend.spans
        spans = OTLPSpanExporter(endpoint=url + "/v1/traces")
        logs = OTLPLogExporter(endpoint=url + "/v1/logs")
        started = time.perf_counter()
        tracer_provider, logger_provider = timed_app(run, clients, calls, [spans], logs)
        tracer_provider.shutdown()
        logger_provider.shutdown()
        _wait(lambda: _sql(url, "SELECT count() FROM llm_calls")[0][0] >= calls, 1800, "llm_calls to fill")
        # The insert that completed llm_calls may still be filling the rollups (the views run one
        # after another); its spool batch is committed once the whole insert has returned.
        _wait(lambda: _spooled(url) == 0, 600, "the spool to drain")
        run.stored_seconds = time.perf_counter() - started
        _wait(lambda: backend.spans - counted_before >= _sql(url, "SELECT sum(Sampled) FROM llm_calls")[0][0], 120,
              "the forward to the trace backend")  # fmt: skip
        run.backend_spans = backend.spans - counted_before
        run.totals = tuple(_sql(url, TOTALS.format(db=""))[0])
        run.reports = {by: report(by, ["--collector", url]) for by in ("feature", "user")}
    return run


def _normalized(totals: tuple[Any, ...]) -> tuple[str, ...]:
    """Totals as text, so a Decimal from the engine and the same number through JSON compare equal."""
    return tuple(str(value) for value in totals)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temporary directory")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="otel-llm-sampling-"))
    workdir.mkdir(parents=True, exist_ok=True)
    replies = record_replies()
    clients = replay_clients(replies)
    backend = TraceBackend()
    runs = []
    for ratio in (0.01, 1.0):
        runs.append(in_process(ratio, args.calls, clients, f"chdb://{workdir / 'inprocess-chdb'}", backend))
        runs.append(through_collector(ratio, args.calls, clients, workdir / f"collector-{ratio}", backend))
    backend.close()
    return _print_results(runs, args.calls)


def _print_results(runs: list[Run], calls: int) -> int:
    print(f"\n{calls:,} calls per run, {len(FEATURES)} features, {USERS} users, {len(MODELS) + 1} models\n")
    print("| path | sampler ratio | " + " | ".join(TOTAL_NAMES) + " | calls from spans | spans at the trace backend"
          " | app s | until stored s |")  # fmt: skip
    print("| --- | ---: | " + " | ".join("---:" for _ in TOTAL_NAMES) + " | ---: | ---: | ---: | ---: |")
    for run in runs:
        cells = [*map(str, run.totals[:-1]), str(run.totals[-1]), f"{run.backend_spans:,}"]
        print(
            f"| {run.path} | {run.ratio} | "
            + " | ".join(cells)
            + f" | {run.app_seconds:.0f} | {run.stored_seconds:.0f} |"
        )
    reference = runs[-1]  # through the collector at 1.0
    failures = []
    for run in runs:
        if _normalized(run.totals[:-1]) != _normalized(reference.totals[:-1]):
            failures.append(f"{run.path} at {run.ratio}: totals differ")
        for by, groups in run.reports.items():
            if groups != reference.reports[by]:
                differing = [(a, b) for a, b in zip(groups, reference.reports[by], strict=False) if a != b]
                failures.append(f"{run.path} at {run.ratio}: report --by {by} differs, first: {differing[:1]}")
        expected_spans = calls * run.ratio  # binomial: five standard deviations either way
        if abs(run.backend_spans - expected_spans) > 5 * (expected_spans * (1 - run.ratio)) ** 0.5 + 1:
            failures.append(f"{run.path} at {run.ratio}: {run.backend_spans} spans at the trace backend")
    groups = {by: len(groups) for by, groups in reference.reports.items()}
    print(f"\nreport --by feature / user: {groups['feature']} / {groups['user']} groups, equal in every run: "
          f"{'yes' if not any('report' in f for f in failures) else 'NO'}")  # fmt: skip
    for failure in failures:
        print("FAILED:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
