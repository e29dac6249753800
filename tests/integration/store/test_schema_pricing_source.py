"""Schema version 6: llm_calls says where each price came from, and impossible usage is unpriced.

Real chdb engine; spans inserted in the otel_traces layout as the exporter and collector write them.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from otel_llm import semconv as sc
from otel_llm.pricing import ModelPrice, PriceBook
from otel_llm.schema import MIGRATIONS, migrate, sync_prices
from tests.fixtures.store import Store, insert_spans, span_row
from tests.integration.store.test_schema_cache_1h import _layout

M = Decimal("0.000001")
AT = (datetime.now(timezone.utc) - timedelta(hours=1)).replace(microsecond=0, tzinfo=None)
HAIKU_35 = ModelPrice("anthropic", "claude-3-5-haiku-20241022", input=Decimal("0.8") * M, output=4 * M)
MINE = ModelPrice("", "my-finetune", input=1 * M, output=2 * M, source=sc.PRICING_SOURCE_OVERRIDE)
BOOK = PriceBook([HAIKU_35, MINE], version="test-v6")


def _span(model: str, *, provider: str = "anthropic", inp: str = "1000", out: str = "100", **extra: str) -> list:
    attributes = {
        sc.GEN_AI_OPERATION_NAME: "chat",
        sc.GEN_AI_PROVIDER_NAME: provider,
        sc.GEN_AI_REQUEST_MODEL: model,
        sc.GEN_AI_USAGE_INPUT_TOKENS: inp,
        sc.GEN_AI_USAGE_OUTPUT_TOKENS: out,
        **extra,
    }
    return span_row(attributes, at=AT)


@pytest.fixture
def priced(store: Store) -> Store:
    sync_prices(store.client, store.database, BOOK)
    return store


def _calls(store: Store) -> list[tuple]:
    return store.client.query(
        f"SELECT RequestModel, CostUSD, PriceKnown, CostSource, PricingSource FROM `{store.database}`.llm_calls"
        " ORDER BY RequestModel, PricingSource"
    ).result_rows


def test_pricing_source_from_the_span_and_from_the_dictionary(priced: Store) -> None:
    insert_spans(
        priced.client,
        priced.database,
        [
            _span("claude-3-5-haiku-20241022"),  # a foreign span: the dictionary prices it
            _span(
                "claude-3-5-haiku-latest",
                **{sc.OTEL_LLM_COST_USD: "0.0012", sc.OTEL_LLM_PRICING_SOURCE: sc.PRICING_SOURCE_HISTORY},
            ),
            _span("my-finetune", provider="openai"),  # the user's provider-less price
            _span("acme-9000"),
        ],
    )
    assert _calls(priced) == [
        ("acme-9000", None, 0, "", ""),
        ("claude-3-5-haiku-20241022", Decimal("0.0012"), 1, "prices", "exact"),  # 1000*0.8 + 100*4 per 1M
        ("claude-3-5-haiku-latest", Decimal("0.0012"), 1, "span", "history"),
        ("my-finetune", Decimal("0.0012"), 1, "prices", "override"),
    ]


def test_suspect_usage_is_unpriced_whatever_the_span_or_the_dictionary_says(priced: Store) -> None:
    insert_spans(
        priced.client,
        priced.database,
        [
            _span("claude-3-5-haiku-20241022", **{sc.OTEL_LLM_USAGE_SUSPECT: "true"}),
            _span("claude-3-5-haiku-20241022", inp="99999999999999999"),  # clamped garbage, foreign span
            _span(
                "claude-3-5-haiku-latest",
                **{sc.OTEL_LLM_USAGE_SUSPECT: "true", sc.OPENLIT_USAGE_COST: "0.5"},
            ),
        ],
    )
    rows = priced.client.query(
        f"SELECT CostUSD, CacheSavingsUSD, PriceKnown, CostSource, PricingSource, PriceRevision"
        f" FROM `{priced.database}`.llm_calls"
    ).result_rows
    assert rows == [(None, None, 0, "", "", "")] * 3


@pytest.mark.parametrize(
    "usage",
    [
        {"inp": "-5", "out": "lots"},
        {"inp": "1000", "out": "1.5"},
        {"inp": "1000", "out": "100", sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: "-1"},
        {"inp": "1000", "out": "100", sc.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: "1e3"},
    ],
)
def test_a_foreign_token_count_that_is_not_a_count_is_unpriced_not_free(priced: Store, usage: dict) -> None:
    """Issue 17 audit: -5 and "lots" read as 0 tokens, and 0 tokens at a known price was $0 'exact'."""
    insert_spans(priced.client, priced.database, [_span("claude-3-5-haiku-20241022", **usage)])
    assert _calls(priced) == [("claude-3-5-haiku-20241022", None, 0, "", "")]


def test_well_formed_zero_counts_are_still_priced(priced: Store) -> None:
    insert_spans(priced.client, priced.database, [_span("claude-3-5-haiku-20241022", inp="0", out="0")])
    assert _calls(priced) == [("claude-3-5-haiku-20241022", Decimal("0E-12"), 1, "prices", "exact")]


def test_a_version_5_store_upgrades_to_the_fresh_schema(store_client, store: Store) -> None:
    database = f"test_v5_{uuid.uuid4().hex[:8]}"
    old = Store(store_client, database)
    try:
        assert migrate(store_client, database, to_version=5) == [1, 2, 3, 4, 5]
        sync_prices(store_client, database, BOOK)
        insert_spans(
            store_client, database, [_span("claude-3-5-haiku-20241022", **{sc.OTEL_LLM_USAGE_SUSPECT: "true"})]
        )
        assert store_client.query(f"SELECT PriceKnown FROM `{database}`.llm_calls").result_rows == [(1,)]  # the defect

        assert migrate(store_client, database) == [6, 7, 8, 9, 10]
        assert migrate(store_client, database) == []
        assert _layout(old, database) == _layout(store, store.database)

        insert_spans(
            store_client, database, [_span("claude-3-5-haiku-20241022", **{sc.OTEL_LLM_USAGE_SUSPECT: "true"})]
        )
        rows = store_client.query(
            f"SELECT PriceKnown, PricingSource FROM `{database}`.llm_calls ORDER BY PriceKnown"
        ).result_rows
        assert rows == [(0, ""), (1, "")]  # the old row keeps its snapshot; the new one is unpriced
    finally:
        store_client.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")


def test_llm_prices_holds_the_snapshot_history_with_effective_dates(store: Store) -> None:
    old = ModelPrice("openai", "m", input=2 * M, output=4 * M)
    new = ModelPrice("openai", "m", input=1 * M, output=2 * M, effective_from=date(2026, 9, 6))
    dropped = ModelPrice("openai", "gone", input=3 * M, output=3 * M, source=sc.PRICING_SOURCE_HISTORY)
    sync_prices(store.client, store.database, PriceBook([old, new, dropped], version="h"))

    rows = store.client.query(
        f"SELECT Model, EffectiveFrom, InputPrice FROM `{store.database}`.llm_prices ORDER BY Model, EffectiveFrom"
    ).result_rows
    assert rows == [
        ("gone", date(1970, 1, 1), 3 * M),
        ("m", date(1970, 1, 1), 2 * M),
        ("m", date(2026, 9, 6), 1 * M),
    ]
    at = store.client.query(
        f"SELECT dictGet('{store.database}.llm_prices_dict', 'InputPrice', ('openai', 'm'), toDate('2026-09-05')),"
        f" dictGet('{store.database}.llm_prices_dict', 'InputPrice', ('openai', 'm'), toDate('2026-09-06'))"
    ).result_rows
    assert at == [(2 * M, 1 * M)]


def test_version_6_is_followed_by_7_to_10_only() -> None:
    """The upgrade test above rehearses 5 -> 6; 6 -> 7 is test_schema_request_shape.py's, 7 -> 8
    test_log_exporter.py's, 8 -> 9 test_schema_adjusted.py's; 9 -> 10 test_schema_dashboard_speed.py's."""
    assert [m.version for m in MIGRATIONS][5:] == [6, 7, 8, 9, 10]
