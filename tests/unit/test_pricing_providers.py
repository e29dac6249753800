"""Each provider's own billing formula, on its own usage shape, against the bundled prices.

Expected costs are worked out by hand from the list prices (USD per 1M tokens) in the comments.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from otel_llm.pricing import PriceBook, snapshot_price_book
from otel_llm.provider_usage import bedrock_usage, cohere_usage, deepseek_usage, gemini_usage, xai_usage
from otel_llm.usage import Usage, openai_usage

M = D(10) ** 6


@pytest.fixture(scope="module")
def book() -> PriceBook:
    return snapshot_price_book()


def _total(book: PriceBook, usage: Usage, model: str, provider: str, **kw: object) -> D | None:
    cost = book.cost(usage, model, provider, **kw)  # type: ignore[arg-type]
    return None if cost is None else cost.total_usd


def test_gemini_thinking_is_billed_as_output(book: PriceBook) -> None:
    # gemini-2.5-flash: $0.30 in, $2.50 out; 1,000 thought tokens outside candidates_token_count
    usage = gemini_usage(2_000, 300, thoughts_token_count=1_000)
    assert (usage.input_tokens, usage.output_tokens, usage.reasoning_tokens) == (2_000, 1_300, 1_000)
    assert _total(book, usage, "gemini-2.5-flash", "gcp.gemini") == (2_000 * D("0.3") + 1_300 * D("2.5")) / M


def test_gemini_cached_content_and_the_200k_tier(book: PriceBook) -> None:
    # gemini-2.5-pro above 200k prompt tokens: $2.50 in, $0.25 cached, $15 out for the WHOLE request
    usage = gemini_usage(250_000, 1_000, cached_content_token_count=100_000, thoughts_token_count=500)
    expected = (150_000 * D("2.5") + 100_000 * D("0.25") + 1_500 * D(15)) / M
    assert _total(book, usage, "gemini-2.5-pro", "gcp.gemini") == expected
    # at or under 200k: $1.25 in, $0.125 cached, $10 out
    small = gemini_usage(200_000, 1_000, cached_content_token_count=100_000)
    assert (
        _total(book, small, "gemini-2.5-pro", "gcp.gemini")
        == (100_000 * D("1.25") + 100_000 * D("0.125") + 1_000 * D(10)) / M
    )


def test_gemini_tool_prompt_tokens_are_input(book: PriceBook) -> None:
    usage = gemini_usage(1_000, 10, tool_use_prompt_token_count=500)
    assert usage.input_tokens == 1_500


def test_bedrock_cache_read_and_write(book: PriceBook) -> None:
    # Claude 3.7 Sonnet on Bedrock: $3 in, $0.30 cache read, $3.75 cache write, $15 out;
    # Converse's inputTokens exclude the cache tokens
    usage = bedrock_usage(100, 50, cache_read_input_tokens=1_000, cache_write_input_tokens=2_000)
    assert usage.input_tokens == 3_100
    expected = (100 * D(3) + 1_000 * D("0.3") + 2_000 * D("3.75") + 50 * D(15)) / M
    assert _total(book, usage, "us.anthropic.claude-3-7-sonnet-20250219-v1:0", "aws.bedrock") == expected


def test_deepseek_cache_hits_at_the_hit_price(book: PriceBook) -> None:
    # deepseek-chat: $0.28 miss, $0.028 hit, $0.42 out
    usage = deepseek_usage(10_000, 1_000, prompt_cache_hit_tokens=8_000)
    expected = (2_000 * D("0.28") + 8_000 * D("0.028") + 1_000 * D("0.42")) / M
    assert _total(book, usage, "deepseek-chat", "deepseek") == expected


def test_xai_reasoning_is_output_unless_total_says_it_is_already_counted(book: PriceBook) -> None:
    # grok-4.3: $1.25 in, $0.20 cached, $2.50 out
    separate = xai_usage(10_120, 1_499, total_tokens=14_428, cached_tokens=128, reasoning_tokens=2_809)
    assert separate.output_tokens == 1_499 + 2_809
    expected = (9_992 * D("1.25") + 128 * D("0.2") + 4_308 * D("2.5")) / M
    assert _total(book, separate, "grok-4.3", "x_ai") == expected
    inside = xai_usage(500, 500, total_tokens=1_000, reasoning_tokens=200)
    assert inside.output_tokens == 500
    assert xai_usage(10, 2, reasoning_tokens=300).output_tokens == 302  # no total: xAI's documented rule


def test_cohere_bills_billed_units(book: PriceBook) -> None:
    # command-r-08-2024: $0.15 in, $0.60 out
    assert (
        _total(book, cohere_usage(1_000, 200), "command-r-08-2024", "cohere")
        == (1_000 * D("0.15") + 200 * D("0.6")) / M
    )


def test_mistral_and_groq_speak_openai_usage(book: PriceBook) -> None:
    usage = openai_usage(1_000, 100)
    assert _total(book, usage, "mistral-medium-2505", "mistral_ai") == (1_000 * D("0.4") + 100 * D(2)) / M
    assert _total(book, usage, "llama-3.3-70b-versatile", "groq") == (1_000 * D("0.59") + 100 * D("0.79")) / M


@pytest.mark.parametrize(
    ("model", "provider", "expected_per_1m"),
    [
        ("gpt-4o", "openai", (D("1.25"), D(5))),  # listed batch prices
        ("gpt-4.1-nano", "openai", (D("0.05"), D("0.2"))),  # listed, or OpenAI's 50%
        ("claude-3-5-haiku-20241022", "anthropic", (D("0.4"), D(2))),  # Anthropic's 50%
        ("mistral-medium-2505", "mistral_ai", (D("0.2"), D(1))),  # Mistral's 50%
        ("llama-3.3-70b-versatile", "groq", (D("0.4425"), D("0.5925"))),  # Groq's 25% off
        ("grok-4.3", "x_ai", (D(1), D(2))),  # xAI lists its own batch prices per model
    ],
)
def test_batch_discounts_per_provider(book: PriceBook, model: str, provider: str, expected_per_1m: tuple[D, D]) -> None:
    cost = book.cost(openai_usage(100_000, 100_000), model, provider, batch=True)
    assert cost is not None
    assert (cost.input_usd * 10, cost.output_usd * 10) == expected_per_1m


def test_batch_without_a_listed_price_or_documented_discount_is_unpriced(book: PriceBook) -> None:
    assert book.cost(openai_usage(1_000, 100), "deepseek-chat", "deepseek", batch=True) is None
    assert book.cost(openai_usage(1_000, 100), "command-r-08-2024", "cohere", batch=True) is None


def test_long_context_batch_is_discounted_when_only_the_standard_tier_is_listed(book: PriceBook) -> None:
    # Claude Sonnet 4 on Bedrock above 200k: $6 in, $22.50 out standard; Bedrock's batch halves it
    model = "us.anthropic.claude-sonnet-4-20250514-v1:0"
    price = book.lookup(model, "aws.bedrock")
    assert price is not None and not [t for t in price.tiers if t.service_tier == "batch"]
    cost = book.cost(openai_usage(300_000, 1_000_000), model, "aws.bedrock", batch=True)
    assert cost is not None
    assert (cost.input_usd, cost.output_usd) == (300_000 * D(3) / M, D("11.25"))
