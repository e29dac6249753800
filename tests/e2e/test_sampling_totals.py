"""Proof for issue 13: sampling traces at 1% changes no total. Money is never sampled.

An app makes 2,000 calls through the real openai SDK over real HTTP to the fake provider, across
features, users, models (one unpriced), streams, cache hits and failures, with the in-process
exporters (spans and log records) writing into the real engine (chdb). Run once with the
TracerProvider sampler ``parentbased_traceidratio`` at 0.01 and once at 1.0, each into its own
database: ``otel-llm report --format json`` by feature, by user and by model is the same, to the
micro-dollar, and every token kind and the call count are equal; the span exporter got about 1% of
the spans, the log exporter the rest.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, LogRecordExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from otel_llm import tag
from otel_llm.cli import main
from otel_llm.exporter import ClickHouseLogExporter, ClickHouseSpanExporter
from otel_llm.fake_provider import FakeProvider, Script
from otel_llm.instrumentation.openai import OpenAIInstrumentor
from otel_llm.schema import prepare

CALLS = 2_000
FEATURES = ("search", "chat", "summaries", "triage")
MODELS = ("gpt-4o", "gpt-4o-mini", "gpt-4o", "not-a-real-model-xyz")  # the last one is unpriced
TOTALS = (
    "SELECT count(), sum(InputTokens), sum(OutputTokens), sum(CacheReadTokens), sum(CacheWriteTokens),"
    " sum(ReasoningTokens), sum(CostUSD), countIf(NOT PriceKnown), countIf(StatusCode = 'Error'),"
    " sum(Sampled) FROM {db}.llm_calls"
)


def _app(client: openai.OpenAI, fake: FakeProvider) -> None:
    """The app's calls: the same sequence every run, whatever the sampler keeps."""
    for i in range(CALLS):
        fake.enqueue(
            Script(status=429)
            if i % 97 == 0
            else Script(prompt_tokens=200 + i % 53, completion_tokens=5 + i % 31, cached_tokens=128 * (i % 4 == 0))
        )
        with tag(feature=FEATURES[i % len(FEATURES)], user_id=f"user-{i % 11}", session_id=f"s-{i % 5}"):
            request: dict[str, Any] = {
                "model": MODELS[i % len(MODELS)],
                "messages": [{"role": "user", "content": f"question {i}"}],
            }
            try:
                if i % 10 == 3:
                    for _ in client.chat.completions.create(
                        **request, stream=True, stream_options={"include_usage": True}
                    ):
                        pass
                else:
                    client.chat.completions.create(**request)
            except openai.RateLimitError:
                pass


def run_sampled(
    ratio: float, spans: SpanExporter, logs: LogRecordExporter, fake: FakeProvider, service: str
) -> None:
    """The app, its tracer sampling at ``ratio``, spans and usage records through these exporters
    (queues that hold the whole run, so none is dropped before the exporter); flushed on return."""
    resource = Resource.create({"service.name": service})
    tracer_provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(ratio)), resource=resource)
    tracer_provider.add_span_processor(BatchSpanProcessor(spans, max_queue_size=CALLS * 2))
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(logs, max_queue_size=CALLS * 2))
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, logger_provider=logger_provider)
    try:
        with openai.OpenAI(base_url=fake.openai_base_url, api_key="k", max_retries=0) as client:
            _app(client, fake)
    finally:
        instrumentor.uninstrument()
        tracer_provider.shutdown()
        logger_provider.shutdown()


def _run(store_client: Any, dsn: str, fake: FakeProvider, ratio: float) -> tuple[str, int, int]:
    """The app at ``ratio`` into a fresh database; returns it and the spans and records exported."""
    database = f"test_sampling_{uuid.uuid4().hex[:8]}"
    prepare(store_client, database)
    settings: dict[str, Any] = {"endpoint": dsn, "database": database, "create_schema": False}
    spans, logs = ClickHouseSpanExporter(**settings), ClickHouseLogExporter(**settings)
    run_sampled(ratio, spans, logs, fake, "proof")
    assert spans.stats().dropped_spans == logs.stats().dropped_spans == 0
    return database, spans.stats().written_spans, logs.stats().written_spans


@pytest.fixture
def databases(store_client: Any) -> Iterator[list[str]]:
    made: list[str] = []
    yield made
    for database in made:
        store_client.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")


def _report(dsn: str, database: str, by: str, capsys: pytest.CaptureFixture[str]) -> Any:
    capsys.readouterr()
    code = main(["report", "--by", by, "--since", "1d", "--format", "json", "--endpoint", dsn, "--database", database])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_one_percent_sampling_changes_no_total(
    store_client: Any,
    store_dsn: str,
    fake_provider: FakeProvider,
    databases: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    sampled, sampled_spans, sampled_logs = _run(store_client, store_dsn, fake_provider, 0.01)
    databases.append(sampled)
    full, full_spans, full_logs = _run(store_client, store_dsn, fake_provider, 1.0)
    databases.append(full)

    # The trace backend keeps about 1% (binomial: 20 expected, sd 4.4); the rest went as events.
    assert 5 <= sampled_spans <= 50
    assert sampled_spans + sampled_logs == CALLS
    assert (full_spans, full_logs) == (CALLS, 0)

    def totals(database: str) -> tuple[Any, ...]:
        return store_client.query(TOTALS.format(db=f"`{database}`")).result_rows[0]

    got, want = totals(sampled), totals(full)
    assert got[:-1] == want[:-1]  # calls, every token kind, cost (Decimal), unpriced, errors
    assert (got[0], got[-1], want[-1]) == (CALLS, sampled_spans, CALLS)  # Sampled says which is which
    assert got[6] > 0 and got[7] > 0 and got[8] > 0 and got[3] > 0
    # Models: the dated response models, and the request models of the failed calls.
    for by, groups in (("feature", len(FEATURES)), ("user", 11), ("model", 5)):
        report = _report(store_dsn, sampled, by, capsys)
        assert len(report) == groups, report
        assert report == _report(store_dsn, full, by, capsys), by
