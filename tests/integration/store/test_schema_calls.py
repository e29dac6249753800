"""otel_traces rows in, llm_calls and both rollups out, priced to the micro-dollar.

Spans are hand-built rows in the exporter's layout (values stringified as it does), for otel-llm's
own OpenAI and Anthropic spans and for OpenLIT, OpenLLMetry and OpenInference spans. Every
expected number below is computed by hand from the test price book.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from clickhouse_connect.driver.query import QueryResult

from otel_llm import semconv as sc
from otel_llm.pricing import ModelPrice, PriceBook
from otel_llm.schema import sync_prices
from tests.fixtures.store import Store, insert_spans, span_row
from tests.integration.store.test_schema_cache_1h import readme_query

M = Decimal("0.000001")  # prices below are per million tokens
# Recent, since rows older than a table's TTL are dropped on insert; mid-hour, so all share one Hour.
AT = (datetime.now(timezone.utc) - timedelta(hours=1)).replace(minute=25, second=0, microsecond=0, tzinfo=None)
HOUR = AT.replace(minute=0)
BOOK = PriceBook(
    [
        ModelPrice("openai", "gpt-4o-mini", input=Decimal("0.15") * M, output=Decimal("0.60") * M,
                   cache_read=Decimal("0.075") * M),
        ModelPrice("anthropic", "claude-sonnet-4-5", input=3 * M, output=15 * M, cache_read=Decimal("0.30") * M,
                   cache_write=Decimal("3.75") * M, cache_write_1h=6 * M),
    ],
    version="test-1",
)  # fmt: skip


def _ours_openai() -> list:
    """otel-llm OpenAI span: input INCLUDES the 400 cached tokens; no cost on the span (priced in SQL)."""
    return span_row(
        {
            sc.GEN_AI_OPERATION_NAME: "chat",
            sc.GEN_AI_PROVIDER_NAME: "openai",
            sc.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
            sc.GEN_AI_RESPONSE_MODEL: "gpt-4o-mini-2024-07-18",  # not in the book: falls back to the request
            sc.GEN_AI_USAGE_INPUT_TOKENS: "1000",
            sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: "400",
            sc.GEN_AI_USAGE_OUTPUT_TOKENS: "200",
            sc.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: "50",
            sc.GEN_AI_RESPONSE_FINISH_REASONS: '["stop"]',
            sc.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: "0.25",
            sc.OTEL_LLM_FEATURE: "chat",
            sc.USER_ID: "u1",
            sc.ENDUSER_ID: "u1",
        },
        at=AT,
        resource={sc.DEPLOYMENT_ENVIRONMENT: "prod"},
        duration_ns=800_000_000,
    )


def _ours_anthropic() -> list:
    """otel-llm Anthropic span with its own exact cost (e.g. a long-context rate SQL does not know)."""
    return span_row(
        {
            sc.GEN_AI_OPERATION_NAME: "chat",
            sc.GEN_AI_PROVIDER_NAME: "anthropic",
            sc.GEN_AI_REQUEST_MODEL: "claude-sonnet-4-5",
            sc.GEN_AI_RESPONSE_MODEL: "claude-sonnet-4-5",
            sc.GEN_AI_USAGE_INPUT_TOKENS: "5000",
            sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: "3000",
            sc.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS: "1000",
            sc.GEN_AI_USAGE_OUTPUT_TOKENS: "100",
            sc.OTEL_LLM_COST_USD: "0.0183",
            sc.OTEL_LLM_CACHE_SAVINGS_USD: "0.0081",
            sc.OTEL_LLM_PRICING_VERSION: "book-7",
            sc.OTEL_LLM_FEATURE: "summarize",
            sc.USER_ID: "u2",
        },
        at=AT,
        resource={sc.DEPLOYMENT_ENVIRONMENT: "prod"},
        duration_ns=2_000_000_000,
    )


def _openlit_anthropic() -> list:
    """OpenLIT: Anthropic's raw input_tokens (cache EXCLUDED) and a 0 cost for a model it cannot price."""
    return span_row(
        {
            sc.GEN_AI_OPERATION_NAME: "chat",
            sc.GEN_AI_SYSTEM: "anthropic",
            sc.GEN_AI_REQUEST_MODEL: "claude-sonnet-4-5",
            sc.GEN_AI_USAGE_INPUT_TOKENS: "3000",
            sc.OPENLLMETRY_USAGE_CACHE_READ_INPUT_TOKENS: "2000",
            sc.GEN_AI_USAGE_OUTPUT_TOKENS: "50",
            sc.OPENLIT_USAGE_COST: "0",
            # OpenLIT writes these on the span, not the resource.
            sc.TELEMETRY_SDK_NAME: sc.OPENLIT_SDK_NAME,
            sc.DEPLOYMENT_ENVIRONMENT_LEGACY: "prod",
        },
        at=AT,
        service="legacy",
        scope="openlit.otel.tracing",
    )


