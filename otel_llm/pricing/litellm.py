"""Reading a LiteLLM-format price map (USD per token, one flat dict per model key).

Used twice: by ``scripts/build_price_snapshot.py`` to build the bundled snapshot, and by the
override loader when a user points ``OTEL_LLM_PRICES`` (or ``otel-llm prices import``) at a
newer LiteLLM map, so both read the map with exactly the same rules.

A model whose input and output prices are both missing or zero is skipped: LiteLLM lists such
entries for models it has no price for, and pricing them would be the silent $0 we promise never
to report. An explicit 0 in the user's own override format is honoured (self-hosted models).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

from otel_llm.pricing.model import SERVICE_TIERS, LongContextTier, ModelPrice, decimal_price
from otel_llm.pricing.names import canonical_provider, split_route

__all__ = ["is_litellm_map", "litellm_prices"]

# ModelPrice field <- LiteLLM key.
_FIELDS: dict[str, str] = {
    "input": "input_cost_per_token",
    "output": "output_cost_per_token",
    "cache_read": "cache_read_input_token_cost",
    "cache_write": "cache_creation_input_token_cost",
    "cache_write_1h": "cache_creation_input_token_cost_above_1hr",
    "batch_input": "input_cost_per_token_batches",
    "batch_output": "output_cost_per_token_batches",
    "batch_cache_read": "cache_read_input_token_cost_batches",
    "batch_cache_write": "cache_creation_input_token_cost_batches",
    "priority_input": "input_cost_per_token_priority",
    "priority_output": "output_cost_per_token_priority",
    "priority_cache_read": "cache_read_input_token_cost_priority",
    "flex_input": "input_cost_per_token_flex",
    "flex_output": "output_cost_per_token_flex",
    "flex_cache_read": "cache_read_input_token_cost_flex",
    "input_audio": "input_cost_per_audio_token",
    "output_audio": "output_cost_per_audio_token",
}
# LongContextTier field <- LiteLLM key stem; the key is "<stem>_above_<N>k_tokens[_<tier>]".
_TIER_STEMS: dict[str, str] = {
    "input_cost_per_token": "input",
    "output_cost_per_token": "output",
    "cache_read_input_token_cost": "cache_read",
    "cache_creation_input_token_cost": "cache_write",
    "cache_creation_input_token_cost_above_1hr": "cache_write_1h",
}
_TIER_KEY = re.compile(
    r"^(?P<stem>" + "|".join(sorted(map(re.escape, _TIER_STEMS), key=len, reverse=True)) + r")"
    r"_above_(?P<k>\d+)k_tokens(?:_(?P<tier>batches|priority|flex))?$"
)
_TIER_NAMES = {None: "standard", "batches": "batch", "priority": "priority", "flex": "flex"}
# Keys in the map that document the format rather than price a model.
_NOT_MODELS = frozenset({"sample_spec"})

Selector = Callable[[str, Mapping[str, Any]], bool]


def is_litellm_map(data: object) -> bool:
    """A LiteLLM map is a dict of dicts whose entries speak in ``*_cost_per_token``."""
    if not isinstance(data, Mapping):
        return False
    return any(
        isinstance(v, Mapping) and ("litellm_provider" in v or "input_cost_per_token" in v) for v in data.values()
    )


def _price(value: object) -> Decimal | None:
    """LiteLLM writes the odd non-price into price fields; those count as "not listed"."""
    try:
        return decimal_price(value)
    except ValueError:
        return None


def _tiers(entry: Mapping[str, Any]) -> tuple[LongContextTier, ...]:
    by_key: dict[tuple[int, str], dict[str, Decimal]] = {}
    for key, value in entry.items():
        match = _TIER_KEY.match(key)
        price = _price(value) if match else None
        if match is None or price is None:
            continue
        slot = (int(match["k"]) * 1000, _TIER_NAMES[match["tier"]])
        by_key.setdefault(slot, {})[_TIER_STEMS[match["stem"]]] = price
    return tuple(
        LongContextTier(threshold=threshold, service_tier=tier, **prices)
        for (threshold, tier), prices in sorted(
            by_key.items(), key=lambda kv: (kv[0][0], SERVICE_TIERS.index(kv[0][1]))
        )
    )


def _model_price(key: str, entry: Mapping[str, Any]) -> ModelPrice | None:
    prices = {name: _price(entry.get(src)) for name, src in _FIELDS.items()}
    if not (prices["input"] or prices["output"]):
        return None
    hint, name = split_route(key.lower())
    provider = canonical_provider(str(entry.get("litellm_provider") or "")) or hint or "unknown"
    return ModelPrice(
        provider=provider,
        model=name,
        mode=str(entry.get("mode") or "chat"),
        tiers=_tiers(entry),
        max_input_tokens=_window(entry.get("max_input_tokens")),
        **prices,
    )


def _window(value: object) -> int | None:
    """A context window: a positive whole number, else None (a map may hold text or junk here)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return None
    return value


def _completeness(price: ModelPrice) -> int:
    return sum(getattr(price, f.name) is not None for f in dataclasses.fields(price)) + len(price.tiers)


def litellm_prices(data: Mapping[str, Any], select: Selector | None = None) -> Iterator[ModelPrice]:
    """One ModelPrice per (provider, model name), for the entries ``select(key, entry)`` keeps.

    Two keys can name the same model at the same provider once the route prefix is gone
    (``deepseek-chat`` and ``deepseek/deepseek-chat``); the entry listing more prices wins, and
    equal ones keep the first key in sorted order, so the output is deterministic.
    """
    chosen: dict[tuple[str, str], ModelPrice] = {}
    for key in sorted(data):
        entry = data[key]
        if key in _NOT_MODELS or not isinstance(entry, Mapping):
            continue
        if select is not None and not select(key, entry):
            continue
        price = _model_price(key, entry)
        if price is None:
            continue
        slot = (price.provider, price.model)
        known = chosen.get(slot)
        if known is None or _completeness(price) > _completeness(known):
            chosen[slot] = price
    yield from chosen.values()
