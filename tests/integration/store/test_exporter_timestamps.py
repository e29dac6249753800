"""Times ClickHouse's DateTime64(9) cannot hold: one such span must not cost the others of its block."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from otel_llm.exporter import ClickHouseSpanExporter
from otel_llm.exporter._rows import TIMESTAMP_MAX_NS, TIMESTAMP_MIN_NS, TraceColumns
from tests.fixtures.store import Store

_NO_LINKS: tuple[list[str], list[str], list[str], list[dict[str, str]]] = ([], [], [], [])


@pytest.fixture
def exporter(store: Store, store_dsn: str) -> Iterator[ClickHouseSpanExporter]:
    made = ClickHouseSpanExporter(endpoint=store_dsn, database=store.database)
    yield made
    made.shutdown(timeout_millis=5_000)


def test_impossible_span_and_event_times_are_stored_clamped_with_their_batch(
    store: Store, exporter: ClickHouseSpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    """Before: clickhouse-connect refused the whole batch (``value out of range``), the app's good
    spans with it. After: every span is stored, the impossible times at the nearest end of the range."""
    provider = TracerProvider(resource=Resource.create({"service.name": "clock-bug"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("t")
    with tracer.start_as_current_span("good before"):
        pass
    tracer.start_span("far future", start_time=1 << 63).end(end_time=(1 << 63) + 5)
    tracer.start_span("before 1900", start_time=-(1 << 62)).end(end_time=-(1 << 62) + 7)
    with tracer.start_as_current_span("bad event") as span:
        span.add_event("never", timestamp=(1 << 64) - 1)
    with tracer.start_as_current_span("good after"):
        pass
    with caplog.at_level(logging.WARNING, logger="otel_llm.exporter"):
        assert exporter.force_flush(30_000)

    client, database = store
    rows = dict(
        client.query(
            f"SELECT SpanName, (toUnixTimestamp64Nano(Timestamp), Duration, "
            f"arrayMap(t -> toUnixTimestamp64Nano(t), Events.Timestamp)) FROM `{database}`.otel_traces"
        ).result_rows
    )
    assert set(rows) == {"good before", "far future", "before 1900", "bad event", "good after"}
    assert rows["far future"] == (TIMESTAMP_MAX_NS, 5, [])  # the duration is the sender's own
    assert rows["before 1900"] == (TIMESTAMP_MIN_NS, 7, [])
    assert rows["bad event"][2] == [TIMESTAMP_MAX_NS]
    assert exporter.stats().written_spans == 5
    warnings = [r.getMessage() for r in caplog.records if "outside 1900-01-01..2262-04-11" in r.getMessage()]
    assert len(warnings) == 1 and "clock-bug" in warnings[0], caplog.text


def test_clamp_reports_each_changed_row_once_and_leaves_good_rows_alone() -> None:
    columns = TraceColumns()
    times = [5, 1 << 63, 7, -(1 << 63), 9]
    events = [[], [], [(1 << 64) - 1, 3], [], [4]]
    durations = [1, 2, 3, 4, 1 << 70]
    for start, stamps, duration in zip(times, events, durations, strict=True):
        columns.add_row(
            start, "a" * 32, "b" * 16, "", "", "n", "Client", "s", {}, "", "", {}, duration, "Unset", "",
            (stamps, ["e"] * len(stamps), [{}] * len(stamps)), _NO_LINKS,
        )  # fmt: skip
    assert columns.clamp_timestamps() == [1, 2, 3, 4]
    assert columns.columns[0] == [5, TIMESTAMP_MAX_NS, 7, TIMESTAMP_MIN_NS, 9]
    assert columns.columns[15] == [[], [], [TIMESTAMP_MAX_NS, 3], [], [4]]
    assert columns.columns[12] == [1, 2, 3, 4, (1 << 64) - 1]
    assert columns.clamp_timestamps() == []
