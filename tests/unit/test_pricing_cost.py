"""Cost arithmetic against hand-computed dollars, using the bundled snapshot's real prices.

Each test first pins the per-token prices it relies on (so a snapshot refresh that changes
them fails loudly here, not silently in the arithmetic), then checks the breakdown twice: as
the formula over those prices and as a literal dollar amount worked out by hand.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from otel_llm.pricing import Cost, ModelPrice, PriceBook, snapshot_price_book
from otel_llm.pricing.cost import batch_priced
from otel_llm.usage import Usage, anthropic_usage, openai_usage


@pytest.fixture
def book() -> PriceBook:
    """A fresh book over the snapshot, so warnings-once state is this test's own."""
    return PriceBook(snapshot_price_book().entries(), version="test")


def _parts_add_up(cost: Cost) -> None:
    assert cost.total_usd == cost.input_usd + cost.output_usd + cost.cache_read_usd + cost.cache_write_usd


def test_gpt4o_with_1000_of_1200_input_tokens_cached(book: PriceBook) -> None:
    price = book.lookup("gpt-4o", "openai")
    assert price is not None
    assert (price.input, price.cache_read, price.output) == (D("0.0000025"), D("0.00000125"), D("0.00001"))

    cost = book.cost(openai_usage(1200, 300, cached_tokens=1000), "gpt-4o", "openai")

    assert cost is not None
    assert cost.input_usd == 200 * price.input == D("0.0005")
    assert cost.cache_read_usd == 1000 * price.cache_read == D("0.00125")
    assert cost.output_usd == 300 * price.output == D("0.003")
    assert cost.cache_write_usd == 0
    assert cost.total_usd == D("0.00475")
    assert cost.cache_savings_usd == 1000 * price.input - 1000 * price.cache_read == D("0.00125")
    assert cost.model_key == "gpt-4o"
    _parts_add_up(cost)


def test_anthropic_cache_read_and_5m_and_1h_cache_writes(book: PriceBook) -> None:
    price = book.lookup("claude-sonnet-4-5-20250929", "anthropic")
    assert price is not None
    assert (price.input, price.output) == (D("0.000003"), D("0.000015"))
    assert (price.cache_read, price.cache_write, price.cache_write_1h) == (
        D("0.0000003"),
        D("0.00000375"),
        D("0.000006"),
    )
    # Anthropic reports input EXCLUDING cache: 100 fresh + 2000 read + 1500 written (500 of them 1h).
    usage = anthropic_usage(
        100, 500, cache_read_input_tokens=2000, cache_creation_input_tokens=1500, cache_creation_1h_input_tokens=500
    )
    assert usage.input_tokens == 3600

    cost = book.cost(usage, "claude-sonnet-4-5", "anthropic", response_model="claude-sonnet-4-5-20250929")

    assert cost is not None
    assert cost.model_key == "claude-sonnet-4-5-20250929"
    assert cost.input_usd == 100 * price.input == D("0.0003")
    assert cost.cache_read_usd == 2000 * price.cache_read == D("0.0006")
    assert cost.cache_write_usd == 1000 * price.cache_write + 500 * price.cache_write_1h == D("0.00675")
    assert cost.output_usd == 500 * price.output == D("0.0075")
    assert cost.total_usd == D("0.01515")
    assert cost.cache_savings_usd == D("0.0054")  # 2000 * ($3 - $0.30) / 1M
    _parts_add_up(cost)


def test_long_context_tier_prices_the_whole_request_above_the_threshold(book: PriceBook) -> None:
    price = book.lookup("gemini-2.5-pro", "gcp.gemini")
    assert price is not None
    tier = next(t for t in price.tiers if t.threshold == 200_000 and t.service_tier == "standard")
    assert (price.input, price.output) == (D("0.00000125"), D("0.00001"))
    assert (tier.input, tier.output, tier.cache_read) == (D("0.0000025"), D("0.000015"), D("0.00000025"))

    at_line = book.cost(Usage(input_tokens=200_000, output_tokens=1000), "gemini-2.5-pro", "gcp.gemini")
    above = book.cost(
        Usage(input_tokens=250_000, output_tokens=1000, cache_read_tokens=50_000), "gemini-2.5-pro", "gcp.gemini"
    )

    assert at_line is not None and above is not None
    assert at_line.total_usd == 200_000 * price.input + 1000 * price.output == D("0.26")
    assert above.input_usd == 200_000 * tier.input == D("0.5")
    assert above.cache_read_usd == 50_000 * tier.cache_read == D("0.0125")
    assert above.output_usd == 1000 * tier.output == D("0.015")
    assert above.total_usd == D("0.5275")


