"""The price book's value types.

Prices are per-token ``Decimal`` values: a float cannot hold 2.5e-06 exactly, and a few wrong
digits times millions of calls is a wrong invoice. ``None`` means "the source lists no such
price" and is never read as 0; the cost code decides the documented fallback instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

__all__ = ["ALWAYS", "SERVICE_TIERS", "Cost", "LongContextTier", "ModelPrice", "decimal_price"]

# A snapshot price has no known start; ClickHouse's range dictionary still needs a date.
ALWAYS = date(1970, 1, 1)

# Service tiers that have prices of their own ("standard" is the plain price).
SERVICE_TIERS = ("standard", "batch", "priority", "flex")


def decimal_price(value: object) -> Decimal:
    """A price from JSON/YAML as an exact Decimal; ValueError if it is not a finite price >= 0.

    A float goes through its shortest repr, so 2.5e-06 becomes Decimal("0.0000025") and not
    the binary neighbour Decimal(2.5e-06) = 0.00000249999999999999989...
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ValueError(f"{value!r} is not a number")
    try:
        price = Decimal(repr(value) if isinstance(value, float) else str(value))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not price.is_finite() or price < 0:
        raise ValueError(f"{value!r} is not a price")
    return price


@dataclass(frozen=True, slots=True)
class LongContextTier:
    """Prices that replace the base ones when the request's input exceeds ``threshold`` tokens.

    Providers bill the WHOLE request at the higher rate once the prompt crosses the line
    (Anthropic >200k, Gemini >200k, GPT-5.x >272k), so a tier is a full set of rates, one per
    service tier, not a surcharge on the tokens above the line.
    """

    threshold: int
    service_tier: str = "standard"
    input: Decimal | None = None
    output: Decimal | None = None
    cache_read: Decimal | None = None
    cache_write: Decimal | None = None
    cache_write_1h: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ModelPrice:
    """What one model costs at one provider, from ``effective_from`` on."""

    provider: str
    model: str
    mode: str = "chat"
    input: Decimal | None = None
    output: Decimal | None = None
    cache_read: Decimal | None = None
    cache_write: Decimal | None = None
    cache_write_1h: Decimal | None = None
    batch_input: Decimal | None = None
    batch_output: Decimal | None = None
    batch_cache_read: Decimal | None = None
    batch_cache_write: Decimal | None = None
    priority_input: Decimal | None = None
    priority_output: Decimal | None = None
    priority_cache_read: Decimal | None = None
    flex_input: Decimal | None = None
    flex_output: Decimal | None = None
    flex_cache_read: Decimal | None = None
    input_audio: Decimal | None = None
    output_audio: Decimal | None = None
    tiers: tuple[LongContextTier, ...] = ()
    # The model's context window as the price map lists it (LiteLLM's max_input_tokens): usage
    # far above it cannot be true (otel_llm.usage_check.beyond_context_window).
    max_input_tokens: int | None = None
    effective_from: date = ALWAYS
    # "exact" (the newest price map lists it), "history" (only an older map did: the model was
    # dropped, its calls keep the last known price) or "override" (the user's price file).
    source: str = "exact"


@dataclass(frozen=True, slots=True)
class Cost:
    """The dollar breakdown of one call; the parts add up to ``total_usd`` exactly."""

    total_usd: Decimal
    input_usd: Decimal
    output_usd: Decimal
    cache_read_usd: Decimal
    cache_write_usd: Decimal
    # What the cache-read tokens would have cost at the plain input price, minus what they cost.
    cache_savings_usd: Decimal
    model_key: str
    # otel_llm.pricing.source: exact | history | other_host | override
    source: str = "exact"
    # The priced model's context window, when known: carried so the caller can check the usage
    # against it without a second price lookup.
    max_input_tokens: int | None = None
