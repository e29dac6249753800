"""The exporter against the real engine (chdb): rows as the contrib exporter writes them, exactly once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY, get_value
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags, set_span_in_context
from opentelemetry.trace.span import TraceState

from otel_llm import semconv
from otel_llm.exporter import ClickHouseSpanExporter, ExporterConfig, Sink, open_sink
from otel_llm.exporter.table import TraceColumns, spans_to_columns
from tests.fixtures.store import Store

ALL_TYPES = {
    "s": 'text <&> "quoted"',
    "b": False,
    "i": -12,
    "f": 0.000015,
    "ss": ["a", "b"],
    "bs": [True, False],
    "is": [1, 2],
    "fs": [0.5, 1e21],
}


@pytest.fixture
def make_exporter(store: Store, store_dsn: str) -> Iterator[Any]:
    made: list[ClickHouseSpanExporter] = []

    def make(**kwargs: Any) -> ClickHouseSpanExporter:
        kwargs.setdefault("endpoint", store_dsn)
        kwargs.setdefault("database", store.database)
        exporter = ClickHouseSpanExporter(**kwargs)
        made.append(exporter)
        return exporter

    yield make
    for exporter in made:
        exporter.shutdown(timeout_millis=5_000)


def _finished_spans(count: int = 1, **attributes: Any) -> list[ReadableSpan]:
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "svc", "deployment.environment.name": "prod"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("t")
    for index in range(count):
        with tracer.start_as_current_span("op", attributes={**attributes, "index": index}):
            pass
    return list(memory.get_finished_spans())


def _rows(store: Store, columns: str, where: str = "1") -> list[tuple[Any, ...]]:
    client, database = store
    return client.query(f"SELECT {columns} FROM `{database}`.otel_traces WHERE {where} ORDER BY Timestamp").result_rows


def _count(store: Store, table: str = "otel_traces") -> int:
    client, database = store
    return int(client.command(f"SELECT count() FROM `{database}`.`{table}`"))


def test_round_trip_keeps_every_column_and_attribute_type(store: Store, make_exporter: Any) -> None:
    exporter = make_exporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "checkout", "replicas": 3}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("otel_llm.test", "0.9")
    linked = SpanContext(
        0xABC, 0xDEF, is_remote=True, trace_flags=TraceFlags(1), trace_state=TraceState([("vendor", "x")])
    )
    t0 = time.time_ns() // 10**9 * 10**9  # recent: older rows would fall to the table's TTL
    parent = tracer.start_span("parent", kind=SpanKind.SERVER, start_time=t0 + 123_456_789)
    child = tracer.start_span(
        "child",
        context=set_span_in_context(parent),
        kind=SpanKind.PRODUCER,
        attributes=ALL_TYPES,
        links=[Link(linked, {"n": 1})],
        start_time=t0 + 200_000_001,
    )
    child.add_event("tick", {"at": 1.5}, timestamp=t0 + 300_000_002)
    child.set_status(Status(StatusCode.OK))
    child.end(end_time=t0 + 400_000_003)
    parent.set_status(Status(StatusCode.ERROR, "failed"))
    parent.end(end_time=t0 + 1_123_456_789)
    assert exporter.force_flush(30_000)

    names = (
        "toUnixTimestamp64Nano(Timestamp), TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind, ServiceName, "
        "ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, Duration, StatusCode, StatusMessage, "
        "arrayMap(t -> toUnixTimestamp64Nano(t), Events.Timestamp), Events.Name, Events.Attributes, "
        "Links.TraceId, Links.SpanId, Links.TraceState, Links.Attributes"
    )
    parent_row, child_row = _rows(store, names)
    trace_id = format(parent.get_span_context().trace_id, "032x")
    parent_id = format(parent.get_span_context().span_id, "016x")
    assert parent_row[:8] == (t0 + 123_456_789, trace_id, parent_id, "", "", "parent", "Server", "checkout")
    assert parent_row[8]["replicas"] == "3" and parent_row[8]["service.name"] == "checkout"
    assert parent_row[12:15] == (1_000_000_000, "Error", "failed")
    assert child_row[:7] == (
        t0 + 200_000_001,
        trace_id,
        format(child.get_span_context().span_id, "016x"),
        parent_id,
        "",
        "child",
        "Producer",
    )
    assert child_row[9:11] == ("otel_llm.test", "0.9")
    assert child_row[11] == {
        "s": 'text <&> "quoted"',
        "b": "false",
        "i": "-12",
        "f": "0.000015",
        "ss": '["a","b"]',
        "bs": "[true,false]",
        "is": "[1,2]",
        "fs": "[0.5,1e+21]",
    }
    assert child_row[12:15] == (200_000_002, "Ok", "")
    assert child_row[15:18] == ([t0 + 300_000_002], ["tick"], [{"at": "1.5"}])
    assert child_row[18:] == ([format(0xABC, "032x")], [format(0xDEF, "016x")], ["vendor=x"], [{"n": "1"}])


def test_the_same_batch_written_twice_is_stored_once_in_every_table(store: Store, store_dsn: str) -> None:
    spans = _finished_spans(
        3,
        **{
            semconv.GEN_AI_PROVIDER_NAME: "openai",
            semconv.GEN_AI_OPERATION_NAME: "chat",
            semconv.GEN_AI_REQUEST_MODEL: "gpt-4o",
            semconv.GEN_AI_USAGE_INPUT_TOKENS: 100,
            semconv.GEN_AI_USAGE_OUTPUT_TOKENS: 10,
            semconv.OTEL_LLM_COST_USD: 0.001,
        },
    )
    sink = open_sink(
        ExporterConfig(
            endpoint=store_dsn,
            database=store.database,
            create_schema=False,
            ttl_days=None,
            max_buffered_spans=10,
            max_batch_spans=10,
            max_batch_age_s=1.0,
        )
    )
    try:
        columns = spans_to_columns(spans)
        sink.write(columns, columns.dedup_token())
        tables = ("otel_traces", "otel_traces_trace_id_ts", "llm_calls", "llm_usage_hourly", "llm_usage_daily_user")
        before = {table: _count(store, table) for table in tables}
        again = spans_to_columns(spans)  # rebuilt, as after a crash: same spans, same token
        sink.write(again, again.dedup_token())
        after = {table: _count(store, table) for table in tables}
        sink.write(again, "another token")  # the token is what ClickHouse dedups on
    finally:
        sink.close()
    assert after == before
    assert _count(store) == 6
    assert (before["otel_traces"], before["otel_traces_trace_id_ts"], before["llm_calls"]) == (3, 3, 3)
    assert before["llm_usage_hourly"] >= 1 and before["llm_usage_daily_user"] >= 1


def test_spans_exported_again_later_are_not_counted_twice(store: Store, make_exporter: Any) -> None:
    exporter = make_exporter()
    spans = _finished_spans(5)
    assert exporter.export(spans) is SpanExportResult.SUCCESS
    assert exporter.force_flush(30_000)
    assert exporter.export(spans) is SpanExportResult.SUCCESS
    assert exporter.force_flush(30_000)
    assert _count(store) == 5
    assert exporter.stats().written_spans == 10  # both inserts succeeded; ClickHouse kept one


def test_batch_span_processor_pipeline_lands_every_span_and_shutdown_flushes(store: Store, make_exporter: Any) -> None:
    exporter = make_exporter(max_batch_age_s=60.0)  # nothing leaves by age: shutdown must flush
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(exporter, max_export_batch_size=512))
    tracer = provider.get_tracer("t")
    for index in range(3_000):
        with tracer.start_as_current_span(f"op {index % 7}"):
            pass
    provider.shutdown()
    stats = exporter.stats()
    assert _count(store) == 3_000
    assert (stats.received_spans, stats.written_spans, stats.buffered_spans) == (3_000, 3_000, 0)
    assert stats.inserts < 3_000 / 512  # 512-span exports were regrouped into fewer, larger inserts


class _GatedSink:
    """A real writer behind a gate the test opens: shows what export() does while the store is slow."""

    def __init__(self, inner: Sink, gate: threading.Event, suppressed: list[object]) -> None:
        self.inner = inner
        self.gate = gate
        self.suppressed = suppressed

    def write(self, columns: TraceColumns, token: str) -> None:
        self.suppressed.append(get_value(_SUPPRESS_INSTRUMENTATION_KEY))
        self.gate.wait()
        self.inner.write(columns, token)

    def close(self) -> None:
        self.inner.close()


def test_export_returns_at_once_while_the_store_is_stuck_and_flush_honours_its_timeout(
    store: Store, make_exporter: Any
) -> None:
    gate, suppressed, opened = threading.Event(), [], []

    def factory(config: ExporterConfig) -> Sink:
        opened.append(config)
        return _GatedSink(open_sink(config), gate, suppressed)

    exporter = make_exporter(sink_factory=factory, max_batch_age_s=0.0)
    assert opened == []  # nothing is opened before the first spans
    assert exporter.export(_finished_spans(4)) is SpanExportResult.SUCCESS
    assert exporter.force_flush(timeout_millis=100) is False  # opening, then the insert held at the gate
    assert exporter.export(_finished_spans(2)) is SpanExportResult.SUCCESS  # still accepting
    gate.set()
    assert exporter.force_flush(timeout_millis=30_000) is True
    assert _count(store) == 6
    assert suppressed and all(flag is True for flag in suppressed)  # our inserts are never traced


def test_exported_llm_spans_show_up_priced_in_llm_calls(store: Store, make_exporter: Any) -> None:
    exporter = make_exporter()
    spans = _finished_spans(
        2,
        **{
            semconv.GEN_AI_PROVIDER_NAME: "openai",
            semconv.GEN_AI_OPERATION_NAME: "chat",
            semconv.GEN_AI_REQUEST_MODEL: "gpt-4o",
            semconv.GEN_AI_RESPONSE_MODEL: "gpt-4o-2024-08-06",
            semconv.GEN_AI_USAGE_INPUT_TOKENS: 1_200,
            semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: 1_000,
            semconv.GEN_AI_USAGE_OUTPUT_TOKENS: 300,
            semconv.OTEL_LLM_COST_USD: 0.0042,
            semconv.OTEL_LLM_FEATURE: "summaries",
            semconv.USER_ID: "acme",
        },
    )
    exporter.export(spans)
    assert exporter.force_flush(30_000)
    client, database = store
    rows = client.query(
        f"SELECT Provider, RequestModel, ResponseModel, Operation, Feature, UserId, Environment, InputTokens, "
        f"CacheReadTokens, OutputTokens, ReportedCostUSD, CacheHit FROM `{database}`.llm_calls"
    ).result_rows
    assert (
        rows
        == [
            (
                "openai",
                "gpt-4o",
                "gpt-4o-2024-08-06",
                "chat",
                "summaries",
                "acme",
                "prod",
                1_200,
                1_000,
                300,
                Decimal("0.0042"),
                True,
            )
        ]
        * 2
    )


class _SignallingSink:
    """The real writer, signalling each completed write, so a test can wait for one without sleeping."""

    def __init__(self, inner: Sink, written: threading.Event) -> None:
        self.inner = inner
        self.written = written

    def write(self, columns: TraceColumns, token: str) -> None:
        self.inner.write(columns, token)
        self.written.set()

    def close(self) -> None:
        self.inner.close()


def test_a_batch_leaves_by_age_alone_without_any_flush(store: Store, make_exporter: Any) -> None:
    written = threading.Event()
    exporter = make_exporter(
        sink_factory=lambda config: _SignallingSink(open_sink(config), written), max_batch_age_s=1.0
    )
    first, second = _finished_spans(3), _finished_spans(2)
    exporter.export(first)
    exporter.export(second)  # arrives while the first spans are still young: joins them
    assert written.wait(30)
    assert _count(store) == 5
    assert exporter.stats().inserts == 1


def test_a_lone_surrogate_costs_one_value_not_the_batch(store: Store, make_exporter: Any) -> None:
    exporter = make_exporter()
    good = _finished_spans(4)
    bad = _finished_spans(1, broken="x\ud800y")  # what invalid UTF-8 decoded with surrogateescape looks like
    exporter.export(good + bad)
    assert exporter.force_flush(30_000)
    assert _count(store) == 5
    assert _rows(store, "SpanAttributes['broken']", "SpanAttributes['broken'] != ''") == [("x\ufffdy",)]