def test_batch_prices(book: PriceBook) -> None:
    price = book.lookup("gpt-4o", "openai")
    assert price is not None
    assert (price.batch_input, price.batch_output) == (D("0.00000125"), D("0.000005"))

    cost = book.cost(Usage(input_tokens=1000, output_tokens=1000), "gpt-4o", "openai", batch=True)

    assert cost is not None
    assert cost.total_usd == 1000 * price.batch_input + 1000 * price.batch_output == D("0.00625")


def test_batch_long_context_uses_the_batch_tier(book: PriceBook) -> None:
    price = book.lookup("gpt-5.4", "openai")
    assert price is not None
    tier = next(t for t in price.tiers if t.threshold == 272_000 and t.service_tier == "batch")
    assert (tier.input, tier.output) == (D("0.0000025"), D("0.00001125"))

    cost = book.cost(Usage(input_tokens=300_000, output_tokens=1000), "gpt-5.4", "openai", batch=True)

    assert cost is not None
    assert cost.total_usd == 300_000 * tier.input + 1000 * tier.output == D("0.76125")


def test_priority_tier_including_its_cache_read_price(book: PriceBook) -> None:
    price = book.lookup("gpt-4o", "openai")
    assert price is not None
    assert (price.priority_input, price.priority_cache_read, price.priority_output) == (
        D("0.00000425"),
        D("0.000002125"),
        D("0.000017"),
    )

    cost = book.cost(openai_usage(1200, 300, cached_tokens=1000), "gpt-4o", "openai", service_tier="priority")

    assert cost is not None
    assert cost.input_usd == 200 * price.priority_input == D("0.00085")
    assert cost.cache_read_usd == 1000 * price.priority_cache_read == D("0.002125")
    assert cost.output_usd == 300 * price.priority_output == D("0.0051")
    assert cost.total_usd == D("0.008075")
    assert cost.cache_savings_usd == 1000 * (price.priority_input - price.priority_cache_read)


def test_flex_tier_and_default_tier(book: PriceBook) -> None:
    usage = Usage(input_tokens=1_000_000, output_tokens=100_000)
    flex = book.cost(usage, "gpt-5", "openai", service_tier="flex")
    default = book.cost(usage, "gpt-5", "openai", service_tier="default")

    assert flex is not None and default is not None
    assert flex.total_usd == D("0.625") + D("0.5")  # $0.625/M in, $5/M out
    assert default.total_usd == D("1.25") + D("1")  # "default" is the standard price


def test_cache_read_falls_back_to_the_input_price_when_unlisted() -> None:
    book = PriceBook([_price(input=D("0.000001"), output=D("0.000002"))], version="t")

    cost = book.cost(openai_usage(1000, 0, cached_tokens=400), "m", None)

    assert cost is not None
    assert cost.cache_read_usd == 400 * D("0.000001")
    assert cost.cache_savings_usd == 0


def test_cache_write_1h_falls_back_to_the_5m_price() -> None:
    book = PriceBook([_price(input=D("0.000001"), output=D("0"), cache_write=D("0.000002"))], version="t")
    usage = anthropic_usage(0, 0, cache_creation_input_tokens=10, cache_creation_1h_input_tokens=4)

    cost = book.cost(usage, "m", None)

    assert cost is not None
    assert cost.cache_write_usd == 10 * D("0.000002")


def test_audio_tokens_at_the_audio_price() -> None:
    price = _price(input=D("0.0000025"), output=D("0.00001"), input_audio=D("0.00004"), output_audio=D("0.00008"))
    book = PriceBook([price], version="t")
    usage = openai_usage(1000, 100, input_audio_tokens=300, output_audio_tokens=50)

    cost = book.cost(usage, "m", None)

    assert cost is not None
    assert cost.input_usd == 700 * D("0.0000025") + 300 * D("0.00004") == D("0.01375")
    assert cost.output_usd == 50 * D("0.00001") + 50 * D("0.00008") == D("0.0045")


