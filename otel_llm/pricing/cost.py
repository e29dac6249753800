"""Pure cost arithmetic: a Usage and a ModelPrice in, an exact Decimal breakdown out.

The rules, in the order they are applied:

1. Service tier: ``batch=True`` uses the batch prices, ``service_tier`` "priority" or "flex"
   the prices of that tier; any other tier ("default", "auto", "scale") the standard prices.
   A batch price the map does not list is the standard price times the provider's documented
   batch discount (:data:`BATCH_FACTORS`: 50% at OpenAI, Azure, Anthropic, Gemini, Vertex,
   Bedrock and Mistral, 25% at Groq); a provider without a documented flat discount (xAI's
   varies by model, DeepSeek and Cohere have none) and no listed batch price is unpriced
   (:func:`batch_priced`). Other tiers fall back to the standard price of the same kind.
2. Long context: when the request's total input (cache included) exceeds a tier's threshold,
   the highest such tier's prices replace the base prices for the whole request, for the same
   service tier if listed, else the standard tier of that threshold. A price the tier does not
   list keeps the base price.
3. Tokens (``Usage.input_tokens`` INCLUDES cache reads and writes): uncached input at the input
   price (input audio at the audio price when the model has one); cache reads at the cache-read
   price, or the input price when the model lists none; 5-minute cache writes at the
   cache-write price, 1-hour writes at the 1-hour price, each falling back to the next cheaper
   known price (1h -> 5m -> input); output (reasoning included) at the output price.

Rates are resolved separately from the arithmetic so the book can cache them per price and
tier: resolving is most of the work, and it is the same for every call to a model.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from otel_llm import semconv
from otel_llm.pricing.model import Cost, ModelPrice
from otel_llm.usage import Usage

__all__ = ["BATCH_FACTORS", "Rates", "base_rates", "batch_priced", "compute_cost", "long_context_rates", "tier_of"]

_ZERO = Decimal(0)
_HALF = Decimal("0.5")
# What a batch request pays per standard-price dollar, from each provider's batch docs.
BATCH_FACTORS: dict[str, Decimal] = {
    semconv.PROVIDER_OPENAI: _HALF,
    semconv.PROVIDER_AZURE_OPENAI: _HALF,  # Global Batch deployments
    semconv.PROVIDER_ANTHROPIC: _HALF,
    semconv.PROVIDER_GCP_GEMINI: _HALF,
    semconv.PROVIDER_GCP_VERTEX_AI: _HALF,
    semconv.PROVIDER_AWS_BEDROCK: _HALF,
    semconv.PROVIDER_MISTRAL: _HALF,
    semconv.PROVIDER_GROQ: Decimal("0.75"),  # "25% cost discount compared to synchronous APIs"
}


@dataclass(frozen=True, slots=True)
class Rates:
    """The per-token prices that apply to one call, every fallback already applied."""

    input: Decimal
    output: Decimal
    cache_read: Decimal
    cache_write: Decimal
    cache_write_1h: Decimal


def _or(value: Decimal | None, fallback: Decimal | None) -> Decimal | None:
    return fallback if value is None else value


def tier_of(service_tier: str | None, batch: bool) -> str:
    if batch:
        return "batch"
    return service_tier if service_tier in ("priority", "flex") else "standard"


def _rates(
    input: Decimal | None,
    output: Decimal | None,
    cache_read: Decimal | None,
    cache_write: Decimal | None,
    cache_write_1h: Decimal | None,
) -> Rates:
    input_price = input or _ZERO
    write_5m = _or(cache_write, input_price) or _ZERO
    return Rates(
        input=input_price,
        output=output or _ZERO,
        cache_read=_or(cache_read, input_price) or _ZERO,
        cache_write=write_5m,
        cache_write_1h=_or(cache_write_1h, write_5m) or _ZERO,
    )


def batch_priced(price: ModelPrice) -> bool:
    """Whether a batch call to this model has a known price (listed, or a documented discount)."""
    return price.batch_input is not None or price.provider in BATCH_FACTORS


def _discounted(values: tuple[Decimal | None, ...], provider: str) -> tuple[Decimal | None, ...]:
    factor = BATCH_FACTORS.get(provider)
    return values if factor is None else tuple(None if v is None else v * factor for v in values)


def _listed(price: ModelPrice, tier: str) -> tuple[Decimal | None, ...]:
    """(input, output, cache_read, cache_write, cache_write_1h) for a tier, before fallbacks."""
    p = price
    if tier == "batch":
        standard = _discounted((p.input, p.output, p.cache_read, p.cache_write, p.cache_write_1h), p.provider)
        batch = (p.batch_input, p.batch_output, p.batch_cache_read, p.batch_cache_write, None)
        return tuple(_or(b, s) for b, s in zip(batch, standard, strict=True))
    if tier in ("priority", "flex"):  # fields priority_input, flex_input, ...
        return (
            _or(getattr(p, tier + "_input"), p.input),
            _or(getattr(p, tier + "_output"), p.output),
            _or(getattr(p, tier + "_cache_read"), p.cache_read),
            p.cache_write,
            p.cache_write_1h,
        )
    return (p.input, p.output, p.cache_read, p.cache_write, p.cache_write_1h)


def base_rates(price: ModelPrice, tier: str) -> Rates:
    return _rates(*_listed(price, tier))


def long_context_rates(price: ModelPrice, tier: str, input_tokens: int) -> Rates | None:
    """The rates of the highest long-context tier ``input_tokens`` crosses, or None."""
    crossed = [t for t in price.tiers if input_tokens > t.threshold and t.service_tier in (tier, "standard")]
    if not crossed:
        return None
    top = max(t.threshold for t in crossed)
    at_top = [t for t in crossed if t.threshold == top]
    lc = next((t for t in at_top if t.service_tier == tier), at_top[0])
    base = _listed(price, tier)
    listed = (lc.input, lc.output, lc.cache_read, lc.cache_write, lc.cache_write_1h)
    if tier == "batch" and lc.service_tier != "batch":
        listed = _discounted(listed, price.provider)
    return _rates(*(_or(mine, fallback) for mine, fallback in zip(listed, base, strict=True)))


def compute_cost(price: ModelPrice, r: Rates, usage: Usage, source: str = "exact") -> Cost:
    uncached = usage.uncached_input_tokens
    if usage.input_audio_tokens and price.input_audio is not None:
        audio_in = min(usage.input_audio_tokens, uncached)
        input_usd = (uncached - audio_in) * r.input + audio_in * price.input_audio
    else:
        input_usd = uncached * r.input

    # Most calls have no cache traffic: their zero parts skip the Decimal arithmetic, the sum
    # included (adding an exact zero changes no value). The parts are added in the same order.
    total_usd = input_usd
    cache_read = usage.cache_read_tokens
    cache_read_usd = cache_savings_usd = _ZERO
    if cache_read:
        cache_read_usd = cache_read * r.cache_read
        cache_savings_usd = cache_read * r.input - cache_read_usd
        total_usd += cache_read_usd
    cache_write_usd = _ZERO
    if usage.cache_write_tokens:
        write_1h = min(usage.cache_write_1h_tokens, usage.cache_write_tokens)
        cache_write_usd = (usage.cache_write_tokens - write_1h) * r.cache_write + write_1h * r.cache_write_1h
        total_usd += cache_write_usd

    output = usage.output_tokens or 0
    if usage.output_audio_tokens and price.output_audio is not None:
        audio_out = min(usage.output_audio_tokens, output)
        output_usd = (output - audio_out) * r.output + audio_out * price.output_audio
    else:
        output_usd = output * r.output
    total_usd += output_usd

    return Cost(
        total_usd=total_usd,
        input_usd=input_usd,
        output_usd=output_usd,
        cache_read_usd=cache_read_usd,
        cache_write_usd=cache_write_usd,
        cache_savings_usd=cache_savings_usd,
        model_key=price.model,
        source=source,
        max_input_tokens=price.max_input_tokens,
    )
