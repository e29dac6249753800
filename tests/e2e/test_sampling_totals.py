"""Proof for issue 13: sampling traces at 1% changes no total. Money is never sampled.

An app makes 2,000 calls through the real openai and anthropic SDKs over real HTTP to the fake
provider, across features, users, models (one unpriced), streams, cache hits, Anthropic cache
writes (5-minute and 1-hour) and failures, with the in-process
exporters (spans and log records) writing into the real engine (chdb). Run once with the
TracerProvider sampler ``parentbased_traceidratio`` at 0.01 and once at 1.0, each into its own
database: ``otel-llm report --format json`` by feature, by user and by model is the same, to the
micro-dollar, and every token kind (cache writes and their 1-hour part too), the cache-write dollars
and the call count are equal; the span exporter got about 1% of the spans, the log exporter the rest.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import anthropic
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
from otel_llm.instrumentation.anthropic import AnthropicInstrumentor
from otel_llm.instrumentation.openai import OpenAIInstrumentor
from otel_llm.schema import prepare

CALLS = 2_000
FEATURES = ("search", "chat", "summaries", "triage")
MODELS = ("gpt-4o", "gpt-4o-mini", "gpt-4o", "not-a-real-model-xyz")  # the last one is unpriced
CLAUDE = "claude-sonnet-4-5"  # every 8th call: cache reads and writes, 5-minute and 1-hour
# Groups of ``report --by``: users; models are the dated response models, Claude's, and the request
# models of the failed calls.
GROUPS = {"feature": len(FEATURES), "user": 11, "model": 6}
TOTALS = (
    "SELECT count(), sum(InputTokens), sum(OutputTokens), sum(CacheReadTokens), sum(CacheWriteTokens),"
    " sum(CacheWrite1hTokens), sum(ReasoningTokens), sum(CostUSD), sumIf(CostUSD, CacheWriteTokens > 0),"
    " countIf(NOT PriceKnown), countIf(StatusCode = 'Error'), sum(Sampled) FROM {db}.llm_calls"
)
# The dollars of the cache writes alone, as each call's span or usage record priced them.
CACHE_WRITE_USD = (
    "SELECT sum(toDecimal128OrZero(a['otel_llm.cost.cache_write_usd'], 12)) FROM ("
    " SELECT SpanAttributes AS a FROM {db}.otel_traces UNION ALL SELECT LogAttributes AS a FROM {db}.otel_logs)"
)


def claude_usage(i: int) -> Script:
    """Call ``i``'s Claude usage: a 1-hour cache write, a 5-minute one, or a cache read, in turn."""
    kind = (i // 8) % 3
    return Script(
        input_tokens=300 + i % 41,
        output_tokens=20 + i % 17,
        cache_write_1h_tokens=2048 + i % 7 if kind == 0 else 0,
        cache_write_5m_tokens=1536 + i % 5 if kind == 1 else 0,
        cache_read_tokens=2048 if kind == 2 else 0,
    )


def _claude(client: anthropic.Anthropic, fake: FakeProvider, i: int) -> None:
    fake.enqueue(claude_usage(i))
    client.messages.create(model=CLAUDE, max_tokens=64, messages=[{"role": "user", "content": f"question {i}"}])


def _app(clients: tuple[openai.OpenAI, anthropic.Anthropic], fake: FakeProvider) -> None:
    """The app's calls: the same sequence every run, whatever the sampler keeps."""
    client, claude = clients
    for i in range(CALLS):
        with tag(feature=FEATURES[i % len(FEATURES)], user_id=f"user-{i % 11}", session_id=f"s-{i % 5}"):
            if i % 8 == 6:
                _claude(claude, fake, i)
                continue
            fake.enqueue(
                Script(status=429)
                if i % 97 == 0
                else Script(prompt_tokens=200 + i % 53, completion_tokens=5 + i % 31, cached_tokens=128 * (i % 4 == 0))
            )
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
    instrumentors = (OpenAIInstrumentor(), AnthropicInstrumentor())
    for instrumentor in instrumentors:
        instrumentor.instrument(tracer_provider=tracer_provider, logger_provider=logger_provider)
    try:
        with (
            openai.OpenAI(base_url=fake.openai_base_url, api_key="k", max_retries=0) as client,
            anthropic.Anthropic(base_url=fake.anthropic_base_url, api_key="k", max_retries=0) as claude,
        ):
            _app((client, claude), fake)
    finally:
        for instrumentor in instrumentors:
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
        db = f"`{database}`"
        row = store_client.query(TOTALS.format(db=db)).result_rows[0]
        return (*row, store_client.query(CACHE_WRITE_USD.format(db=db)).result_rows[0][0])

    got, want = totals(sampled), totals(full)
    sampled_from_spans = got[11]
    # calls, every token kind, cost (Decimal), cost of the cache-writing calls, unpriced, errors,
    # and the cache-write dollars of the spans and records
    assert got[:11] + got[12:] == want[:11] + want[12:]
    assert (got[0], sampled_from_spans, want[11]) == (CALLS, sampled_spans, CALLS)  # Sampled says which
    assert got[3] > 0 and got[4] > got[5] > 0  # cache reads, writes, and a 1-hour part of them
    assert got[7] > got[8] > 0 and got[9] > 0 and got[10] > 0 and got[12] > 0
    # claude-sonnet-4-5 writes: $3.75/M for 5 minutes, $6/M for 1 hour (the bundled price book).
    writes = [claude_usage(i) for i in range(CALLS) if i % 8 == 6]
    expected = sum(w.cache_write_5m_tokens * Decimal("3.75") + w.cache_write_1h_tokens * 6 for w in writes) / 10**6
    assert abs(got[12] - expected) < Decimal("1e-9"), (got[12], expected)
    for by, groups in GROUPS.items():
        report = _report(store_dsn, sampled, by, capsys)
        assert len(report) == groups, report
        assert report == _report(store_dsn, full, by, capsys), by