def _openllmetry_openai() -> list:
    return span_row(
        {
            sc.GEN_AI_SYSTEM: "openai",
            sc.OPENLLMETRY_REQUEST_TYPE: "chat",
            sc.GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
            sc.GEN_AI_RESPONSE_MODEL: "gpt-4o-mini",
            sc.GEN_AI_USAGE_PROMPT_TOKENS: "500",
            sc.GEN_AI_USAGE_COMPLETION_TOKENS: "100",
        },
        at=AT,
        service="legacy",
        scope="opentelemetry.instrumentation.openai.v1",
    )


def _openinference_anthropic() -> list:
    """OpenInference: prompt count INCLUDES cache read and write."""
    return span_row(
        {
            sc.OPENINFERENCE_SPAN_KIND: "LLM",
            sc.OPENINFERENCE_PROVIDER: "anthropic",
            sc.OPENINFERENCE_MODEL_NAME: "claude-sonnet-4-5",
            sc.OPENINFERENCE_TOKEN_COUNT_PROMPT: "2000",
            sc.OPENINFERENCE_TOKEN_COUNT_CACHE_READ: "1000",
            sc.OPENINFERENCE_TOKEN_COUNT_CACHE_WRITE: "500",
            sc.OPENINFERENCE_TOKEN_COUNT_COMPLETION: "300",
        },
        at=AT,
        service="legacy",
        scope="openinference.instrumentation.anthropic",
    )


def _unknown_model() -> list:
    return span_row(
        {
            sc.GEN_AI_OPERATION_NAME: "chat",
            sc.GEN_AI_PROVIDER_NAME: "openai",
            sc.GEN_AI_REQUEST_MODEL: "gpt-unknown-9",
            sc.GEN_AI_USAGE_INPUT_TOKENS: "100",
            sc.GEN_AI_USAGE_OUTPUT_TOKENS: "10",
            sc.OTEL_LLM_COST_UNKNOWN_MODEL: "true",
        },
        at=AT,
    )


def _failed_call() -> list:
    return span_row(
        {
            sc.GEN_AI_OPERATION_NAME: "chat",
            sc.GEN_AI_PROVIDER_NAME: "anthropic",
            sc.GEN_AI_REQUEST_MODEL: "claude-sonnet-4-5",
            sc.ERROR_TYPE: "RateLimitError",
        },
        at=AT,
        status="Error",
    )


def _not_llm() -> list:
    return span_row({"http.request.method": "GET", "url.full": "http://x/y"}, at=AT, name="GET")


# Hand-computed costs, in dollars.
OURS_OPENAI = Decimal("0.00024")  # 600*0.15/M + 400*0.075/M + 200*0.60/M
OURS_OPENAI_SAVINGS = Decimal("0.00003")  # 400*(0.15-0.075)/M
OURS_ANTHROPIC = Decimal("0.0183")  # the span's own cost wins
OPENLIT = Decimal("0.01035")  # (3000 uncached)*3/M + 2000*0.30/M + 50*15/M
OPENLLMETRY = Decimal("0.000135")  # 500*0.15/M + 100*0.60/M
OPENINFERENCE = Decimal("0.008175")  # 500*3/M + 1000*0.30/M + 500*3.75/M + 300*15/M


def all_spans() -> list[list]:
    return [
        _ours_openai(),
        _ours_anthropic(),
        _openlit_anthropic(),
        _openllmetry_openai(),
        _openinference_anthropic(),
        _unknown_model(),
        _failed_call(),
        _not_llm(),
    ]


@pytest.fixture
def priced(store: Store) -> Store:
    sync_prices(store.client, store.database, BOOK)
    return store


def _calls(store: Store) -> dict[str, dict]:
    client, db = store
    result = client.query(f"SELECT * FROM `{db}`.llm_calls ORDER BY Instrumentation, RequestModel")
    rows = list(result.named_results())
    return {f"{r['Instrumentation']}|{r['RequestModel']}|{r['StatusCode']}": r for r in rows}


