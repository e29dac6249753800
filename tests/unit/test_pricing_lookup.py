"""Name normalization: every spelling an SDK or a router reports finds the right price."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from otel_llm.pricing import ModelPrice, PriceBook, snapshot_price_book


@pytest.fixture(scope="module")
def book() -> PriceBook:
    return snapshot_price_book()


@pytest.mark.parametrize(
    ("model", "provider", "expected"),
    [
        # exact keys, dated snapshots that are keys themselves
        ("gpt-4o", "openai", ("openai", "gpt-4o")),
        ("gpt-4o-2024-08-06", "openai", ("openai", "gpt-4o-2024-08-06")),
        ("claude-sonnet-4-5-20250929", "anthropic", ("anthropic", "claude-sonnet-4-5-20250929")),
        # unknown dated suffixes fall back to the undated family
        ("gpt-4o-2099-01-01", "openai", ("openai", "gpt-4o")),
        ("claude-sonnet-4-5-20991231", "anthropic", ("anthropic", "claude-sonnet-4-5")),
        # case-insensitive, provider optional
        ("GPT-4o", None, ("openai", "gpt-4o")),
        ("Claude-Sonnet-4-5", None, ("anthropic", "claude-sonnet-4-5")),
        # router prefixes name the provider
        ("openai/gpt-4o", None, ("openai", "gpt-4o")),
        ("azure/gpt-4o", None, ("azure.ai.openai", "gpt-4o")),
        ("anthropic/claude-sonnet-4-5", None, ("anthropic", "claude-sonnet-4-5")),
        ("gemini/gemini-2.5-pro", None, ("gcp.gemini", "gemini-2.5-pro")),
        ("models/gemini-2.5-pro", None, ("gcp.gemini", "gemini-2.5-pro")),
        # the provider name (gen_ai or LiteLLM spelling) picks among same-named models
        ("gpt-4o", "azure.ai.openai", ("azure.ai.openai", "gpt-4o")),
        ("gpt-4o", "azure", ("azure.ai.openai", "gpt-4o")),
        ("gemini-2.5-pro", "gcp.vertex_ai", ("gcp.vertex_ai", "gemini-2.5-pro")),
        # a provider without that model falls back to the maker's price
        ("gpt-4o-2024-08-06", "openrouter", ("openai", "gpt-4o-2024-08-06")),
        # Bedrock: region profile, vendor prefix, version suffix
        (
            "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
            "aws.bedrock",
            ("aws.bedrock", "us.anthropic.claude-3-5-sonnet-20240620-v1:0"),
        ),
        (
            "anthropic.claude-3-5-sonnet-20240620-v1:0",
            "aws.bedrock",
            ("aws.bedrock", "anthropic.claude-3-5-sonnet-20240620-v1:0"),
        ),
        (
            "apac.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "aws.bedrock",
            ("aws.bedrock", "anthropic.claude-sonnet-4-5-20250929-v1:0"),
        ),
        ("us.anthropic.claude-sonnet-4-5-20991231-v1:0", "aws.bedrock", ("anthropic", "claude-sonnet-4-5")),
        (
            "bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0",
            None,
            ("aws.bedrock", "anthropic.claude-3-5-sonnet-20240620-v1:0"),
        ),
        # Vertex's @-versions
        ("claude-sonnet-4-5@20250929", "gcp.vertex_ai", ("gcp.vertex_ai", "claude-sonnet-4-5@20250929")),
        ("claude-sonnet-4-5@20991231", "gcp.vertex_ai", ("gcp.vertex_ai", "claude-sonnet-4-5")),
        # Groq serves a model literally named "openai/gpt-oss-20b"
        ("openai/gpt-oss-20b", "groq", ("groq", "openai/gpt-oss-20b")),
        # fine-tunes are priced by their base's fine-tune price
        ("ft:gpt-4o-2024-08-06:acme::abc123", "openai", ("openai", "ft:gpt-4o-2024-08-06")),
        ("deepseek-chat", "deepseek", ("deepseek", "deepseek-chat")),
        ("text-embedding-3-small", "openai", ("openai", "text-embedding-3-small")),
    ],
)
def test_normalization(book: PriceBook, model: str, provider: str | None, expected: tuple[str, str]) -> None:
    price = book.lookup(model, provider)
    assert price is not None, model
    assert (price.provider, price.model) == expected


@pytest.mark.parametrize(
    ("model", "provider"),
    [
        ("acme-llm-9000", None),
        ("llama-9-900b-versatile", "groq"),
        ("my-azure-deployment", "azure.ai.openai"),
        ("", None),
    ],
)
def test_unknown_names_stay_unknown(book: PriceBook, model: str, provider: str | None) -> None:
    assert book.lookup(model, provider) is None


def test_a_date_suffix_never_jumps_to_another_family(book: PriceBook) -> None:
    price = book.lookup("gpt-4o-mini-2099-01-01", "openai")
    assert price is not None and price.model == "gpt-4o-mini"


def test_repeated_lookups_return_the_same_object(book: PriceBook) -> None:
    first = book.lookup("us.anthropic.claude-3-5-sonnet-20240620-v1:0", "aws.bedrock")
    assert first is not None
    assert book.lookup("us.anthropic.claude-3-5-sonnet-20240620-v1:0", "aws.bedrock") is first


def test_aliases_map_deployment_names() -> None:
    base = ModelPrice(provider="azure.ai.openai", model="gpt-4o", input=D("0.0000025"), output=D("0.00001"))
    book = PriceBook([base], version="t", aliases={"Prod-GPT4o": "gpt-4o"})

    assert book.lookup("prod-gpt4o", "azure.ai.openai") is base
    assert book.lookup("PROD-GPT4O", None) is base


def test_effective_dates_pick_the_price_in_force() -> None:
    old = ModelPrice(provider="openai", model="m", input=D("0.000002"), output=D("0.000004"))
    new = ModelPrice(
        provider="openai", model="m", input=D("0.000001"), output=D("0.000002"), effective_from=date(2025, 6, 1)
    )
    book = PriceBook([new, old], version="t")

    assert book.lookup("m", "openai", at=date(2025, 5, 31)) is old
    assert book.lookup("m", "openai", at=date(2025, 6, 1)) is new
    assert book.lookup("m", "openai") is new
    assert list(book.entries()) == [old, new]


def test_a_price_not_yet_in_force_is_not_used() -> None:
    future = ModelPrice(provider="openai", model="m", input=D("1"), output=D("1"), effective_from=date(2999, 1, 1))
    book = PriceBook([future], version="t")

    assert book.lookup("m", "openai") is None
    assert book.lookup("m", "openai", at=date(2999, 1, 2)) is future
