"""``otel-llm advise`` counts a provider request once, and a span sampled elsewhere as the calls it
stands for, as every other read does (``otel_llm.query.counted``).

Real spans of other projects next to ours (tests/fixtures/foreign_spans: the official openai-v2
instrumentation's span around ours for one request; OpenLLMetry's LangChain span alone), copied to
the nights a job would run, through our exporter into chdb. Each dollar is held to a hand
computation at the price book's prices: the request is 1,200 input tokens (1,024 of them read
from the cache) and 80 output tokens of gpt-4o-mini.
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from otel_llm import semconv
from otel_llm.advise import Advice, Thresholds, advise
from otel_llm.pricing import default_price_book
from tests.fixtures import foreign_spans
from tests.fixtures.store import Store
from tests.integration.store.test_schema_counted import GuardedSource, export

MINI = default_price_book().lookup("gpt-4o-mini-2024-07-18", "openai")
UNCACHED, CACHED, OUTPUT = 1200 - 1024, 1024, 80
COST = UNCACHED * MINI.input + CACHED * MINI.cache_read + OUTPUT * MINI.output  # one request
BATCH_SAVING = UNCACHED * (MINI.input - MINI.batch_input) + OUTPUT * (MINI.output - MINI.batch_output)
UNTIL = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, minute=0, second=0, microsecond=0)
SINCE = UNTIL - dt.timedelta(days=30)  # the monthly scale is exactly 1


def _night(day: int, hour: int) -> dt.datetime:
    return (UNTIL - dt.timedelta(days=day)).replace(hour=hour)


def _copy(rows: list[dict[str, Any]], **attributes: Any) -> list[dict[str, Any]]:
    """The scenario's spans under a new trace, span ids renewed and parent links kept; ``attributes``
    added to otel-llm's span (or, in a scenario without one, to every span)."""
    rows = copy.deepcopy(rows)
    trace = uuid.uuid4().hex
    ids = {row["span_id"]: uuid.uuid4().hex[:16] for row in rows}
    ours = [row for row in rows if row["scope"].startswith(foreign_spans.OURS_PREFIX)]
    for row in rows:
        row.update(trace_id=trace, span_id=ids[row["span_id"]], parent_span_id=ids.get(row["parent_span_id"], ""))
    for row in ours or rows:
        row["attributes"].update(attributes)
    return rows


def _advise(store: Store) -> Advice:
    """Every query also passes the collector SQL endpoint's guard (``advise --collector`` sends the same)."""
    return advise(GuardedSource(store.client), store.database, SINCE, UNTIL, thresholds=Thresholds(retry_seconds=0))


def test_a_request_traced_by_two_projects_is_one_call_of_advise(store: Store, store_dsn: str) -> None:
    # A tagger job every night at 02:00 for six nights; each request traced by openai-v2 and by us.
    pair = foreign_spans.recorded("openai_v2_parent_of_ours")
    nights = [foreign_spans.build(_copy(pair, **{semconv.OTEL_LLM_FEATURE: "tagger"}), at=_night(day, 2))
              for day in range(1, 7)]
    export(store, store_dsn, nights)
    stored = store.client.query(f"SELECT count() FROM `{store.database}`.llm_calls").result_rows[0][0]
    assert stored == 12  # two rows a request; advise counts one

    advice = _advise(store)
    assert (advice.calls, advice.spend_usd, advice.unpriced_calls) == (6, 6 * COST, 0)
    batch = [f for f in advice.findings if f.kind == "batch_api"]
    assert [(f.feature, f.evidence["calls"], f.evidence["schedule"]) for f in batch] == [
        ("tagger", 6, "daily at 02h UTC")]
    assert batch[0].saving_usd == 6 * BATCH_SAVING
    (repeats,) = [f for f in advice.findings if f.kind == "repeated_requests"]
    assert (repeats.feature, repeats.evidence["repeats"], repeats.saving_usd) == ("tagger", 5, 5 * COST)
    assert {f.kind for f in advice.findings} == {"batch_api", "repeated_requests"}


def test_a_span_sampled_elsewhere_counts_as_the_calls_it_stands_for(store: Store, store_dsn: str) -> None:
    # A digest job every night at 03:00, traced only by OpenLLMetry and sampled 1 in 10 there: five
    # spans stand for 50 calls; one with a failure sampled 1 in 4 (usage reported: billed).
    (alone,) = foreign_spans.recorded("openllmetry_langchain_over_openllmetry_openai")
    nights = [_copy([alone], **{semconv.SAMPLE_RATE: 10})[0] for _ in range(5)]
    for day, row in enumerate(nights, start=1):
        row["start_unix_nano"] = int(_night(day, 3).replace(tzinfo=dt.timezone.utc).timestamp()) * 10**9
    failed = _copy([alone], **{semconv.SAMPLE_RATE: 4, semconv.ERROR_TYPE: "timeout"})[0]
    failed.update(status="ERROR", start_unix_nano=nights[0]["start_unix_nano"] + 600 * 10**9)
    spans = foreign_spans.build([*nights, failed], at=_night(5, 3), service="digest")
    export(store, store_dsn, [spans])

    advice = _advise(store)
    assert (advice.calls, advice.spend_usd) == (54, 54 * COST)
    (batch,) = [f for f in advice.findings if f.kind == "batch_api"]
    assert (batch.evidence["calls"], batch.evidence["schedule"]) == (54, "daily at 03h UTC")
    assert batch.saving_usd == 54 * BATCH_SAVING
    (failures,) = [f for f in advice.findings if f.kind == "failed_calls"]
    assert (failures.evidence["errors"], failures.evidence["billed_calls"], failures.saving_usd) == (4, 4, 4 * COST)
    assert Decimal(advice.to_dict()["spend_usd_per_month"]) == 54 * COST
