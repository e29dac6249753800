"""Merging several releases of a price map into one effective-dated price history.

LiteLLM's map lists today's models: a model that is retired or renamed disappears from the next
release, although apps keep calling it for months and past calls keep the price they had. So
the bundled snapshot is built from several releases, and this module decides what survives:

* a model the newest map lists is priced as that map says (source ``exact``);
* a model only older maps list keeps its last known price (source ``history``);
* a price that changed between releases (input or output) keeps every version, each in force
  from the release date of the first map that listed it; the oldest version is in force since
  ``ALWAYS``, since nothing earlier is known. Other differences are corrections or additions:
  the newer entry replaces the older one (see ``_same_price``).

Release dates are PyPI's upload times of the wheels, recorded next to the build script, so a
rebuild from the same inputs gives the same snapshot.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import date

from otel_llm import semconv
from otel_llm.pricing.model import ALWAYS, ModelPrice

__all__ = ["merge_history"]

Release = tuple[date | None, Iterable[ModelPrice]]


def _same_price(old: ModelPrice, new: ModelPrice) -> bool:
    """Whether ``new`` is the same list price as ``old``: input and output unchanged.

    Between releases LiteLLM mostly adds what it did not know (batch and 1-hour cache prices,
    long-context tiers) or corrects a typo (claude-3-haiku's 1-hour cache write went from $6 to
    $0.50 per 1M); neither is a price change with a date, so the newer entry replaces the older
    one for all dates. A changed input or output price is a real change and keeps both.
    """
    return (old.input, old.output) == (new.input, new.output)


def _zeroed(old: ModelPrice, new: ModelPrice) -> bool:
    """A newer map that lists 0 where an older one had a price (gemini-1.5-flash's output in
    LiteLLM 1.90) would price every such token at $0, the silent wrong number we never give."""
    return any(before and after == 0 for before, after in ((old.input, new.input), (old.output, new.output)))


def merge_history(releases: Sequence[Release]) -> list[ModelPrice]:
    """Every price of ``releases`` (newest first: (release date, prices)) as one dated history.

    Raises ValueError when a release other than the oldest has no date, or the dates are not
    newest first: a change's effective date would otherwise be made up.
    """
    dates = [released for released, _ in releases]
    if any(d is None for d in dates[:-1]):
        raise ValueError("every map but the oldest needs its release date")
    known = [d for d in dates if d is not None]
    if known != sorted(known, reverse=True):
        raise ValueError("maps must be given newest first")
    history: dict[tuple[str, str], list[ModelPrice]] = {}
    newest: set[tuple[str, str]] = set()
    for index, (released, prices) in enumerate(reversed(releases)):
        is_newest = index == len(releases) - 1
        for price in prices:
            slot = (price.provider, price.model)
            if is_newest:
                newest.add(slot)
            versions = history.setdefault(slot, [])
            if versions and _zeroed(versions[-1], price):
                continue  # a listing error, not a free model: keep the last real price
            if versions and _same_price(versions[-1], price):
                versions[-1] = dataclasses.replace(price, effective_from=versions[-1].effective_from)
                continue
            start = ALWAYS if not versions or released is None else released
            versions.append(dataclasses.replace(price, effective_from=start))
    merged: list[ModelPrice] = []
    for slot, versions in history.items():
        if slot not in newest:
            versions = [dataclasses.replace(v, source=semconv.PRICING_SOURCE_HISTORY) for v in versions]
        merged.extend(versions)
    return merged
