"""Pure cost arithmetic: a Usage and a ModelPrice in, an exact Decimal breakdown out.

The rules, in the order they are applied:

1. Service tier: ``batch=True`` uses the batch prices, ``service_tier`` "priority" or "flex"
   the prices of that tier. A price the tier does not list falls back to the standard price of
   the same kind (e.g. LiteLLM has no batch price for 1-hour cache writes).
2. Long context: when the request's total input (cache included) exceeds a tier's threshold,
   the highest such tier's prices replace the base prices for the whole request, for the same
   service tier if listed, else the standard tier of that threshold. A price the tier does not
   list keeps the base price.
3. Tokens (``Usage.input_tokens`` INCLUDES cache reads and writes): uncached input at the input
   price (input audio at the audio price when the model has one); cache reads at the cache-read
   price, or the input price when the model lists none; 5-minute cache writes at the
   cache-write price, 1-hour writes at the 1-hour price, each falling back to the next cheaper
   known price (1h -> 5m -> input); output (reasoning included) at the output price.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from otel_llm.pricing.model import Cost, LongContextTier, ModelPrice
from otel_llm.usage import Usage

__all__ = ["Rates", "compute_cost", "rates_for"]

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Rates:
    """The per-token prices that apply to one call, after tier selection."""

    input: Decimal
    output: Decimal
    cache_read: Decimal | None
    cache_write: Decimal | None
    cache_write_1h: Decimal | None


def _first(*values: Decimal | None) -> Decimal | None:
    return next((v for v in values if v is not None), None)


def _base_rates(price: ModelPrice, tier: str) -> Rates:
    p = price
    if tier == "batch":
        return Rates(
            _first(p.batch_input, p.input) or _ZERO,
            _first(p.batch_output, p.output) or _ZERO,
            _first(p.batch_cache_read, p.cache_read),
            _first(p.batch_cache_write, p.cache_write),
            p.cache_write_1h,
        )
    if tier in ("priority", "flex"):
        prefix = tier + "_"
        return Rates(
            _first(getattr(p, prefix + "input"), p.input) or _ZERO,
            _first(getattr(p, prefix + "output"), p.output) or _ZERO,
            _first(getattr(p, prefix + "cache_read"), p.cache_read),
            p.cache_write,
            p.cache_write_1h,
        )
    return Rates(p.input or _ZERO, p.output or _ZERO, p.cache_read, p.cache_write, p.cache_write_1h)


def _long_context(tiers: tuple[LongContextTier, ...], tier: str, input_tokens: int) -> LongContextTier | None:
    crossed = [t for t in tiers if input_tokens > t.threshold and t.service_tier in (tier, "standard")]
    if not crossed:
        return None
    top = max(t.threshold for t in crossed)
    at_top = [t for t in crossed if t.threshold == top]
    return next((t for t in at_top if t.service_tier == tier), at_top[0])


def rates_for(price: ModelPrice, usage: Usage, service_tier: str | None, batch: bool) -> Rates:
    tier = "batch" if batch else (service_tier or "standard").lower()
    base = _base_rates(price, tier)
    lc = _long_context(price.tiers, tier, usage.input_tokens or 0) if price.tiers else None
    if lc is None:
        return base
    return Rates(
        _first(lc.input, base.input) or _ZERO,
        _first(lc.output, base.output) or _ZERO,
        _first(lc.cache_read, base.cache_read),
        _first(lc.cache_write, base.cache_write),
        _first(lc.cache_write_1h, base.cache_write_1h),
    )


def compute_cost(price: ModelPrice, usage: Usage, *, service_tier: str | None = None, batch: bool = False) -> Cost:
    r = rates_for(price, usage, service_tier, batch)
    uncached = usage.uncached_input_tokens
    audio_in = min(usage.input_audio_tokens, uncached) if price.input_audio is not None else 0
    input_usd = (uncached - audio_in) * r.input + audio_in * (price.input_audio or _ZERO)

    read_price = _first(r.cache_read, r.input) or _ZERO
    cache_read_usd = usage.cache_read_tokens * read_price
    write_5m_price = _first(r.cache_write, r.input) or _ZERO
    write_1h_price = _first(r.cache_write_1h, write_5m_price) or _ZERO
    write_1h = min(usage.cache_write_1h_tokens, usage.cache_write_tokens)
    cache_write_usd = (usage.cache_write_tokens - write_1h) * write_5m_price + write_1h * write_1h_price

    output = usage.output_tokens or 0
    audio_out = min(usage.output_audio_tokens, output) if price.output_audio is not None else 0
    output_usd = (output - audio_out) * r.output + audio_out * (price.output_audio or _ZERO)

    return Cost(
        total_usd=input_usd + cache_read_usd + cache_write_usd + output_usd,
        input_usd=input_usd,
        output_usd=output_usd,
        cache_read_usd=cache_read_usd,
        cache_write_usd=cache_write_usd,
        cache_savings_usd=usage.cache_read_tokens * r.input - cache_read_usd,
        model_key=price.model,
    )
