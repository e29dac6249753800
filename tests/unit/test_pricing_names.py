"""Normalization never crosses models: proven over every name in the bundled snapshot.

What normalization may strip (dates of the same model, documented aliases, route and region
prefixes, Bedrock vendor prefixes and versions, Vertex ``@`` versions) never changes the model,
so a name must always resolve to itself, and a name that is not listed must resolve to nothing
or to a spelling of the same model, never to a neighbour (``-mini``, ``-lite``, another
generation).
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from otel_llm import semconv
from otel_llm.pricing import ModelPrice, PriceBook, snapshot_price_book
from otel_llm.pricing.names import DOCUMENTED_ALIASES, identity, split_route, undated

BOOK = snapshot_price_book()
LATEST: dict[tuple[str, str], ModelPrice] = {(p.provider, p.model): p for p in BOOK.entries()}
NAMES = sorted({model for _, model in LATEST})
# Words that make another model out of a listed one.
OTHER_MODEL_WORDS = ("mini", "lite", "nano", "pro", "max", "turbo", "haiku", "flash", "large", "small", "2")


def _same_model(name: str) -> str:
    """The model a name means once every strippable part is gone (route, host spelling, date)."""
    return undated(identity(undated(split_route(name)[1])))


def test_every_listed_name_at_its_provider_resolves_to_itself() -> None:
    wrong = []
    for (provider, model), price in LATEST.items():
        found = BOOK.price_and_source(model, provider)
        if found is None or (found[0].provider, found[0].model) != (provider, model) or found[1] != price.source:
            wrong.append((provider, model, found and (found[0].provider, found[0].model, found[1])))
    assert wrong == []
    assert len(LATEST) > 900


def test_every_listed_name_without_a_provider_resolves_to_itself() -> None:
    # A listed name that starts like a route ("xai/grok-4.3" at Vertex) may resolve to the routed
    # provider's own spelling of the same model.
    wrong = [
        name
        for name in NAMES
        if (p := BOOK.lookup(name)) is None or (p.model != name and _same_model(p.model) != _same_model(name))
    ]
    assert wrong == []


def test_a_name_with_another_models_word_is_never_priced_as_the_listed_one() -> None:
    wrong = []
    for name in NAMES:
        for word in OTHER_MODEL_WORDS:
            query = f"{name}-{word}"
            if query in NAMES:
                continue
            price = BOOK.lookup(query)
            if price is not None and _same_model(price.model) != _same_model(query):
                wrong.append((query, price.provider, price.model))
    assert wrong == []


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(NAMES),
    provider=st.sampled_from([None, *sorted({p for p, _ in LATEST}), "openrouter"]),
    date_suffix=st.sampled_from(["", "-2099-01-01", "-20991231", "@20991231"]),
    route=st.sampled_from(["", "openai/", "anthropic/", "bedrock/", "azure/", "models/"]),
)
def test_spellings_of_a_listed_name_resolve_to_the_same_model(
    name: str, provider: str | None, date_suffix: str, route: str
) -> None:
    query = route + name + date_suffix
    price = BOOK.lookup(query, provider)
    if price is not None:
        assert _same_model(price.model) == _same_model(name + date_suffix)


@pytest.mark.parametrize(
    ("model", "provider", "not_priced_as"),
    [
        ("claude-3-5-haiku-20241022", "anthropic", "claude-haiku-4-5"),
        ("claude-3-5-haiku-20241022", None, "claude-haiku-4-5"),
        ("claude-3-5-haiku-latest", "anthropic", "claude-haiku-4-5"),
        ("claude-3-5-haiku", "anthropic", "claude-haiku-4-5"),
        ("gpt-4o", "openai", "gpt-4o-mini"),
        ("gpt-4o-mini", "openai", "gpt-4o"),
        ("gpt-4o-mini-2099-01-01", "openai", "gpt-4o"),
        ("gemini-2.0-flash", "gcp.gemini", "gemini-2.0-flash-lite"),
        ("gemini-2.0-flash-lite", "gcp.gemini", "gemini-2.0-flash"),
        ("gemini-2.0-flash-lite-2099-01-01", "gcp.gemini", "gemini-2.0-flash"),
        ("anthropic.claude-v2:1", "aws.bedrock", "anthropic.claude-v2"),
    ],
)
def test_neighbours_never_share_a_price(model: str, provider: str | None, not_priced_as: str) -> None:
    price = BOOK.lookup(model, provider)
    assert price is None or _same_model(price.model) != _same_model(not_priced_as)


def test_documented_aliases_price_their_dated_model_and_are_not_listed_themselves() -> None:
    for alias, dated in DOCUMENTED_ALIASES.items():
        assert alias not in NAMES
        price = BOOK.lookup(alias, "anthropic")
        assert price is not None and price.model == dated, alias


@pytest.mark.parametrize(
    ("model", "provider", "expected", "source"),
    [
        # Anthropic's model at Bedrock or Vertex when only the other host lists it, and back
        ("claude-3-5-haiku@20241022", "anthropic", ("anthropic", "claude-3-5-haiku-20241022"), "history"),
        ("claude-sonnet-4-5@20991231", "aws.bedrock", ("anthropic", "claude-sonnet-4-5"), "other_host"),
        (
            "us.anthropic.claude-3-5-haiku-20241022-v1:0",
            "gcp.vertex_ai",
            ("gcp.vertex_ai", "claude-3-5-haiku@20241022"),
            "exact",
        ),
        ("claude-3-5-haiku-20241022", "gcp.vertex_ai", ("gcp.vertex_ai", "claude-3-5-haiku@20241022"), "exact"),
        ("claude-opus-4-1-20250805", "gcp.vertex_ai", None, "history"),
        ("claude-9-9-haiku@20250101", "gcp.vertex_ai", None, None),
        # OpenAI's model on Azure under a name only OpenAI lists, and back
        ("gpt-4o-2024-08-06", "openrouter", ("openai", "gpt-4o-2024-08-06"), "other_host"),
    ],
)
def test_same_model_at_another_host(
    model: str, provider: str, expected: tuple[str, str] | None, source: str | None
) -> None:
    found = BOOK.price_and_source(model, provider)
    if source is None:
        assert found is None
        return
    assert found is not None
    price, got = found
    if expected is not None:
        assert (price.provider, price.model) == expected
    assert _same_model(price.model) == _same_model(model)
    assert got == source


def test_other_host_is_only_used_when_the_calling_provider_has_no_price() -> None:
    own = ModelPrice(provider="aws.bedrock", model="anthropic.claude-x-20250101-v1:0", input=1, output=2)  # type: ignore[arg-type]
    maker = ModelPrice(provider="anthropic", model="claude-x-20250101", input=3, output=4)  # type: ignore[arg-type]
    book = PriceBook([own, maker], version="t")

    assert book.price_and_source("us.anthropic.claude-x-20250101-v1:0", "aws.bedrock") == (own, "exact")
    assert book.price_and_source("claude-x-20250101", "anthropic") == (maker, "exact")
    assert book.price_and_source("claude-x@20250101", "gcp.vertex_ai") == (maker, semconv.PRICING_SOURCE_OTHER_HOST)
    only_bedrock = PriceBook([own], version="t")
    assert only_bedrock.price_and_source("claude-x-20250101", "anthropic") == (own, "other_host")


def test_without_a_provider_the_maker_is_preferred_and_others_are_other_host() -> None:
    """No provider: the maker's price even when only its history lists it (a cloud's current entry
    for the same model is another price list); with no maker entry, the cloud's price is other_host."""
    vertex = ModelPrice(provider="gcp.vertex_ai", model="claude-x@20250101", input=1, output=5)  # type: ignore[arg-type]
    maker = ModelPrice(provider="anthropic", model="claude-x-20250101", input=D("0.8"), output=4,  # type: ignore[arg-type]
                       source=semconv.PRICING_SOURCE_HISTORY)
    book = PriceBook([vertex, maker], version="t")
    assert book.price_and_source("claude-x-latest") is None  # not a documented alias: no guess
    assert book.price_and_source("claude-x-20250101") == (maker, semconv.PRICING_SOURCE_HISTORY)
    assert book.price_and_source("claude-x@20250101") == (vertex, semconv.PRICING_SOURCE_EXACT)  # Vertex's spelling
    only_vertex = PriceBook([vertex], version="t")
    assert only_vertex.price_and_source("claude-x-20250101") == (vertex, semconv.PRICING_SOURCE_OTHER_HOST)
    llama = ModelPrice(provider="aws.bedrock", model="meta.llama-x-1-v1:0", input=1, output=1)  # type: ignore[arg-type]
    assert PriceBook([llama], version="t").price_and_source("llama-x-1") == (llama, semconv.PRICING_SOURCE_EXACT)
