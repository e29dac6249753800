"""A dashboard over a chdb store filled with known calls, served from a thread of the test process
(which already holds the session's chdb directory), and the CLI run against the same store.

The calls go into ``otel_traces`` as our instrumentation's spans, so the real views fill
``llm_calls`` and the rollups. They include an unpriced model, an error, two services, two
environments, and a feature and a user whose names are markup.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

from otel_llm import semconv
from otel_llm.cli import main
from otel_llm.query import ClickHouseSource
from otel_llm.store import connect
from otel_llm.ui import DashboardServer, Settings, make_server
from otel_llm.ui.advice import THREAD_NAME
from otel_llm.ui.server import QUERY_LIMITS
from tests.cli.conftest import SCOPE, Call
from tests.collector.conftest import emit
from tests.collector.harness import RunningCollector, start_collector
from tests.fixtures.sampling import AppCall, export_calls
from tests.fixtures.store import Store, insert_spans, span_row

HOSTILE_FEATURE = '<script>alert("feature")</script>'
HOSTILE_USER = '"><img src=x onerror=alert(1)>'
TRACE_URL = "http://localhost:16686/trace/{trace_id}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


@dataclass(frozen=True)
class KnownStore:
    store: Store
    since: dt.datetime  # a window holding every known call
    until: dt.datetime

    @property
    def window(self) -> str:
        return f"since={self.since.isoformat()}&until={self.until.isoformat()}"


def collector_with_calls(workdir: Path, *args: str, token: str) -> RunningCollector:
    """A real collector process (``args``: extra flags) that has stored four $0.25 gpt-4o calls,
    two of them errors, sent over OTLP/HTTP."""
    running = start_collector(workdir, *args, token=token)
    exporter = OTLPSpanExporter(endpoint=running.url + "/v1/traces", headers=running.auth_headers)
    call = Call(dt.datetime.now(dt.timezone.utc), "chat", "gpt-4o", cost="0.25")
    emit(exporter, workdir.name, 4, call.attributes())
    assert running.wait_for("SELECT count() FROM llm_calls", 4) == 4
    return running


def known_calls(now: dt.datetime) -> list[tuple[Call, str]]:
    """(call, environment): what every dashboard test reads."""
    hour = now.replace(minute=0, second=0)
    return [
        *[(Call(hour - dt.timedelta(hours=2), "chat", "gpt-4o", semconv.PROVIDER_OPENAI, "alice", input=1000,
                output=100, cache_read=500, cost="0.01", savings="0.002"), "prod")] * 3,
        *[(Call(hour - dt.timedelta(days=1), "summarize", "claude-sonnet-4", semconv.PROVIDER_ANTHROPIC, "bob",
                input=5000, output=400, cost="0.05"), "staging")] * 2,
        (Call(hour - dt.timedelta(hours=3), "summarize", "mystery-model", "acme", "bob", cost=None,
              service="worker"), "prod"),
        (Call(hour - dt.timedelta(hours=5), "chat", "gpt-4o", semconv.PROVIDER_OPENAI, "carol", cost="0.001",
              error=True, service="worker"), "prod"),
        (Call(hour - dt.timedelta(hours=1), HOSTILE_FEATURE, "gpt-4o", semconv.PROVIDER_OPENAI, HOSTILE_USER,
              cost="0.003"), "prod"),
    ]


def insert_savings(store: Store, now: dt.datetime) -> None:
    """Traffic with things to save, for the savings page: the same $0.06 request sent three times
    an hour apart (two repeats a response cache would serve), and nightly reports with no end
    user, never streamed, three at the same hour on each of two nights (Batch API material)."""
    shape = {semconv.GEN_AI_OPERATION_NAME: "chat", semconv.GEN_AI_PROVIDER_NAME: semconv.PROVIDER_OPENAI,
             semconv.GEN_AI_REQUEST_MODEL: "gpt-4o", semconv.GEN_AI_USAGE_INPUT_TOKENS: "1000",
             semconv.GEN_AI_USAGE_OUTPUT_TOKENS: "100", semconv.OTEL_LLM_COST_USD: "0.06",
             semconv.OTEL_LLM_FEATURE: "faq", semconv.USER_ID: "dana",
             semconv.OTEL_LLM_REQUEST_FINGERPRINT: "f" * 32, semconv.OTEL_LLM_REQUEST_MAX_TOKENS_SET: "true"}
    hour = now.replace(minute=0, second=0, tzinfo=dt.timezone.utc)
    rows = [span_row(shape, at=hour - dt.timedelta(hours=h)) for h in (1, 2, 3)]
    report = {**shape, semconv.OTEL_LLM_FEATURE: "nightly_report", semconv.USER_ID: "",
              semconv.GEN_AI_USAGE_INPUT_TOKENS: "20000", semconv.GEN_AI_USAGE_OUTPUT_TOKENS: "4000",
              semconv.OTEL_LLM_COST_USD: "0.09"}
    rows += [span_row({**report, semconv.OTEL_LLM_REQUEST_FINGERPRINT: f"{d:032x}"},
                      at=hour - dt.timedelta(days=1 + d % 2) + dt.timedelta(minutes=d)) for d in range(6)]
    insert_spans(store.client, store.database, rows)


def insert_known(store: Store, dsn: str, calls: list[tuple[Call, str]]) -> None:
    """The known calls through the real exporters (spans, or usage records under a sampler)."""
    export_calls(dsn, store.database, [
        AppCall(call.attributes(), call.at.replace(tzinfo=dt.timezone.utc), call.service,
                {semconv.DEPLOYMENT_ENVIRONMENT: env}, call.error) for call, env in calls], SCOPE)


def cli_json(known: KnownStore, dsn: str, capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    """What ``otel-llm <argv> --format json`` prints for the known window of the same store."""
    capsys.readouterr()
    code = main([*argv, "--since", known.since.isoformat(), "--until", known.until.isoformat(), "--format", "json",
                 "--endpoint", dsn, "--database", known.store.database])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def known(store: Store, store_dsn: str) -> KnownStore:
    now = _now()
    insert_known(store, store_dsn, known_calls(now))
    since = dt.datetime.combine(now.date() - dt.timedelta(days=2), dt.time())
    return KnownStore(store, since, now.replace(minute=0, second=0) + dt.timedelta(hours=1))


@dataclass
class BusyAdvice:
    """Each savings read (the advice thread's) first keeps its session busy for three seconds with
    a real query (``SELECT sleep(3)``), as a 10M-call store's advise reads do; ``woke`` records
    when each of those queries ended."""

    started: threading.Event = field(default_factory=threading.Event)
    woke: list[float] = field(default_factory=list)

    def before(self, run: Callable[[str], object]) -> None:
        """Called before every read with the session's way to run a query."""
        if threading.current_thread().name == THREAD_NAME:
            self.started.set()
            run("SELECT sleep(3)")
            self.woke.append(time.monotonic())

    def answered_first(self, answered: float) -> bool:
        """Whether a page answered at ``answered`` before the first busy query had ended."""
        deadline = time.monotonic() + 60
        while not self.woke and time.monotonic() < deadline:
            time.sleep(0.01)
        assert self.woke
        return answered < self.woke[0]


def wait_for_advice(server: DashboardServer, query: str, timeout: float = 120.0) -> dict[str, Any]:
    """The savings page's data once the dashboard's background thread has computed its advice
    (the first request queues the computation and answers "computing" at once)."""
    deadline = time.monotonic() + timeout
    while True:
        with urllib.request.urlopen(f"{server.url}api/savings?{query}", timeout=60) as response:
            data = json.loads(response.read())["data"]
        if data["computed_at"] is not None or time.monotonic() > deadline:
            return data
        time.sleep(0.05)


def serve(store: Store, dsn: str, **settings: Any) -> Iterator[DashboardServer]:
    """A dashboard on clients of its own, as ``otel-llm ui`` has (one for the pages, one for the
    savings advice): the embedded engine keeps a session's ``readonly`` after a refused query,
    which must not reach the fixtures' client."""
    token = settings.pop("token", None)
    host = settings.pop("host", "127.0.0.1")
    client, advice_client = connect(dsn), connect(dsn)
    source = ClickHouseSource(client, limits=QUERY_LIMITS)
    settings.setdefault("database", store.database)
    server = make_server(source, Settings(trace_url=TRACE_URL, **settings),
                         host=host, port=0, token=token, advice_source=ClickHouseSource(advice_client))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
        client.close()
        advice_client.close()


@pytest.fixture
def dashboard(known: KnownStore, store_dsn: str) -> Iterator[DashboardServer]:
    yield from serve(known.store, store_dsn, daily_budget_usd=1.0)