def test_each_instrumentation_is_priced_by_hand(priced: Store) -> None:
    insert_spans(priced.client, priced.database, all_spans())
    calls = _calls(priced)

    assert len(calls) == 7  # the HTTP span is not an LLM call
    ours = calls["otel_llm|gpt-4o-mini|Unset"]
    assert (ours["Provider"], ours["Model"], ours["PriceModel"]) == ("openai", "gpt-4o-mini-2024-07-18", "gpt-4o-mini")
    assert (ours["InputTokens"], ours["CacheReadTokens"], ours["OutputTokens"], ours["ReasoningTokens"]) == (
        1000, 400, 200, 50,
    )  # fmt: skip
    assert ours["CostUSD"] == OURS_OPENAI and ours["ReportedCostUSD"] is None
    assert ours["CacheSavingsUSD"] == OURS_OPENAI_SAVINGS
    assert (ours["CostSource"], ours["PriceKnown"], ours["PriceRevision"]) == ("prices", 1, priced_revision(priced))
    assert (ours["CacheHit"], ours["FinishReasons"], ours["TimeToFirstChunkNs"]) == (1, ["stop"], 250_000_000)
    assert (ours["Environment"], ours["Feature"], ours["UserId"], ours["Operation"]) == ("prod", "chat", "u1", "chat")

    anthropic = calls["otel_llm|claude-sonnet-4-5|Unset"]
    assert anthropic["CostUSD"] == anthropic["ReportedCostUSD"] == OURS_ANTHROPIC
    assert (anthropic["CostSource"], anthropic["PriceRevision"]) == ("span", "book-7")
    assert anthropic["CacheSavingsUSD"] == Decimal("0.0081")

    openlit = calls["openlit.otel.tracing|claude-sonnet-4-5|Unset"]
    assert (openlit["InputTokens"], openlit["CacheReadTokens"]) == (5000, 2000)  # cache added back
    assert openlit["CostUSD"] == OPENLIT and openlit["ReportedCostUSD"] is None  # OpenLIT's 0 is not a price
    assert openlit["Environment"] == "prod"

    openllmetry = calls["opentelemetry.instrumentation.openai.v1|gpt-4o-mini|Unset"]
    assert (openllmetry["InputTokens"], openllmetry["OutputTokens"], openllmetry["Operation"]) == (500, 100, "chat")
    assert openllmetry["CostUSD"] == OPENLLMETRY

    openinference = calls["openinference.instrumentation.anthropic|claude-sonnet-4-5|Unset"]
    assert (openinference["Provider"], openinference["InputTokens"], openinference["CacheWriteTokens"]) == (
        "anthropic", 2000, 500,
    )  # fmt: skip
    assert openinference["CostUSD"] == OPENINFERENCE

    unknown = calls["otel_llm|gpt-unknown-9|Unset"]
    assert (unknown["PriceKnown"], unknown["CostUSD"], unknown["CostSource"]) == (0, None, "")

    failed = calls["otel_llm|claude-sonnet-4-5|Error"]
    assert (failed["ErrorType"], failed["InputTokens"], failed["CostUSD"]) == ("RateLimitError", 0, Decimal(0))


def priced_revision(store: Store) -> str:
    return store.client.command(f"SELECT argMax(Revision, SyncedAt) FROM `{store.database}`.llm_prices")


def test_hourly_rollup_equals_the_calls(priced: Store) -> None:
    insert_spans(priced.client, priced.database, all_spans())
    client, db = priced
    rows = client.query(
        f"""SELECT ServiceName, Provider, sum(Calls), sum(Errors), sum(UnpricedCalls), sum(InputTokens),
                  sum(CacheReadTokens), sum(CacheWriteTokens), sum(OutputTokens), sum(CostUSD),
                  sum(CacheSavingsUSD), uniqMerge(Users)
           FROM `{db}`.llm_usage_hourly WHERE Hour = {{hour:DateTime}}
           GROUP BY ServiceName, Provider ORDER BY ServiceName, Provider""",
        parameters={"hour": HOUR},
    ).result_rows
    # svc/anthropic: the priced call plus the failed call (known model, no tokens: $0, not unpriced).
    # legacy/anthropic savings: (2000 + 1000) cache reads * (3 - 0.30)/M.
    assert rows == [
        ("legacy", "anthropic", 2, 0, 0, 7000, 3000, 500, 350, OPENLIT + OPENINFERENCE, Decimal("0.0081"), 0),
        ("legacy", "openai", 1, 0, 0, 500, 0, 0, 100, OPENLLMETRY, Decimal(0), 0),
        ("svc", "anthropic", 2, 1, 0, 5000, 3000, 1000, 100, OURS_ANTHROPIC, Decimal("0.0081"), 1),
        ("svc", "openai", 2, 0, 1, 1100, 400, 0, 210, OURS_OPENAI, OURS_OPENAI_SAVINGS, 1),
    ]  # fmt: skip
    latency = client.query(
        f"""SELECT quantilesMerge(0.5, 0.9, 0.99)(DurationQuantiles) FROM `{db}`.llm_usage_hourly
            WHERE ServiceName = 'legacy' AND Provider = 'anthropic'"""
    ).result_rows
    assert latency == [([1_000_000.0, 1_000_000.0, 1_000_000.0],)]


