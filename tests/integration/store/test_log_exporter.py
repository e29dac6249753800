"""Usage records of sampled-out calls, stored by ClickHouseLogExporter and counted in llm_calls.

Real openai SDK over real HTTP to the fake provider, real SDK providers, the real engine (chdb).
The same call recorded by its span (sampled) and by its event (sampled out) must give the same
llm_calls row but for the ids, times and ``Sampled``; a sampled call's event (as instrumentations
that emit it for every call write) must not be counted.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import openai
import pytest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, Sampler

from otel_llm import semconv, tag
from otel_llm.exporter import ClickHouseLogExporter, ClickHouseSpanExporter
from otel_llm.exporter._log_rows import LOG_COLUMN_NAMES, LogColumns
from otel_llm.exporter.table import TraceWriter
from otel_llm.fake_provider import FakeProvider, Script
from otel_llm.instrumentation.openai import OpenAIInstrumentor
from otel_llm.schema import migrate
from tests.fixtures.store import Store, insert_spans, span_row
from tests.integration.instrumentation.test_openai_fixtures import chat
from tests.integration.store.test_schema_cache_1h import _layout

RESOURCE = Resource.create({"service.name": "svc", "deployment.environment.name": "prod"})
# What differs between a call's span row and its event row: ids, times, and the flag itself.
PER_RECORD = {"Timestamp", "TraceId", "SpanId", "DurationNs", "TimeToFirstChunkNs", "Sampled"}


class Exported:
    """An app's providers exporting spans and log records into the test's database."""

    def __init__(self, store: Store, dsn: str, sampler: Sampler) -> None:
        settings: dict[str, Any] = {"endpoint": dsn, "database": store.database, "create_schema": False}
        self.span_exporter = ClickHouseSpanExporter(**settings)
        self.log_exporter = ClickHouseLogExporter(**settings)
        self.tracer_provider = TracerProvider(sampler=sampler, resource=RESOURCE)
        self.tracer_provider.add_span_processor(BatchSpanProcessor(self.span_exporter))
        self.logger_provider = LoggerProvider(resource=RESOURCE)
        self.logger_provider.add_log_record_processor(BatchLogRecordProcessor(self.log_exporter))
        self.instrumentor = OpenAIInstrumentor()
        self.instrumentor.instrument(tracer_provider=self.tracer_provider, logger_provider=self.logger_provider)

    def flush(self) -> None:
        self.tracer_provider.force_flush()
        self.logger_provider.force_flush()
        assert self.span_exporter.force_flush() and self.log_exporter.force_flush()

    def close(self) -> None:
        if not self.instrumentor.is_instrumented_by_opentelemetry:
            return
        self.instrumentor.uninstrument()
        self.tracer_provider.shutdown()
        self.logger_provider.shutdown()


@pytest.fixture
def exported(store: Store, store_dsn: str) -> Iterator[Any]:
    made: list[Exported] = []

    def make(sampler: Sampler) -> Exported:
        made.append(Exported(store, store_dsn, sampler))
        return made[-1]

    yield make
    for pipeline in made:
        pipeline.close()


def _calls(store: Store) -> list[dict[str, Any]]:
    client, database = store
    result = client.query(f"SELECT * FROM `{database}`.llm_calls ORDER BY Sampled DESC, Timestamp")
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


def test_a_sampled_out_call_lands_in_otel_logs_and_llm_calls_like_its_span_would(
    exported: Any, store: Store, openai_client: openai.OpenAI, fake_provider: FakeProvider
) -> None:
    for sampler in (ALWAYS_ON, ALWAYS_OFF):
        pipeline = exported(sampler)
        fake_provider.enqueue(Script(prompt_tokens=1500, cached_tokens=1024, completion_tokens=70))
        with tag(feature="search", user_id="u1", session_id="s1"):
            openai_client.chat.completions.create(**chat())
        pipeline.flush()
        pipeline.close()
    client, database = store
    (log,) = client.query(f"SELECT * FROM `{database}`.otel_logs").named_results()
    assert log["EventName"] == semconv.EVENT_INFERENCE_DETAILS
    assert log["ServiceName"] == "svc"
    assert log["ScopeName"] == OpenAIInstrumentor.scope
    assert len(log["TraceId"]) == 32 and len(log["SpanId"]) == 16
    assert log["TraceFlags"] & 1 == 0  # not sampled (bit 1 is W3C's "random trace id")
    assert log["LogAttributes"][semconv.GEN_AI_USAGE_INPUT_TOKENS] == "1500"
    span_row, event_row = _calls(store)
    assert (span_row["Sampled"], event_row["Sampled"]) == (1, 0)
    assert event_row["TraceId"] == log["TraceId"] and event_row["SpanId"] == log["SpanId"]
    assert event_row["DurationNs"] > 0
    assert event_row["CostUSD"] > 0 and event_row["InputTokens"] == 1500 and event_row["CacheReadTokens"] == 1024
    assert {k: v for k, v in event_row.items() if k not in PER_RECORD} == {
        k: v for k, v in span_row.items() if k not in PER_RECORD
    }


def test_the_rollups_count_the_sampled_out_call(
    exported: Any, store: Store, openai_client: openai.OpenAI, fake_provider: FakeProvider
) -> None:
    pipeline = exported(ALWAYS_OFF)
    with tag(feature="search", user_id="u1"):
        openai_client.chat.completions.create(**chat())
    pipeline.flush()
    client, database = store

    def one(sql: str) -> tuple[Any, ...]:
        return client.query(sql.format(db=f"`{database}`")).result_rows[0]

    (cost,) = one("SELECT sum(CostUSD) FROM {db}.llm_calls")
    calls, hourly = one("SELECT sum(Calls), sum(CostUSD) FROM {db}.llm_usage_hourly")
    (daily,) = one("SELECT sum(CostUSD) FROM {db}.llm_usage_daily_user WHERE UserId = 'u1'")
    assert calls == 1
    assert cost > 0
    assert hourly == cost == daily


def _event_row(**changes: Any) -> list[Any]:
    """One otel_logs row of a usage record, values in column form."""
    row: dict[str, Any] = dict.fromkeys(LOG_COLUMN_NAMES, "")
    row.update(
        Timestamp=time.time_ns(), TraceFlags=0, SeverityNumber=9, ResourceAttributes={"service.name": "svc"},
        ScopeAttributes={}, EventName=semconv.EVENT_INFERENCE_DETAILS, TraceId=uuid.uuid4().hex,
        SpanId=uuid.uuid4().hex[:16], ServiceName="svc",
        LogAttributes={
            semconv.GEN_AI_OPERATION_NAME: "chat", semconv.GEN_AI_PROVIDER_NAME: "openai",
            semconv.GEN_AI_REQUEST_MODEL: "gpt-4o", semconv.GEN_AI_USAGE_INPUT_TOKENS: "10",
            semconv.OTEL_LLM_COST_USD: "0.25",
        },
    )  # fmt: skip
    row.update(changes)
    return list(row.values())


def test_a_retried_log_batch_with_its_token_is_stored_once(store: Store) -> None:
    client, database = store
    columns = LogColumns()
    for _ in range(3):
        columns.add_row(*_event_row())
    writer = TraceWriter(client, database, "otel_logs")
    writer.write(columns, "logs-1")
    writer.write(columns, "logs-1")
    assert client.query(f"SELECT count() FROM `{database}`.otel_logs").result_rows == [(3,)]
    assert client.query(f"SELECT count(), sum(CostUSD) FROM `{database}`.llm_calls").result_rows == [
        (3, Decimal("0.75"))
    ]


def test_a_version_6_store_upgrades_to_the_fresh_schema(store_client: Any, store: Store) -> None:
    """Old rows read Sampled 1 (the column's default); new events land with Sampled 0."""
    database = f"test_v6_{uuid.uuid4().hex[:8]}"
    old = Store(store_client, database)
    try:
        assert migrate(store_client, database, to_version=6) == [1, 2, 3, 4, 5, 6]
        insert_spans(store_client, database, [span_row(_event_row()[14], at=datetime.now())])
        assert migrate(store_client, database) == [7, 8, 9, 10]
        assert migrate(store_client, database) == []
        assert _layout(old, database) == _layout(store, store.database)
        store_client.insert(f"`{database}`.otel_logs", [_event_row()], column_names=list(LOG_COLUMN_NAMES))
        rows = store_client.query(f"SELECT Sampled, CostUSD FROM `{database}`.llm_calls ORDER BY Sampled").result_rows
        assert rows == [(0, Decimal("0.25")), (1, Decimal("0.25"))]
    finally:
        store_client.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")


def test_an_event_of_a_sampled_span_is_not_counted_again(store: Store) -> None:
    """OpenTelemetry's own instrumentations emit this event for every call (content on): a sampled
    one is already counted from its span."""
    client, database = store
    attributes = {
        semconv.GEN_AI_OPERATION_NAME: "chat",
        semconv.GEN_AI_PROVIDER_NAME: "openai",
        semconv.GEN_AI_REQUEST_MODEL: "gpt-4o",
        semconv.GEN_AI_USAGE_INPUT_TOKENS: "10",
    }
    row = dict.fromkeys(LOG_COLUMN_NAMES, "")
    row.update(
        Timestamp=time.time_ns(), TraceFlags=1, SeverityNumber=9, ResourceAttributes={},
        ScopeAttributes={}, LogAttributes=attributes, EventName=semconv.EVENT_INFERENCE_DETAILS,
        TraceId="ab" * 16, SpanId="cd" * 8,
    )  # fmt: skip
    unsampled = {**row, "TraceFlags": 0, "SpanId": "ef" * 8}
    client.insert(
        f"`{database}`.otel_logs",
        [list(row.values()), list(unsampled.values())],
        column_names=list(LOG_COLUMN_NAMES),
    )
    assert [c["SpanId"] for c in _calls(store)] == ["ef" * 8]
