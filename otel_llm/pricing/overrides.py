"""The user's price file (``OTEL_LLM_PRICES=/path/prices.yaml`` or ``.json``).

Negotiated discounts, fine-tunes, self-hosted models and Azure deployment names are facts only
the user knows; this file states them, and they win over the bundled snapshot. Format (YAML
shown; the same structure in JSON is accepted)::

    aliases:                       # deployment or proxy name -> model name in the price book
      prod-gpt4o: gpt-4o
    models:
      gpt-4o:                      # no provider: applies to every provider listing gpt-4o
        input_cost_per_1m: 2.0
        output_cost_per_1m: 8.0
      my-finetune:
        provider: openai           # gen_ai.provider.name (or azure, bedrock, gemini...)
        input_cost_per_1k: 0.003
        output_cost_per_1k: 0.006
        cache_read_cost_per_1m: 0.75
        effective_from: 2025-06-01 # earlier dates keep the previous price

Each price is ``<kind>_cost_per_1k`` or ``<kind>_cost_per_1m`` (USD per thousand / million
tokens), where kind is one of: input, output, cache_read, cache_write (5-minute), cache_write_1h,
batch_input, batch_output, batch_cache_read, batch_cache_write, priority_input,
priority_output, priority_cache_read, flex_input, flex_output, flex_cache_read, input_audio,
output_audio. Other keys: ``provider``, ``mode``, ``effective_from`` (YYYY-MM-DD). The
``models:`` level may be left out (model names at the top level, ``aliases`` reserved).

A price the entry does not list keeps the snapshot's value for that model. An entry for a
model also covers its dated snapshots (``gpt-4o`` covers ``gpt-4o-2024-08-06``, the name the
API reports back) unless the file lists those as well. An entry with an
``effective_from`` adds a dated price instead of replacing the old one, so ClickHouse can price
older calls at the older rate.

A LiteLLM-format map (``*_cost_per_token`` keys) is recognised by its shape and read with the
same rules as the snapshot builder, so ``otel-llm prices import`` accepts either. Any error
(unreadable file, unknown key, negative or non-numeric price) rejects the whole file with a
message naming the problem: half-applied prices would be silently wrong ones.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from otel_llm.pricing.litellm import is_litellm_map, litellm_prices
from otel_llm.pricing.model import ModelPrice, decimal_price
from otel_llm.pricing.names import canonical_provider, split_route

__all__ = ["Override", "PriceFile", "load_price_file", "parse_price_data"]

_PRICE_KINDS = tuple(f.name for f in dataclasses.fields(ModelPrice) if "Decimal" in str(f.type))
_UNITS = {"_cost_per_1k": 3, "_cost_per_1m": 6}
_PRICE_KEYS: dict[str, tuple[str, int]] = {
    kind + suffix: (kind, exponent) for kind in _PRICE_KINDS for suffix, exponent in _UNITS.items()
}


@dataclass(frozen=True, slots=True)
class Override:
    """Prices for one model, to be laid over the snapshot's entry for it (if any).

    ``provider`` None means every provider that lists the model (or any provider, for a model
    the snapshot does not know); ``effective_from`` None means "replace the current price".
    """

    model: str
    provider: str | None
    values: Mapping[str, Any]
    effective_from: date | None = None


@dataclass(frozen=True, slots=True)
class PriceFile:
    overrides: tuple[Override, ...]
    aliases: Mapping[str, str] = field(default_factory=dict)
    sha256: str = ""


def _decimal(model: str, key: str, value: object) -> Decimal:
    try:
        return decimal_price(value)
    except ValueError as exc:
        raise ValueError(f"{model}.{key}: {exc}") from None


def _date(model: str, value: object) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{model}.effective_from: {value!r} is not YYYY-MM-DD") from None


def _override(model: object, spec: object) -> Override:
    if not isinstance(model, str) or not isinstance(spec, Mapping):
        raise ValueError(f"model {model!r}: expected a mapping of prices")
    hint, name = split_route(model.strip().lower())
    values: dict[str, Any] = {}
    provider, effective = hint, None
    for key, value in spec.items():
        if key in _PRICE_KEYS:
            kind, exponent = _PRICE_KEYS[key]
            values[kind] = _decimal(model, key, value).scaleb(-exponent)
        elif key == "provider":
            provider = canonical_provider(str(value))
        elif key == "mode":
            values["mode"] = str(value)
        elif key == "effective_from":
            effective = _date(model, value)
        else:
            raise ValueError(f"model {model!r}: unknown key {key!r}")
    if not values:
        raise ValueError(f"model {model!r}: no prices given")
    return Override(name, provider, values, effective)


def _from_litellm(data: Mapping[str, Any]) -> tuple[Override, ...]:
    out = []
    for price in litellm_prices(data):
        values = {
            f.name: getattr(price, f.name)
            for f in dataclasses.fields(price)
            if f.name not in ("provider", "model", "effective_from", "source") and getattr(price, f.name) is not None
        }
        out.append(Override(price.model, price.provider, values))
    return tuple(out)


def parse_price_data(data: object, sha256: str = "") -> PriceFile:
    """A PriceFile from already-parsed YAML/JSON; ValueError names the first problem."""
    if is_litellm_map(data):
        return PriceFile(_from_litellm(data), {}, sha256)  # type: ignore[arg-type]
    if not isinstance(data, Mapping):
        raise ValueError("expected a mapping with 'models' (and optionally 'aliases')")
    aliases = data.get("aliases") or {}
    if not isinstance(aliases, Mapping) or not all(isinstance(v, str) for v in aliases.values()):
        raise ValueError("'aliases' must map names to model names")
    models = data["models"] if "models" in data else {k: v for k, v in data.items() if k != "aliases"}
    if not isinstance(models, Mapping):
        raise ValueError("'models' must map model names to prices")
    overrides = tuple(_override(name, spec) for name, spec in models.items())
    lowered = {str(k).strip().lower(): v.strip().lower() for k, v in aliases.items()}
    return PriceFile(overrides, lowered, sha256)


def load_price_file(path: str | Path) -> PriceFile:
    """Read a YAML or JSON price file; raises OSError or ValueError (with the reason) when bad."""
    raw = Path(path).read_bytes()
    text = raw.decode("utf-8")
    if Path(path).suffix.lower() == ".json":
        data = json.loads(text)
    else:
        import yaml  # PyYAML: only imported when a YAML file is actually configured

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            from otel_llm.yaml_errors import yaml_problem

            raise ValueError(f"invalid YAML: {yaml_problem(exc)}") from None
    return parse_price_data(data, hashlib.sha256(raw).hexdigest())
