"""One provider request, one call: real spans of other projects next to ours, through our exporter.

The spans are what the official instrumentations (openai-v2, google-genai, botocore) and OpenLLMetry
(langchain, openai) emitted for one request against the fake provider, nested both ways
(tests/fixtures/foreign_spans). Each scenario is exported in one batch, or span by span in either
order (so the views see the request's spans in different inserts), and every read must count the
request once, with the surviving row's tokens and cost: the report's rollups, single-call reads,
top's costliest calls.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan

from otel_llm.exporter import ClickHouseSpanExporter
from otel_llm.query import ClickHouseSource, calls_by, costliest_calls, usage_by
from otel_llm.query.counted import calls_source
from otel_llm.query.guard import check_query
from tests.fixtures import foreign_spans
from tests.fixtures.store import Store

AT = (datetime.now(timezone.utc) - timedelta(hours=1)).replace(minute=20, second=0, microsecond=0, tzinfo=None)
SINCE, UNTIL = AT - timedelta(hours=2), AT + timedelta(hours=2)
OFFICIAL_OPENAI = "opentelemetry.util.genai.handler"
# The row that counts: ours whenever ours is there; else the innermost foreign span with usage.
SURVIVOR = {
    "openai_v2_parent_of_ours": "otel_llm.instrumentation.openai",
    "openai_v2_child_of_ours": "otel_llm.instrumentation.openai",
    "openllmetry_openai_parent_of_ours": "otel_llm.instrumentation.openai",
    "openllmetry_langchain_over_ours": "otel_llm.instrumentation.openai",
    "openllmetry_langchain_over_openai_v2": OFFICIAL_OPENAI,
    "openllmetry_langchain_over_openllmetry_openai": "opentelemetry.instrumentation.langchain",
    "google_genai_ours_applied_first": "otel_llm.instrumentation.google_genai",
    "google_genai_official_applied_first": "otel_llm.instrumentation.google_genai",
    "botocore_parent_of_ours": "otel_llm.instrumentation.bedrock",
    "botocore_child_of_ours": "otel_llm.instrumentation.bedrock",
}


class GuardedSource(ClickHouseSource):
    """Every query must also pass the collector SQL endpoint's guard, which serves the same reads."""

    def query(self, sql: str, parameters: Any = None, *, readonly: bool = False) -> Any:
        check_query(self.client, sql)
        return super().query(sql, parameters, readonly=True)


def export(store: Store, store_dsn: str, batches: list[list[ReadableSpan]], *, create_schema: bool = True) -> None:
    """Each batch is one export, flushed, so one insert into otel_traces."""
    exporter = ClickHouseSpanExporter(endpoint=store_dsn, database=store.database, create_schema=create_schema)
    try:
        for batch in batches:
            exporter.export(batch)
            assert exporter.force_flush(30_000)
    finally:
        exporter.shutdown(timeout_millis=5_000)


def _batches(spans: list[ReadableSpan], split: str) -> list[list[ReadableSpan]]:
    if split == "one_insert":
        return [spans]
    ordered = spans if split == "as_finished" else list(reversed(spans))
    return [[s] for s in ordered]


def test_every_recorded_scenario_has_a_survivor() -> None:
    assert sorted(SURVIVOR) == foreign_spans.SCENARIOS


@pytest.mark.parametrize("split", ["one_insert", "as_finished", "reversed"])
@pytest.mark.parametrize("scenario", sorted(SURVIVOR))
def test_a_request_traced_by_two_projects_is_one_call_in_every_read(
    store: Store, store_dsn: str, scenario: str, split: str
) -> None:
    export(store, store_dsn, _batches(foreign_spans.spans(scenario, at=AT), split))
    client, database = store
    source = GuardedSource(client)
    stored = client.query(f"SELECT count() FROM `{database}`.llm_calls").result_rows[0][0]
    assert stored == len(foreign_spans.recorded(scenario))  # every span with a model is a row ...

    kept = source.query(  # ... and the reads keep one of them
        f"SELECT Instrumentation, InputTokens, OutputTokens, CacheReadTokens, CostUSD FROM"
        f" {calls_source(database, True)} AS c",
        {"since": SINCE, "until": UNTIL},
    ).rows
    assert [row[0] for row in kept] == [SURVIVOR[scenario]]
    _, input_tokens, output_tokens, cache_read, cost = kept[0]

    report = usage_by(source, database, (), SINCE, UNTIL,
                      metrics=("calls", "input_tokens", "output_tokens", "cache_read_tokens", "priced_cost_usd"))
    assert report.rows == [(1, input_tokens, output_tokens, cache_read, cost or Decimal(0))]
    by_user = usage_by(source, database, ("user",), SINCE, UNTIL, metrics=("calls", "input_tokens"))
    assert [tuple(r[1:]) for r in by_user.rows] == [(1, input_tokens)]
    single = calls_by(source, database, (), SINCE, UNTIL, metrics=("calls", "tokens", "priced_cost_usd"))
    assert single.rows == [(1, input_tokens + output_tokens, cost or Decimal(0))]
    assert len(costliest_calls(source, database, SINCE, UNTIL, 10).rows) == 1


def test_calls_without_a_partner_all_count_next_to_a_resolved_pair(store: Store, store_dsn: str) -> None:
    pair = foreign_spans.spans("openllmetry_langchain_over_openai_v2", at=AT)
    alone = foreign_spans.spans("openllmetry_langchain_over_openllmetry_openai", at=AT + timedelta(minutes=5))
    ours = [s for s in foreign_spans.spans("openai_v2_parent_of_ours", at=AT + timedelta(minutes=9))
            if s.instrumentation_scope.name.startswith(foreign_spans.OURS_PREFIX)]
    export(store, store_dsn, [pair, alone, ours])
    source = ClickHouseSource(store.client)
    totals = usage_by(source, store.database, (), SINCE, UNTIL, metrics=("calls", "input_tokens"))
    assert totals.rows == [(3, 3 * 1200)]
    assert calls_by(source, store.database, (), SINCE, UNTIL).rows == [(3,)]
