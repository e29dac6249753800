"""The bundled snapshot's file format: compact JSON, prices as decimal strings per 1M tokens.

Per-1M strings ("2.5", "0.125") are what price pages print, so a reviewer can check a diff of
the snapshot against the provider's page by eye, and strings keep every digit a float would
round. Each price is one line, so refreshing the map gives a readable diff. Only fields that
have a value are written. Layout::

    {"format": 1, "unit": "USD per 1M tokens",
     "source": {"maps": [{"version": "1.109.1", "released": "2026-11-12", "sha256": "..."}, ...],
                "sha256": "<hash of the prices>", "generated": "2026-12-07"},
     "prices": [
       {"provider": "openai", "model": "gpt-4o", "input": "2.5", "output": "10", ...,
        "tiers": [{"threshold": 200000, "service_tier": "standard", "input": "5", ...}]},
       {"provider": "anthropic", "model": "claude-3-5-haiku-20241022", "input": "0.8", ...,
        "source": "history"},
       {"provider": "x", "model": "m", "input": "1", ..., "effective_from": "2026-06-27"},
       ...]}

A model has one line per price it had: the first without ``effective_from`` (in force since
before the oldest map), each change with the release date of the map that first listed it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from otel_llm.pricing.model import LongContextTier, ModelPrice

__all__ = ["SNAPSHOT_FORMAT", "dump_snapshot", "load_snapshot"]

SNAPSHOT_FORMAT = 1
_PER = 6  # prices are stored per 10**6 tokens


def _encode(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if value is None or value == f.default:  # "chat", ALWAYS, "exact", (): the defaults go unsaid
            continue
        if isinstance(value, Decimal):
            value = format(value.scaleb(_PER).normalize(), "f")
        elif isinstance(value, date):
            value = value.isoformat()
        elif f.name == "tiers":
            value = [_encode(t) for t in value]
        out[f.name] = value
    return out


def _decode_prices(raw: Mapping[str, Any], cls: type[Any]) -> Any:
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in raw:
            continue
        value = raw[f.name]
        if f.name == "tiers":
            value = tuple(_decode_prices(t, LongContextTier) for t in value)
        elif f.name == "effective_from":
            value = date.fromisoformat(value)
        elif "Decimal" in str(f.type):
            value = Decimal(value).scaleb(-_PER)
        kwargs[f.name] = value
    return cls(**kwargs)


def dump_snapshot(prices: Iterable[ModelPrice], source: Mapping[str, Any]) -> str:
    ordered = sorted(prices, key=lambda p: (p.provider, p.model, p.effective_from))
    lines = [json.dumps(_encode(p), separators=(",", ":")) for p in ordered]
    head = {"format": SNAPSHOT_FORMAT, "unit": "USD per 1M tokens", "source": dict(source)}
    return json.dumps(head)[:-1] + ', "prices": [\n' + ",\n".join(lines) + "\n]}\n"


def load_snapshot(text: str) -> tuple[dict[str, Any], list[ModelPrice]]:
    """(source description, prices); raises ValueError on a file of another format."""
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("format") != SNAPSHOT_FORMAT:
        raise ValueError(f"not an otel-llm price snapshot of format {SNAPSHOT_FORMAT}")
    return dict(data["source"]), [_decode_prices(p, ModelPrice) for p in data["prices"]]
