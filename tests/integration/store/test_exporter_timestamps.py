"""Times no row can carry: one such span must neither cost the others of its block nor vanish."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from otel_llm.exporter import ClickHouseSpanExporter, _writer
from otel_llm.exporter._rows import TIMESTAMP_MAX_NS, TraceColumns
from otel_llm.exporter.table import TraceWriter
from otel_llm.log_interval import IntervalLog
from tests.fixtures.store import Store

_NO_LINKS: tuple[list[str], list[str], list[str], list[dict[str, str]]] = ([], [], [], [])


@pytest.fixture
def exporter(store: Store, store_dsn: str) -> Iterator[ClickHouseSpanExporter]:
    made = ClickHouseSpanExporter(endpoint=store_dsn, database=store.database)
    yield made
    made.shutdown(timeout_millis=5_000)


def test_impossible_span_and_event_times_are_stored_at_the_write_time_with_their_batch(
    store: Store, exporter: ClickHouseSpanExporter, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: clickhouse-connect refused the whole batch (``value out of range``), the app's good
    spans with it; a time between 2106 and 2262, or before 1970, was stored and expired at once by
    the table's TTL (its ``toDateTime`` wraps), silently. After: every span is stored, findable."""
    # A fresh once-a-minute log: an earlier test of this process may have used the minute.
    monkeypatch.setattr(
        _writer, "_impossible_time_log", IntervalLog(logging.getLogger("otel_llm.exporter"), logging.WARNING)
    )
    provider = TracerProvider(resource=Resource.create({"service.name": "clock-bug"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("t")
    before = time.time_ns()
    with tracer.start_as_current_span("good before"):
        pass
    tracer.start_span("past Int64", start_time=1 << 63).end(end_time=(1 << 63) + 5)
    tracer.start_span("in 2200", start_time=7_258_118_400 * 10**9).end(end_time=7_258_118_400 * 10**9 + 6)
    tracer.start_span("before 1970", start_time=-(10**18)).end(end_time=-(10**18) + 7)
    with tracer.start_as_current_span("bad event") as span:
        span.add_event("never", timestamp=(1 << 64) - 1)
    with tracer.start_as_current_span("good after"):
        pass
    with caplog.at_level(logging.WARNING, logger="otel_llm.exporter"):
        assert exporter.force_flush(30_000)
    after = time.time_ns()

    client, database = store
    rows = dict(
        client.query(
            f"SELECT SpanName, (toUnixTimestamp64Nano(Timestamp), Duration, "
            f"arrayMap(t -> toUnixTimestamp64Nano(t), Events.Timestamp)) FROM `{database}`.otel_traces"
        ).result_rows
    )
    assert set(rows) == {"good before", "past Int64", "in 2200", "before 1970", "bad event", "good after"}
    for name, duration in (("past Int64", 5), ("in 2200", 6), ("before 1970", 7)):
        stamp, stored_duration, _events = rows[name]
        assert before <= stamp <= after and stored_duration == duration  # the duration is the sender's own
    start, _duration, events = rows["bad event"]
    assert before <= start <= after and events == [start]
    assert exporter.stats().written_spans == 6
    warnings = [r.getMessage() for r in caplog.records if "outside 1970..2106" in r.getMessage()]
    assert len(warnings) == 1 and "clock-bug" in warnings[0], caplog.text


def test_fix_times_reports_each_changed_row_once_and_leaves_good_rows_alone() -> None:
    columns = TraceColumns()
    times = [5, 1 << 63, 7, -1, TIMESTAMP_MAX_NS]
    events = [[], [], [(1 << 64) - 1, 3], [], [4]]
    durations = [1, 2, 3, 4, 1 << 70]
    for start, stamps, duration in zip(times, events, durations, strict=True):
        columns.add_row(
            start, "a" * 32, "b" * 16, "", "", "n", "Client", "s", {}, "", "", {}, duration, "Unset", "",
            (stamps, ["e"] * len(stamps), [{}] * len(stamps)), _NO_LINKS,
        )  # fmt: skip
    assert columns.fix_times(now_ns=1000) == [1, 2, 3, 4]
    assert columns.columns[0] == [5, 1000, 7, 1000, TIMESTAMP_MAX_NS]
    assert columns.columns[15] == [[], [], [7, 3], [], [4]]  # an event takes its span's time
    assert columns.columns[12] == [1, 2, 3, 4, (1 << 64) - 1]
    assert columns.fix_times(now_ns=2000) == []


_NOW = time.time_ns()
_DAY = 86_400 * 10**9
_IMPOSSIBLE = st.one_of(
    st.integers(-(1 << 70), -1),
    st.integers(TIMESTAMP_MAX_NS + 1, 1 << 70),
    st.sampled_from([-1, (1 << 63) - 1, 1 << 63, (1 << 64) - 1, TIMESTAMP_MAX_NS + 1]),
)
# Span times: recent ones (an old one is the table's TTL's to expire) or impossible ones.
_SPAN_TIME = st.one_of(st.integers(_NOW - 10 * _DAY, _NOW + 10 * _DAY), _IMPOSSIBLE)
_ANY_TIME = st.one_of(st.integers(-(1 << 70), 1 << 70), _IMPOSSIBLE, st.just(0), st.just(TIMESTAMP_MAX_NS))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(_SPAN_TIME, st.lists(_ANY_TIME, max_size=3), _ANY_TIME), min_size=1, max_size=8))
def test_any_times_at_all_are_stored_and_a_good_time_is_kept(store: Store, rows: list[Any]) -> None:
    """Hostile times (hypothesis, into the real engine): the block is always stored whole, a time
    a row can carry is kept as sent, and nothing lands outside 1970..2106 (any duration too)."""
    client, database = store
    columns = TraceColumns()
    for index, (start, events, duration) in enumerate(rows):
        columns.add_row(
            start, f"{index:032x}", f"{index:016x}", "", "", f"h{index}", "Client", "hostile-times", {}, "", "", {},
            duration, "Unset", "", (list(events), ["e"] * len(events), [{}] * len(events)), _NO_LINKS,
        )  # fmt: skip
    token = f"hypothesis-{uuid.uuid4().hex}"
    TraceWriter(client, database).write(columns, token)
    stored = dict(
        client.query(
            f"SELECT SpanName, (toUnixTimestamp64Nano(Timestamp), arrayMap(t -> toUnixTimestamp64Nano(t), "
            f"Events.Timestamp)) FROM `{database}`.otel_traces WHERE ServiceName = 'hostile-times' "
            f"AND SpanId IN {{ids:Array(String)}}",
            parameters={"ids": [f"{index:016x}" for index in range(len(rows))]},
        ).result_rows
    )
    client.command(f"TRUNCATE TABLE `{database}`.otel_traces")
    assert len(stored) == len(rows)
    for index, (start, events, _duration) in enumerate(rows):
        stamp, event_stamps = stored[f"h{index}"]
        assert 0 <= stamp <= TIMESTAMP_MAX_NS
        if 0 <= start <= TIMESTAMP_MAX_NS:
            assert stamp == start
        assert [e for e in events if 0 <= e <= TIMESTAMP_MAX_NS] == [
            s for s, e in zip(event_stamps, events, strict=True) if 0 <= e <= TIMESTAMP_MAX_NS
        ]