def test_unknown_model_is_none_and_warns_once(book: PriceBook, caplog: pytest.LogCaptureFixture) -> None:
    usage = Usage(input_tokens=10, output_tokens=10)
    with caplog.at_level(logging.WARNING, logger="otel_llm.pricing"):
        results = [book.cost(usage, "acme-llm-9000", "openai") for _ in range(3)]

    assert results == [None, None, None]
    warnings = [r for r in caplog.records if "acme-llm-9000" in r.getMessage()]
    assert len(warnings) == 1
    assert "OTEL_LLM_PRICES" in warnings[0].getMessage()


def test_response_model_first_then_request_model(book: PriceBook) -> None:
    usage = Usage(input_tokens=1000, output_tokens=0)
    unknown_response = book.cost(usage, "gpt-4o-mini", "openai", response_model="acme-custom-snapshot")
    dated_response = book.cost(usage, "gpt-4o", "openai", response_model="gpt-4o-mini-2024-07-18")

    assert unknown_response is not None and unknown_response.model_key == "gpt-4o-mini"
    assert dated_response is not None and dated_response.model_key == "gpt-4o-mini-2024-07-18"


def test_repeated_costs_follow_the_price_in_force_as_the_day_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    """``cost`` caches what it looked up; an answer that used a price dated after the book was
    built must still switch to the new price on its day, as ``lookup`` does."""
    today = date.today()
    old = ModelPrice(provider="openai", model="m", input=D("0.000002"), output=D("0.000004"))
    new = ModelPrice(
        provider="openai", model="m", input=D("0.000001"), output=D("0.000002"), effective_from=today + timedelta(1)
    )
    book = PriceBook([old, new], version="t")
    usage = Usage(input_tokens=1000, output_tokens=1000)

    before = [book.cost(usage, "m", "openai") for _ in range(2)]

    class Tomorrow(date):
        @classmethod
        def today(cls) -> date:
            return today + timedelta(1)

    monkeypatch.setattr("otel_llm.pricing.book.date", Tomorrow)
    after = book.cost(usage, "m", "openai")

    assert [c.total_usd if c else None for c in before] == [D("0.006"), D("0.006")]
    assert after is not None and after.total_usd == D("0.003")


def test_no_usage_reported_gives_no_cost(book: PriceBook) -> None:
    assert book.cost(Usage(), "gpt-4o", "openai") is None


_SNAPSHOT_MODELS = sorted({(p.provider, p.model) for p in snapshot_price_book().entries()})
_counts = st.integers(min_value=0, max_value=2_000_000)


@settings(max_examples=300, deadline=None)
@given(
    model=st.sampled_from(_SNAPSHOT_MODELS),
    fresh=_counts,
    output=_counts,
    cache_read=_counts,
    cache_write=_counts,
    write_1h=_counts,
    tier=st.sampled_from([None, "default", "priority", "flex", "scale"]),
    batch=st.booleans(),
)
def test_any_usage_on_any_snapshot_model_gives_consistent_parts(
    model: tuple[str, str],
    fresh: int,
    output: int,
    cache_read: int,
    cache_write: int,
    write_1h: int,
    tier: str | None,
    batch: bool,
) -> None:
    usage = anthropic_usage(
        fresh,
        output,
        cache_read_input_tokens=cache_read,
        cache_creation_input_tokens=cache_write,
        cache_creation_1h_input_tokens=write_1h,
    )
    book = snapshot_price_book()
    cost = book.cost(usage, model[1], model[0], service_tier=tier, batch=batch)

    price = book.lookup(model[1], model[0])
    if batch and price is not None and not batch_priced(price):
        assert cost is None  # no listed batch price and no documented discount: unpriced
        return
    assert cost is not None
    _parts_add_up(cost)
    assert min(cost.input_usd, cost.output_usd, cost.cache_read_usd, cost.cache_write_usd) >= 0
    if fresh == output == cache_read == cache_write == 0:
        assert cost.total_usd == 0


def _price(**prices: D) -> ModelPrice:
    return ModelPrice(provider="", model="m", **prices)
