"""Foreign spans sampled elsewhere stand for several calls; otel-llm's own are exact.

A foreign span whose tracestate carries OpenTelemetry's probability-sampling threshold
(``ot=th:<hex>``) counts 2^56 / (2^56 - T) calls; one with a "1 in N" ``SampleRate`` or
``sampling.rate`` attribute counts N; ``llm_calls`` stores that AdjustedCount and flags the row
Estimated, and the rollups and every read sum calls, tokens and cost weighted by it. Real spans
(recorded OpenLLMetry and otel-llm spans, tests/fixtures/foreign_spans) through our exporter.
"""

from __future__ import annotations

import copy
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otel_llm import semconv
from otel_llm.query import ClickHouseSource, calls_by, usage_by
from otel_llm.schema import migrate
from tests.fixtures import foreign_spans
from tests.fixtures.store import Store
from tests.integration.store.test_schema_counted import export

AT = (datetime.now(timezone.utc) - timedelta(hours=1)).replace(minute=10, second=0, microsecond=0, tzinfo=None)
SINCE, UNTIL = AT - timedelta(hours=2), AT + timedelta(hours=2)
MAX = 2**56


def _foreign(trace_state: str = "", **attributes: Any) -> dict[str, Any]:
    """OpenLLMetry's LangChain span of one request (1200 input, 80 output tokens), fresh ids."""
    (row,) = foreign_spans.recorded("openllmetry_langchain_over_openllmetry_openai")
    return _fresh(row, trace_state, attributes)


def _ours(trace_state: str = "", **attributes: Any) -> dict[str, Any]:
    row = next(r for r in foreign_spans.recorded("openllmetry_langchain_over_ours")
               if r["scope"].startswith(foreign_spans.OURS_PREFIX))
    return _fresh(row, trace_state, attributes)


def _fresh(row: dict[str, Any], trace_state: str, attributes: dict[str, Any]) -> dict[str, Any]:
    row = copy.deepcopy(row)
    ids = uuid.uuid4().hex
    row.update(trace_id=ids, span_id=ids[:16], parent_span_id="", trace_state=trace_state)
    row["attributes"].update(attributes)
    return row


def _rows(store: Store, service: str) -> list[tuple]:
    return store.client.query(
        f"SELECT SpanId, AdjustedCount, Estimated, InputTokens, CostUSD FROM `{store.database}`.llm_calls"
        " WHERE ServiceName = {s:String}", parameters={"s": service}).result_rows


def test_adjusted_counts_weight_every_read_and_flag_the_rows(store: Store, store_dsn: str) -> None:
    rows = [
        _foreign("ot=th:c"),  # threshold 0xc0000000000000: probability 1/4
        _foreign(**{semconv.SAMPLE_RATE: 10}),
        _foreign(**{semconv.SAMPLING_RATE: 2}),
        _foreign("ot=th:c", **{semconv.SAMPLE_RATE: 10}),  # the threshold wins
        _foreign(**{semconv.SAMPLE_RATE: "0.5"}),  # not "1 in N": exact
        _ours("ot=th:c"),  # ours is exact whatever the trace's sampling: its unsampled calls have events
    ]
    expected = {r["span_id"]: n for r, n in zip(rows, [4, 10, 2, 4, 1, 1], strict=True)}
    for i, row in enumerate(rows):  # one minute apart: one span never contains another
        row["start_unix_nano"] += i * 60_000_000_000
    export(store, store_dsn, [foreign_spans.build(rows, at=AT, service="adjusted")])

    stored = _rows(store, "adjusted")
    assert {span: (count, estimated) for span, count, estimated, _, _ in stored} == {
        span: (float(n), int(n != 1)) for span, n in expected.items()}
    calls = sum(expected.values())
    tokens = sum(n * t for (_, n, _, t, _) in stored)
    cost = sum((c or Decimal(0)) * Decimal(n) for (_, n, _, _, c) in stored)
    assert calls == 22 and tokens == 22 * 1200

    source = ClickHouseSource(store.client)
    for group in ((), ("user",)):
        report = usage_by(source, store.database, group, SINCE, UNTIL,
                          metrics=("calls", "input_tokens", "priced_cost_usd", "unpriced_calls"))
        assert [tuple(r[len(group):]) for r in report.rows] == [
            (calls, tokens, cost, sum(n for (_, n, _, _, c) in stored if c is None))]
    single = calls_by(source, store.database, (), SINCE, UNTIL, metrics=("calls", "priced_cost_usd"))
    assert single.rows == [(calls, cost)]
    estimated = store.client.query(f"SELECT sum(EstimatedCalls) FROM `{store.database}`.llm_usage_hourly")
    assert estimated.result_rows == [(4 + 10 + 2 + 4,)]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text("0123456789abcdefABCDEF", min_size=1, max_size=16), min_size=1, max_size=8))
