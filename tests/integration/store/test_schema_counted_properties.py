"""Property: however a request's spans nest and however they are split across inserts, every read
counts each request once, and the row that counts is ours if there is one, else the innermost
foreign span that carries usage.

Each generated request is a chain of nested spans (outermost first), each otel-llm's or another
instrumentation's, linked to its parent by span id (same trace) or, as OpenLLMetry's LangChain span
is, only by time and usage (another trace). Requests differ in their token counts and do not
overlap in time, so no two of them can be taken for one.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otel_llm import semconv
from otel_llm.query import ClickHouseSource, calls_by, usage_by
from otel_llm.query.counted import calls_source
from tests.fixtures import foreign_spans
from tests.fixtures.store import Store
from tests.integration.store.test_schema_counted import export

AT = (datetime.now(timezone.utc) - timedelta(hours=1)).replace(minute=30, second=0, microsecond=0, tzinfo=None)
SINCE, UNTIL = AT - timedelta(hours=2), AT + timedelta(hours=2)
OURS = "otel_llm.instrumentation.openai"

# A level: (ours, linked to its parent by span id); the innermost may lack usage.
levels = st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=3).filter(
    lambda chain: sum(ours for ours, _ in chain) <= 1)  # otel-llm never nests a usage span in its own
requests = st.lists(st.tuples(levels, st.booleans()), min_size=1, max_size=3)


def _chain(index: int, chain: list[tuple[bool, bool]], inner_usage: bool) -> tuple[list[dict[str, Any]], str]:
    """The request's span rows and the span id of the one that must count."""
    template = foreign_spans.recorded("openllmetry_langchain_over_openllmetry_openai")[0]
    start = index * 600_000_000_000  # ten minutes apart
    rows: list[dict[str, Any]] = []
    trace = uuid.uuid4().hex
    for depth, (ours, linked) in enumerate(chain):
        usage = depth < len(chain) - 1 or inner_usage or ours
        if not usage and not linked:  # a span without usage is only known to be the same request by its link
            linked = True
        if depth and not linked:
            trace = uuid.uuid4().hex
        attributes = {**template["attributes"], semconv.GEN_AI_USAGE_INPUT_TOKENS: 1000 + index if usage else 0,
                      semconv.GEN_AI_USAGE_OUTPUT_TOKENS: 50 if usage else 0,
                      semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: 24 if usage else 0}
        rows.append({**template, "attributes": attributes, "trace_id": trace, "span_id": uuid.uuid4().hex[:16],
                     "parent_span_id": rows[-1]["span_id"] if depth and linked else "",
                     "scope": OURS if ours else f"foreign.depth{depth}",
                     "start_unix_nano": start + depth * 1_000_000, "duration_ns": 500_000_000 - depth * 2_000_000})
    ours_rows = [r for r in rows if r["scope"] == OURS]
    with_usage = [r for r in rows if r["attributes"][semconv.GEN_AI_USAGE_INPUT_TOKENS]]
    return rows, (ours_rows or with_usage or rows)[-1]["span_id"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(requests, st.randoms(use_true_random=False), st.integers(1, 3))
def test_each_request_counts_once_whatever_the_nesting_and_inserts(
    store: Store, store_dsn: str, generated: list, random: Any, inserts: int
) -> None:
    service = f"prop-{uuid.uuid4().hex[:8]}"
    rows, survivors = [], []
    for index, (chain, inner_usage) in enumerate(generated):
        chain_rows, survivor = _chain(index, chain, inner_usage)
        rows += chain_rows
        survivors.append(survivor)
    spans = foreign_spans.build(rows, at=AT, service=service)
    random.shuffle(spans)
    export(store, store_dsn, [spans[i::inserts] for i in range(inserts) if spans[i::inserts]])

    source = ClickHouseSource(store.client)
    params = {"since": SINCE, "until": UNTIL, "service": service}
    kept = source.query(f"SELECT SpanId FROM {calls_source(store.database, True)} AS c"
                        " WHERE ServiceName = {service:String}", params).rows
    assert sorted(r[0] for r in kept) == sorted(survivors)
    calls = usage_by(source, store.database, (), SINCE, UNTIL, service=service, metrics=("calls",)).rows
    assert calls == [(len(generated),)]
    assert calls_by(source, store.database, (), SINCE, UNTIL, service=service).rows == [(len(generated),)]
