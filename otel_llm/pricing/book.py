"""The price book: which price applies to a call, and what the call cost.

Lookups run on every LLM call, so a model/provider pair is normalized once and the answer
(hit or miss) is cached; a repeat costs one dict lookup. Unknown models give ``None``, never a
$0, and one warning per model name, so a price gap is visible without flooding the log.

Which price applies, in order: the calling provider's own price for the name or one of its
normalized spellings (:func:`~otel_llm.pricing.names.candidates`); with no provider known, the
maker's price (:func:`~otel_llm.pricing.names.maker`), even one the newest map dropped, since a
cloud's list price for the same model can differ (Vertex's claude-3-5-haiku is $1/$5, Anthropic's
$0.80/$4); else the same model at another host (Anthropic's models on Bedrock and Vertex, OpenAI's
on Azure), matched by :func:`~otel_llm.pricing.names.identity` and reported as ``other_host``.
Never another model's price.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Iterable, Iterator, Mapping
from datetime import date

from otel_llm import semconv
from otel_llm.pricing.cost import Rates, base_rates, batch_priced, compute_cost, long_context_rates, tier_of
from otel_llm.pricing.model import Cost, ModelPrice
from otel_llm.pricing.names import candidates, canonical_provider, identity, maker, undated
from otel_llm.pricing.overrides import Override, PriceFile
from otel_llm.usage import Usage

__all__ = ["PriceBook"]

_log = logging.getLogger("otel_llm.pricing")

# Provider-less lookups prefer the model's maker, then its clouds. "" is a user price for
# "any provider".
_PREFERENCE = (
    "",
    semconv.PROVIDER_OPENAI,
    semconv.PROVIDER_ANTHROPIC,
    semconv.PROVIDER_GCP_GEMINI,
    semconv.PROVIDER_MISTRAL,
    semconv.PROVIDER_COHERE,
    semconv.PROVIDER_DEEPSEEK,
    semconv.PROVIDER_XAI,
    semconv.PROVIDER_GROQ,
    semconv.PROVIDER_GCP_VERTEX_AI,
    semconv.PROVIDER_AZURE_OPENAI,
    semconv.PROVIDER_AWS_BEDROCK,
)
_CACHE_LIMIT = 4096  # distinct (model, provider) pairs; a runaway caller cannot grow it forever

Slot = tuple[str, str]  # (provider, model)
Resolved = tuple[Slot, bool]  # the slot, and whether it is another host's price
Priced = tuple[ModelPrice, str, str, Rates]  # the price, its source, the service tier, its base rates


def _rank(provider: str) -> int:
    return _PREFERENCE.index(provider) if provider in _PREFERENCE else len(_PREFERENCE)


class PriceBook:
    """An immutable set of prices with normalized lookup and cost computation."""

    def __init__(self, prices: Iterable[ModelPrice], *, version: str, aliases: Mapping[str, str] | None = None) -> None:
        history: dict[Slot, list[ModelPrice]] = {}
        for price in prices:
            history.setdefault((price.provider, price.model.lower()), []).append(price)
        self._history = {slot: sorted(h, key=lambda p: p.effective_from) for slot, h in history.items()}
        by_name: dict[str, list[str]] = {}
        for provider, name in self._history:
            by_name.setdefault(name, []).append(provider)
        self._by_name = {name: min(providers, key=_rank) for name, providers in by_name.items()}
        by_identity: dict[str, list[Slot]] = {}
        self._own_identity: dict[tuple[str, str], Slot] = {}
        for slot in sorted(self._history):
            by_identity.setdefault(identity(slot[1]), []).append(slot)
            self._own_identity.setdefault((slot[0], identity(slot[1])), slot)
        # The maker's current price first, then its clouds; a dropped model's last price last.
        self._by_identity = {
            key: min(slots, key=lambda s: (self._history[s][-1].source == semconv.PRICING_SOURCE_HISTORY, _rank(s[0])))
            for key, slots in by_identity.items()
        }
        # Per identity, the maker (the provider listing the bare name, else names.maker's table)
        # and its own slot when it has one: what a lookup without a provider answers.
        self._maker: dict[str, str] = {}
        self._maker_slot: dict[str, Slot] = {}
        for key, slots in by_identity.items():
            listing = [s[0] for s in slots if s[1] == key]
            owner = min(listing, key=_rank) if listing else maker(key)
            if owner is None:
                continue
            self._maker[key] = owner
            own = [s for s in slots if s[0] == owner]
            if own:
                self._maker_slot[key] = min(own, key=lambda s: (s[1] != key, s[1]))
        self._aliases = {k.lower(): v.lower() for k, v in (aliases or {}).items()}
        self._answers: dict[tuple[str, str | None], tuple[ModelPrice, str] | None] = {}
        self._built_on = date.today()
        # What ``cost`` needs per (model, provider, response model, service tier, batch): the
        # price, its source, the tier and its base rates; one dict lookup on a repeat call.
        self._priced: dict[tuple[str | None, str | None, str | None, str | None, bool], Priced] = {}
        self._warned: set[str] = set()
        self._lock = threading.Lock()
        self.version = version

    # --- building -----------------------------------------------------------------------
    def with_overrides(self, price_file: PriceFile) -> PriceBook:
        """A new book with the user's prices laid over this one's (see ``overrides``).

        An entry for ``gpt-4o`` also covers the dated snapshots filed under it
        (``gpt-4o-2024-08-06``...) unless the file names those too: SDKs report the dated name
        as the response model, and a negotiated price for the family must reach those calls.
        """
        named = {o.model.lower() for o in price_file.overrides}
        history = {slot: list(h) for slot, h in self._history.items()}
        for override in price_file.overrides:
            for slot in self._override_slots(override, named):
                _apply(history, slot, override)
        prices = [p for h in history.values() for p in h]
        aliases = {**self._aliases, **price_file.aliases}
        return PriceBook(prices, version=f"{self.version}+overrides-{price_file.sha256[:8]}", aliases=aliases)

    def _override_slots(self, override: Override, named: set[str]) -> list[Slot]:
        name = override.model.lower()
        known = [
            (provider, model)
            for provider, model in self._history
            if (override.provider is None or provider == override.provider)
            and (model == name or (model not in named and undated(model) == name))
        ]
        if not any(model == name for _, model in known):
            known.append((override.provider or "", name))
        return known

    # --- reading ------------------------------------------------------------------------
    def entries(self) -> Iterator[ModelPrice]:
        """Every price, dated versions included, in (provider, model, effective_from) order."""
        for slot in sorted(self._history):
            yield from self._history[slot]

    def lookup(self, model: str, provider: str | None = None, *, at: date | None = None) -> ModelPrice | None:
        """The price of ``model`` at ``provider`` in force on ``at`` (default: today), or None."""
        try:
            found = self._answers[(model, provider)] if at is None else self.price_and_source(model, provider, at=at)
        except KeyError:
            found = self.price_and_source(model, provider)
        return None if found is None else found[0]

    def price_and_source(
        self, model: str, provider: str | None = None, *, at: date | None = None
    ) -> tuple[ModelPrice, str] | None:
        """``lookup`` plus where the price comes from (``otel_llm.pricing.source``): exact,
        history (a model the newest map dropped), other_host or override."""
        key = (model, provider)
        if at is None:
            try:
                return self._answers[key]  # the common case: one dict lookup
            except KeyError:
                pass
        resolved = self._resolve(model, provider)
        answer, lasting = None, True
        if resolved is not None:
            slot, other_host = resolved
            history = self._history[slot]
            price = history[-1]
            # Prices dated after the book was built are looked up again each time: which one is
            # in force changes with the date. Any other answer holds for good and is cached.
            lasting = price.effective_from <= self._built_on
            if at is not None or not lasting:
                day = at or date.today()
                current = [p for p in history if p.effective_from <= day]
                if not current:
                    return None
                price = current[-1]
            source = price.source
            if other_host and source != semconv.PRICING_SOURCE_OVERRIDE:
                source = semconv.PRICING_SOURCE_OTHER_HOST
            answer = (price, source)
        if at is None and lasting:
            with self._lock:
                if len(self._answers) >= _CACHE_LIMIT:
                    self._answers.clear()
                self._answers[key] = answer
        return answer

    def _resolve(self, model: str, provider: str | None) -> Resolved | None:
        name = model.strip().lower()
        name = self._aliases.get(name, name)
        wanted = canonical_provider(provider)
        names = candidates(name)
        for hint, candidate in names:  # the calling provider (or the route's) lists it
            for p in (hint, wanted):
                if p is None:
                    continue
                if (p, candidate) in self._history:
                    return (p, candidate), False
                own = self._own_identity.get((p, identity(candidate)))  # its own spelling of it
                if own is not None:
                    return own, False
        called = wanted or next((hint for hint, _ in names if hint), None)
        for _, candidate in names:  # the maker's price, or the same model at another host
            generic = self._by_name.get(candidate)
            if generic is not None:
                return (generic, candidate), called is not None and generic != called
            key = identity(candidate)
            slot = self._by_identity.get(key)
            if slot is None:
                continue
            if called is None:
                own = self._maker_slot.get(key)
                if own is not None:
                    return own, False
                called = self._maker.get(key)
            return slot, called is not None and slot[0] != called
        return None

    def cost(
        self,
        usage: Usage,
        model: str | None,
        provider: str | None = None,
        *,
        response_model: str | None = None,
        service_tier: str | None = None,
        batch: bool = False,
    ) -> Cost | None:
        """The cost of one call, or None when nothing was reported or no price is known.

        The response model (often a dated snapshot) is tried first, then the request model.
        Never raises: a failure of ours is logged once and the call is left unpriced.
        """
        if usage.is_empty:
            return None
        try:
            key = (model, provider, response_model, service_tier, batch)
            priced = self._priced.get(key)
            if priced is None:
                priced = self._pricing(key)
                if priced is None:
                    return None
            price, source, tier, rates = priced
            if price.tiers:
                rates = long_context_rates(price, tier, usage.input_tokens or 0) or rates
            return compute_cost(price, rates, usage, source)
        except Exception:
            self._warn_once("<cost error>", "otel-llm: pricing failed; the call is left unpriced", exc_info=True)
            return None

    def _pricing(self, key: tuple[str | None, str | None, str | None, str | None, bool]) -> Priced | None:
        """The price, source, tier and base rates ``cost`` uses, cached when every lookup was.

        Prices dated after the book was built are not cached by ``price_and_source`` (which one
        is in force changes with the date), so neither is an answer that used one.
        """
        model, provider, response_model, service_tier, batch = key
        found, tried = None, []
        for name in (response_model, model):
            if name:
                tried.append((name, provider))
                if (found := self.price_and_source(name, provider)) is not None:
                    break
        if found is None:
            self._warn_unknown(response_model or model, provider)
            return None
        price, source = found
        tier = tier_of(service_tier, batch)
        if tier == "batch" and not batch_priced(price):
            self._warn_once(
                f"batch/{price.provider}/{price.model}",
                "otel-llm: no batch price for %r at %r; its batch calls carry no cost. Add batch prices to %s.",
                price.model,
                price.provider,
                semconv.ENV_PRICES,
            )
            return None
        priced = (price, source, tier, base_rates(price, tier))
        if all(lookup in self._answers for lookup in tried):
            with self._lock:
                if len(self._priced) >= _CACHE_LIMIT:
                    self._priced.clear()
                self._priced[key] = priced
        return priced

    def _warn_unknown(self, model: str | None, provider: str | None) -> None:
        self._warn_once(
            f"{provider}/{model}",
            "otel-llm: no price for model %r (provider %r); its calls carry no cost. Add it to the file named by %s.",
            model,
            provider,
            semconv.ENV_PRICES,
        )

    def _warn_once(self, key: str, message: str, *args: object, exc_info: bool = False) -> None:
        with self._lock:
            if key in self._warned:
                return
            self._warned.add(key)
        _log.warning(message, *args, exc_info=exc_info)


def _apply(history: dict[Slot, list[ModelPrice]], slot: Slot, override: Override) -> None:
    versions = history.setdefault(slot, [])
    base = versions[-1] if versions else ModelPrice(provider=slot[0], model=slot[1])
    source = semconv.PRICING_SOURCE_OVERRIDE
    if override.effective_from is None:
        merged = dataclasses.replace(base, **override.values, source=source)
        versions[-1:] = [merged]
    else:
        merged = dataclasses.replace(base, **override.values, effective_from=override.effective_from, source=source)
        versions[:] = [v for v in versions if v.effective_from != override.effective_from] + [merged]
        versions.sort(key=lambda p: p.effective_from)
