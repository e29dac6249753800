"""1-hour cache writes (schema version 5): counted, rolled up, priced at their own rate by SQL.

Anthropic bills a cache write made with the 1-hour TTL higher than a 5-minute one. Before version
5 no table carried the 1-hour count, so SQL priced every write at the 5-minute rate: for the call
below $0.00885 instead of the $0.009975 the price book (and the span) says.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from otel_llm import semconv as sc
from otel_llm.pricing import ModelPrice, PriceBook
from otel_llm.schema import MIGRATIONS, migrate, sync_prices
from otel_llm.usage import Usage
from tests.fixtures.store import Store, insert_spans, span_row

M = Decimal("0.000001")  # prices below are per million tokens
AT = (datetime.now(timezone.utc) - timedelta(hours=1)).replace(minute=25, second=0, microsecond=0, tzinfo=None)
SONNET = ModelPrice(
    "anthropic", "claude-sonnet-4-5", input=3 * M, output=15 * M, cache_read=Decimal("0.30") * M,
    cache_write=Decimal("3.75") * M, cache_write_1h=6 * M,
)  # fmt: skip
BOOK = PriceBook([SONNET], version="test-1h")
# 100 plain input + 1,000 cache reads + 1,500 5-minute writes + 500 1-hour writes, 50 output.
USAGE = Usage(input_tokens=3100, output_tokens=50, cache_read_tokens=1000, cache_write_tokens=2000,
              cache_write_1h_tokens=500)  # fmt: skip
# 100*3 + 1000*0.30 + 1500*3.75 + 500*6 + 50*15, per million.
COST = Decimal("0.009975")
README = Path(__file__).resolve().parents[3] / "README.md"


def _book_cost() -> Decimal:
    cost = BOOK.cost(USAGE, SONNET.model, SONNET.provider)
    assert cost is not None
    return cost.total_usd


def _span(*, own_cost: Decimal | None = None, feature: str = "docs") -> list:
    attributes = {
        sc.GEN_AI_OPERATION_NAME: "chat",
        sc.GEN_AI_PROVIDER_NAME: "anthropic",
        sc.GEN_AI_REQUEST_MODEL: SONNET.model,
        sc.GEN_AI_USAGE_INPUT_TOKENS: str(USAGE.input_tokens),
        sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: str(USAGE.cache_read_tokens),
        sc.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS: str(USAGE.cache_write_tokens),
        sc.OTEL_LLM_USAGE_CACHE_WRITE_1H_INPUT_TOKENS: str(USAGE.cache_write_1h_tokens),
        sc.GEN_AI_USAGE_OUTPUT_TOKENS: str(USAGE.output_tokens),
        sc.OTEL_LLM_FEATURE: feature,
        sc.USER_ID: "u1",
    }
    if own_cost is not None:
        attributes[sc.OTEL_LLM_COST_USD] = str(own_cost)
    return span_row(attributes, at=AT)


@pytest.fixture
def priced(store: Store) -> Store:
    sync_prices(store.client, store.database, BOOK)
    return store


def test_the_dictionary_prices_1h_writes_at_their_own_rate(priced: Store) -> None:
    """No cost on the span (a foreign span, or ours stripped of it): the view must price it."""
    assert _book_cost() == COST
    insert_spans(priced.client, priced.database, [_span()])

    rows = priced.client.query(
        f"SELECT CacheWriteTokens, CacheWrite1hTokens, CostUSD, CostSource FROM `{priced.database}`.llm_calls"
    ).result_rows
    assert rows == [(2000, 500, COST, "prices")]


def test_rollups_carry_the_1h_writes(priced: Store) -> None:
    insert_spans(priced.client, priced.database, [_span(), _span(feature="other")])
    client, db = priced
    hourly = client.query(
        f"SELECT sum(CacheWriteTokens), sum(CacheWrite1hTokens), sum(CostUSD) FROM `{db}`.llm_usage_hourly"
    ).result_rows
    daily = client.query(
        f"SELECT UserId, sum(CacheWrite1hTokens), sum(CostUSD) FROM `{db}`.llm_usage_daily_user GROUP BY UserId"
    ).result_rows
    assert hourly == [(4000, 1000, 2 * COST)]
    assert daily == [("u1", 1000, 2 * COST)]


def test_a_price_row_without_a_1h_rate_prices_1h_writes_at_the_5m_rate(priced: Store) -> None:
    """A row loaded by hand with CacheWrite1hPrice 0 must not make 1-hour writes free."""
    client, db = priced
    client.insert(
        f"`{db}`.llm_prices",
        [["anthropic", SONNET.model, "chat", datetime(2020, 1, 1).date(), SONNET.input, SONNET.output,
          SONNET.cache_read, SONNET.cache_write, Decimal(0), "by-hand", datetime.now() + timedelta(days=1)]],
        column_names=["Provider", "Model", "Mode", "EffectiveFrom", "InputPrice", "OutputPrice", "CacheReadPrice",
                      "CacheWritePrice", "CacheWrite1hPrice", "Revision", "SyncedAt"],
    )  # fmt: skip
    client.command(f"SYSTEM RELOAD DICTIONARY `{db}`.llm_prices_dict")
    insert_spans(client, db, [_span()])

    rows = client.query(f"SELECT CostUSD, PriceRevision FROM `{db}`.llm_calls").result_rows
    assert rows == [(Decimal("0.00885"), "by-hand")]  # every write at 3.75/M: cheaper, never $0


def _layout(store: Store, database: str) -> list[tuple]:
    """Columns of every table and the query of every view, with the database name factored out."""
    columns = store.client.query(
        "SELECT table, name, type FROM system.columns WHERE database = {db:String} ORDER BY table, position",
        parameters={"db": database},
    ).result_rows
    views = store.client.query(
        "SELECT name, as_select FROM system.tables WHERE database = {db:String} AND engine = 'MaterializedView'"
        " ORDER BY name",
        parameters={"db": database},
    ).result_rows
    return columns + [(name, query.replace(database, "DB")) for name, query in views]


def test_a_version_4_store_upgrades_to_the_fresh_schema_and_prices_1h_writes(store_client, store: Store) -> None:
    database = f"test_v4_{uuid.uuid4().hex[:8]}"
    old = Store(store_client, database)
    try:
        assert migrate(store_client, database, to_version=4) == [1, 2, 3, 4]
        sync_prices(store_client, database, BOOK)
        insert_spans(store_client, database, [_span()])
        columns = store_client.query(f"SELECT * FROM `{database}`.llm_calls").column_names
        assert "CacheWrite1hTokens" not in columns
        assert store_client.query(f"SELECT CostUSD FROM `{database}`.llm_calls").result_rows == [
            (Decimal("0.00885"),)  # the defect: every write at the 5-minute rate
        ]

        assert migrate(store_client, database) == [5, 6, 7, 8, 9, 10]
        assert migrate(store_client, database) == []

        assert _layout(old, database) == _layout(store, store.database)
        insert_spans(store_client, database, [_span()])
        rows = store_client.query(
            f"SELECT CacheWrite1hTokens, CostUSD FROM `{database}`.llm_calls ORDER BY CostUSD"
        ).result_rows
        assert rows == [(0, Decimal("0.00885")), (500, COST)]  # old rows keep their snapshot
        hourly = store_client.query(f"SELECT sum(CacheWrite1hTokens) FROM `{database}`.llm_usage_hourly")
        assert hourly.result_rows == [(500,)]
    finally:
        store_client.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")


def test_version_5_is_followed_by_6_to_10_only() -> None:
    """The upgrade test above rehearses 4 -> 5; 5 -> 6 is test_schema_pricing_source.py's (and 8 -> 9
    test_schema_adjusted.py's, 9 -> 10 test_schema_dashboard_speed.py's)."""
    assert [m.version for m in MIGRATIONS][4:] == [5, 6, 7, 8, 9, 10]


def readme_query(title: str, database: str) -> str:
    """The README's example query titled ``title``, run against ``database`` instead of otel."""
    block = re.search(r"### SQL you can paste\n+```sql\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert block, "README lost its 'SQL you can paste' block"
    queries = [q.strip() for q in block.group(1).split(";") if title in q]
    assert len(queries) == 1, f"README: {len(queries)} queries titled {title!r}"
    return queries[0].replace("'otel.", f"'{database}.").replace("otel.", f"`{database}`.")


def test_the_readme_cost_at_todays_prices_equals_the_span_cost_at_unchanged_prices(priced: Store) -> None:
    client, db = priced
    insert_spans(client, db, [_span(own_cost=COST), _span(own_cost=COST, feature="other")])

    rows = client.query(readme_query("Cost at TODAY's prices", db)).named_results()
    by_feature = {r["Feature"]: (r["snapshot_usd"], r["at_todays_prices_usd"], r["calls_unpriced_today"]) for r in rows}
    assert by_feature == {"docs": (COST, COST, 0), "other": (COST, COST, 0)}