def test_daily_user_rollup_equals_the_calls(priced: Store) -> None:
    insert_spans(priced.client, priced.database, all_spans())
    client, db = priced
    rows = client.query(
        f"""SELECT UserId, Feature, sum(Calls), sum(InputTokens), sum(OutputTokens), sum(CostUSD)
           FROM `{db}`.llm_usage_daily_user WHERE Day = {{day:Date}} AND ServiceName = 'svc'
           GROUP BY UserId, Feature ORDER BY UserId, Feature""",
        parameters={"day": AT.date()},
    ).result_rows
    assert rows == [
        ("", "", 2, 100, 10, Decimal(0)),  # the unknown model (unpriced) and the failed call
        ("u1", "chat", 1, 1000, 200, OURS_OPENAI),
        ("u2", "summarize", 1, 5000, 100, OURS_ANTHROPIC),
    ]


def test_an_unknown_model_is_counted_unpriced_never_as_zero_cost(priced: Store) -> None:
    insert_spans(priced.client, priced.database, [_unknown_model()])
    client, db = priced
    assert client.query(f"SELECT PriceKnown, CostUSD FROM `{db}`.llm_calls").result_rows == [(0, None)]
    hourly = client.query(f"SELECT sum(Calls), sum(UnpricedCalls) FROM `{db}`.llm_usage_hourly").result_rows
    assert hourly == [(1, 1)]


def test_a_new_price_revision_moves_todays_cost_but_not_the_snapshot(priced: Store) -> None:
    client, db = priced
    first = priced_revision(priced)
    insert_spans(client, db, [_ours_openai()])
    today_cost = readme_query("Cost at TODAY's prices", db)
    assert _todays(client.query(today_cost)) == {"chat": (OURS_OPENAI, OURS_OPENAI)}

    doubled = PriceBook(
        [ModelPrice("openai", "gpt-4o-mini", input=Decimal("0.30") * M, output=Decimal("1.20") * M,
                    cache_read=Decimal("0.15") * M, effective_from=date(2026, 1, 1))],
        version="test-2",
    )  # fmt: skip
    revision = sync_prices(client, db, doubled)

    assert revision.startswith("test-2:")
    assert _todays(client.query(today_cost)) == {"chat": (OURS_OPENAI, 2 * OURS_OPENAI)}
    snapshot = client.query(f"SELECT CostUSD, PriceRevision FROM `{db}`.llm_calls").result_rows
    assert snapshot == [(OURS_OPENAI, first)]


def _todays(result: QueryResult) -> dict[str, tuple[Decimal, Decimal]]:
    """The README query's rows: feature -> (snapshot cost, cost at today's prices)."""
    return {r["Feature"]: (r["snapshot_usd"], r["at_todays_prices_usd"]) for r in result.named_results()}


def test_syncing_the_same_book_again_adds_no_revision(priced: Store) -> None:
    client, db = priced
    first = priced_revision(priced)
    assert sync_prices(client, db, BOOK) == first
    assert client.query(f"SELECT uniq(Revision), count() FROM `{db}`.llm_prices").result_rows == [(1, 2)]


def test_malformed_values_never_fail_the_batch(priced: Store) -> None:
    """A span with garbage in every field it reads is stored; its batch (good spans too) is not lost."""
    garbage = span_row(
        {
            sc.GEN_AI_OPERATION_NAME: "chat",
            sc.GEN_AI_PROVIDER_NAME: "anthropic",
            sc.GEN_AI_REQUEST_MODEL: "claude-sonnet-4-5",
            sc.GEN_AI_USAGE_INPUT_TOKENS: "99999999999999999999",  # overflows UInt64
            sc.GEN_AI_USAGE_OUTPUT_TOKENS: "5000000000000000",  # past the 10^12 clamp
            sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: "-5",
            sc.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: "many",
            sc.OTEL_LLM_COST_USD: "NaN",
            sc.GEN_AI_RESPONSE_FINISH_REASONS: "[broken",
            sc.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: "-1",
        },
        at=AT,
    )
    insert_spans(priced.client, priced.database, [garbage, _ours_openai()])

    rows = priced.client.query(
        f"""SELECT RequestModel, InputTokens, OutputTokens, CacheReadTokens, ReasoningTokens, CostSource,
                   FinishReasons, TimeToFirstChunkNs
            FROM `{priced.database}`.llm_calls ORDER BY RequestModel"""
    ).result_rows
    assert rows[1] == ("gpt-4o-mini", 1000, 200, 400, 50, "prices", ["stop"], 250_000_000)
    model, input_tokens, output_tokens, cache_read, reasoning, source, finish, ttfc = rows[0]
    assert (model, cache_read, reasoning, finish, ttfc) == ("claude-sonnet-4-5", 0, 0, [], None)
    # Counts at the 10^12 clamp are garbage: since schema version 6 such a call is unpriced.
    assert input_tokens <= 10**12 and output_tokens == 10**12 and source == ""