def test_a_threshold_gives_the_spec_adjusted_count(store: Store, store_dsn: str, thresholds: list[str]) -> None:
    service = f"th-{uuid.uuid4().hex[:8]}"
    rows = [_foreign(f"vendor=1,ot=rv:ab;th:{th}") for th in thresholds]
    for i, row in enumerate(rows):
        row["start_unix_nano"] += i * 60_000_000_000
    export(store, store_dsn, [foreign_spans.build(rows, at=AT, service=service)])

    def expected(th: str) -> float:
        if len(th) > 14 or th != th.lower():  # not a threshold the spec defines: exact
            return 1.0
        return min(MAX / (MAX - int(th.ljust(14, "0"), 16)), 1e6)

    got = {span: count for span, count, *_ in _rows(store, service)}
    for row, th in zip(rows, thresholds, strict=True):
        assert abs(got[row["span_id"]] - expected(th)) <= 1e-12 * expected(th)


def test_a_span_the_nesting_rule_marked_is_no_call(store: Store, store_dsn: str) -> None:
    marked = _foreign(**{semconv.OTEL_LLM_USAGE_CARRIED_ELSEWHERE: True})
    kept = _ours()
    kept["start_unix_nano"] += 60_000_000_000
    export(store, store_dsn, [foreign_spans.build([marked, kept], at=AT, service="marked")])
    assert [span for span, *_ in _rows(store, "marked")] == [kept["span_id"]]


def test_a_version_8_store_upgrades_and_its_doubled_request_counts_once(store_client, store_dsn: str) -> None:
    database = f"test_{uuid.uuid4().hex[:12]}"
    store = Store(store_client, database)
    try:
        assert migrate(store_client, database, to_version=8) == list(range(1, 9))
        old = foreign_spans.build(foreign_spans.recorded("openai_v2_child_of_ours"), at=AT - timedelta(minutes=30))
        export(store, store_dsn, [old], create_schema=False)  # as a version 8 release wrote it
        totals = f"SELECT sum(Calls), sum(InputTokens) FROM `{database}`.llm_usage_hourly"
        assert store_client.query(totals).result_rows == [(2, 2400)]  # version 8 counted both projects' spans

        assert migrate(store_client, database) == [9, 10]
        source = ClickHouseSource(store_client)
        # Rows stored before have no ParentSpanId; ours and the official span of one trace, one inside
        # the other with the same usage, are still one request to the reads (the rollup keeps both).
        assert usage_by(source, database, (), SINCE, UNTIL, metrics=("calls", "input_tokens")).rows == [(1, 1200)]
        assert store_client.query(totals).result_rows == [(2, 2400)]

        pair = foreign_spans.recorded("openai_v2_child_of_ours")
        trace = uuid.uuid4().hex  # another request than the one stored before
        new = [_foreign("ot=th:8")] + [{**row, "trace_id": trace} for row in pair]
        export(store, store_dsn, [foreign_spans.build(new, at=AT)])
        after = usage_by(source, database, (), SINCE, UNTIL, metrics=("calls", "input_tokens"))
        assert after.rows == [(1 + 2 + 1, 1200 * 4)]  # new: 2 (sampled at 1/2) + 1 (the pair, resolved)
        assert migrate(store_client, database) == []
    finally:
        store_client.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")
