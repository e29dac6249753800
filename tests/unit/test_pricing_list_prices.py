"""The list price of real model names that production apps send, as the providers publish them.

Prices are USD per 1M tokens (input, output), taken from the providers' public pricing pages
(openai.com/api/pricing, docs.anthropic.com "Pricing", ai.google.dev/gemini-api/docs/pricing,
aws.amazon.com/bedrock/pricing, mistral.ai/pricing, api-docs.deepseek.com "Models & Pricing",
docs.x.ai "Models and Pricing", groq.com/pricing, cohere.com/pricing) and cross-checked against
the LiteLLM maps the snapshot is built from. Dated and undated names, aliases, Bedrock ids,
Azure deployments of OpenAI's models: each must get exactly its own price, never a neighbour's.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from otel_llm import semconv
from otel_llm.pricing import PriceBook, snapshot_price_book

EXACT, HISTORY = semconv.PRICING_SOURCE_EXACT, semconv.PRICING_SOURCE_HISTORY
OTHER = semconv.PRICING_SOURCE_OTHER_HOST

# xAI's names moved: LiteLLM 1.100.0 (2026-09-06) prices grok-3 like the newer grok models, so
# grok-3 is checked on both sides of that date in test_pricing_history.py.
# (model as the SDK reports it, provider, input $/1M, output $/1M, source)
LIST_PRICES: list[tuple[str, str, str, str, str]] = [
    # OpenAI
    ("gpt-4o", "openai", "2.5", "10", EXACT),
    ("gpt-4o-2024-08-06", "openai", "2.5", "10", EXACT),
    ("gpt-4o-2024-11-20", "openai", "2.5", "10", EXACT),
    ("gpt-4o-2024-05-13", "openai", "5", "15", EXACT),
    ("gpt-4o-mini", "openai", "0.15", "0.6", EXACT),
    ("gpt-4o-mini-2024-07-18", "openai", "0.15", "0.6", EXACT),
    ("chatgpt-4o-latest", "openai", "5", "15", HISTORY),
    ("gpt-4.1", "openai", "2", "8", EXACT),
    ("gpt-4.1-2025-04-14", "openai", "2", "8", EXACT),
    ("gpt-4.1-mini", "openai", "0.4", "1.6", EXACT),
    ("gpt-4.1-nano", "openai", "0.1", "0.4", EXACT),
    ("gpt-4-turbo", "openai", "10", "30", EXACT),
    ("gpt-4-turbo-2024-04-09", "openai", "10", "30", EXACT),
    ("gpt-4", "openai", "30", "60", EXACT),
    ("gpt-3.5-turbo-0125", "openai", "0.5", "1.5", EXACT),
    ("o1", "openai", "15", "60", EXACT),
    ("o1-2024-12-17", "openai", "15", "60", EXACT),
    ("o3", "openai", "2", "8", EXACT),
    ("o3-mini", "openai", "1.1", "4.4", EXACT),
    ("o4-mini", "openai", "1.1", "4.4", EXACT),
    ("gpt-5", "openai", "1.25", "10", EXACT),
    ("gpt-5-mini", "openai", "0.25", "2", EXACT),
    ("gpt-5-nano", "openai", "0.05", "0.4", EXACT),
    ("text-embedding-3-small", "openai", "0.02", "0", EXACT),
    ("text-embedding-3-large", "openai", "0.13", "0", EXACT),
    # Anthropic: current, dropped from the newest map (history), and documented aliases
    ("claude-3-5-haiku-20241022", "anthropic", "0.8", "4", HISTORY),
    ("claude-3-5-haiku-latest", "anthropic", "0.8", "4", HISTORY),
    ("claude-3-haiku-20240307", "anthropic", "0.25", "1.25", HISTORY),
    ("claude-3-opus-20240229", "anthropic", "15", "75", HISTORY),
    ("claude-3-5-sonnet-20240620", "anthropic", "3", "15", HISTORY),
    ("claude-3-5-sonnet-20241022", "anthropic", "3", "15", HISTORY),
    ("claude-3-7-sonnet-20250219", "anthropic", "3", "15", HISTORY),
    ("claude-3-7-sonnet-latest", "anthropic", "3", "15", HISTORY),
    ("claude-sonnet-4-20250514", "anthropic", "3", "15", HISTORY),
    ("claude-sonnet-4-0", "anthropic", "3", "15", HISTORY),
    ("claude-opus-4-20250514", "anthropic", "15", "75", HISTORY),
    ("claude-opus-4-0", "anthropic", "15", "75", HISTORY),
    ("claude-opus-4-1-20250805", "anthropic", "15", "75", HISTORY),
    ("claude-opus-4-1", "anthropic", "15", "75", HISTORY),
    ("claude-sonnet-4-5", "anthropic", "3", "15", EXACT),
    ("claude-sonnet-4-5-20250929", "anthropic", "3", "15", EXACT),
    ("claude-haiku-4-5", "anthropic", "1", "5", EXACT),
    ("claude-haiku-4-5-20251001", "anthropic", "1", "5", EXACT),
    ("claude-opus-4-5", "anthropic", "5", "25", EXACT),
    ("claude-opus-4-5-20251101", "anthropic", "5", "25", EXACT),
    # Google Gemini API (prompts up to 200k tokens)
    ("gemini-2.5-pro", "gcp.gemini", "1.25", "10", EXACT),
    ("gemini-2.5-flash", "gcp.gemini", "0.3", "2.5", EXACT),
    ("gemini-2.5-flash-lite", "gcp.gemini", "0.1", "0.4", EXACT),
    ("gemini-2.0-flash", "gcp.gemini", "0.1", "0.4", HISTORY),
    ("gemini-2.0-flash-lite", "gcp.gemini", "0.075", "0.3", HISTORY),
    ("models/gemini-2.5-pro", "gcp.gemini", "1.25", "10", EXACT),
    # Amazon Bedrock ids (on-demand, us regions)
    ("anthropic.claude-3-5-haiku-20241022-v1:0", "aws.bedrock", "0.8", "4", EXACT),
    ("us.anthropic.claude-3-5-haiku-20241022-v1:0", "aws.bedrock", "0.8", "4", EXACT),
    ("anthropic.claude-3-haiku-20240307-v1:0", "aws.bedrock", "0.25", "1.25", HISTORY),
    ("anthropic.claude-3-5-sonnet-20241022-v2:0", "aws.bedrock", "3", "15", EXACT),
    ("us.anthropic.claude-3-7-sonnet-20250219-v1:0", "aws.bedrock", "3", "15", EXACT),
    ("us.anthropic.claude-sonnet-4-20250514-v1:0", "aws.bedrock", "3", "15", EXACT),
    ("anthropic.claude-opus-4-1-20250805-v1:0", "aws.bedrock", "15", "75", EXACT),
    # Azure OpenAI (global deployments)
    ("gpt-4o", "azure.ai.openai", "2.5", "10", EXACT),
    ("azure/gpt-4o", None, "2.5", "10", EXACT),
    ("gpt-4o-mini", "azure.ai.openai", "0.15", "0.6", EXACT),
    ("gpt-4.1", "azure.ai.openai", "2", "8", EXACT),
    ("o3-mini", "azure.ai.openai", "1.1", "4.4", EXACT),
    # Mistral
    ("mistral-large-2411", "mistral_ai", "2", "6", HISTORY),
    ("mistral/mistral-large-2411", None, "2", "6", HISTORY),
    ("mistral-medium-2505", "mistral_ai", "0.4", "2", HISTORY),
    ("magistral-medium-2506", "mistral_ai", "2", "5", HISTORY),
    # DeepSeek, xAI, Groq, Cohere
    ("deepseek-chat", "deepseek", "0.28", "0.42", EXACT),
    ("deepseek-reasoner", "deepseek", "0.28", "0.42", EXACT),
    ("llama-3.3-70b-versatile", "groq", "0.59", "0.79", HISTORY),
    ("llama-3.1-8b-instant", "groq", "0.05", "0.08", HISTORY),
    ("command-r-plus-08-2024", "cohere", "2.5", "10", EXACT),
    ("command-r-08-2024", "cohere", "0.15", "0.6", EXACT),
]


@pytest.fixture(scope="module")
def book() -> PriceBook:
    return snapshot_price_book()


def test_the_table_is_wide_enough() -> None:
    assert len(LIST_PRICES) >= 60
    assert len({(m, p) for m, p, *_ in LIST_PRICES}) == len(LIST_PRICES)


@pytest.mark.parametrize(("model", "provider", "input_1m", "output_1m", "source"), LIST_PRICES)
def test_list_price(
    book: PriceBook, model: str, provider: str | None, input_1m: str, output_1m: str, source: str
) -> None:
    found = book.price_and_source(model, provider)
    assert found is not None, f"{model} at {provider} has no price"
    price, got_source = found
    per_1m = (price.input * 10**6, (price.output or 0) * 10**6)
    assert per_1m == (Decimal(input_1m), Decimal(output_1m)), f"{model} priced as {price.provider}/{price.model}"
    assert got_source == source


# Anthropic's pricing page (platform.claude.com/docs/en/about-claude/pricing): cache hits, 5-minute
# and 1-hour cache writes, USD per 1M tokens. Claude Haiku 3.5's 1-hour write is $1.60 (LiteLLM
# listed $6 before dropping the model: scripts/price_corrections.json fixes it).
ANTHROPIC_CACHE: list[tuple[str, str, str, str]] = [
    ("claude-3-5-haiku-20241022", "0.08", "1", "1.6"),
    ("claude-3-haiku-20240307", "0.03", "0.3", "0.5"),
    ("claude-3-opus-20240229", "1.5", "18.75", "30"),
    ("claude-3-7-sonnet-20250219", "0.3", "3.75", "6"),
    ("claude-sonnet-4-20250514", "0.3", "3.75", "6"),
    ("claude-opus-4-20250514", "1.5", "18.75", "30"),
    ("claude-opus-4-1-20250805", "1.5", "18.75", "30"),
    ("claude-sonnet-4-5-20250929", "0.3", "3.75", "6"),
    ("claude-haiku-4-5-20251001", "0.1", "1.25", "2"),
    ("claude-opus-4-5-20251101", "0.5", "6.25", "10"),
]


@pytest.mark.parametrize(("model", "hit", "write_5m", "write_1h"), ANTHROPIC_CACHE)
def test_anthropic_cache_prices(book: PriceBook, model: str, hit: str, write_5m: str, write_1h: str) -> None:
    price = book.lookup(model, "anthropic")
    assert price is not None
    got = tuple(v * 10**6 for v in (price.cache_read, price.cache_write, price.cache_write_1h))
    assert got == (Decimal(hit), Decimal(write_5m), Decimal(write_1h))
