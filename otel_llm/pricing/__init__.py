"""The price book: what an LLM call cost, in exact Decimal dollars, or None when unknown.

Prices come from a snapshot bundled with the package (``snapshot.json``, a price history merged
from several LiteLLM releases by ``scripts/build_price_snapshot.py``, see :mod:`.history`; never
fetched at run time), with the user's own file laid over it when ``OTEL_LLM_PRICES`` names one
(format: :mod:`.overrides`). Cost rules (cache, batch, priority/flex, long context) are in
:mod:`.cost`, name normalization (dated snapshots, documented aliases, route prefixes, Bedrock
ids, Vertex versions) in :mod:`.names`. Every cost says where its price came from
(``Cost.source``: exact, history, other_host or override).

Usage::

    book = default_price_book()
    cost = book.cost(usage, "gpt-4o", "openai", response_model="gpt-4o-2024-08-06")
    if cost is not None:
        span.set_attribute(OTEL_LLM_COST_USD, float(cost.total_usd))
"""

from __future__ import annotations

import functools
import logging
from importlib import resources

from otel_llm import semconv
from otel_llm._env import env_str
from otel_llm.pricing.book import PriceBook
from otel_llm.pricing.model import Cost, LongContextTier, ModelPrice
from otel_llm.pricing.overrides import PriceFile, load_price_file, parse_price_data
from otel_llm.pricing.snapshot import load_snapshot

__all__ = [
    "Cost",
    "LongContextTier",
    "ModelPrice",
    "PriceBook",
    "PriceFile",
    "default_price_book",
    "load_price_file",
    "parse_price_data",
    "snapshot_price_book",
]

_log = logging.getLogger("otel_llm.pricing")


@functools.lru_cache(maxsize=1)
def snapshot_price_book() -> PriceBook:
    """The bundled prices alone. A missing or corrupt snapshot (a broken install) gives an empty
    book, logged, so every call is reported unpriced rather than the app failing."""
    try:
        text = resources.files(__name__).joinpath("snapshot.json").read_text(encoding="utf-8")
        source, prices = load_snapshot(text)
    except (OSError, ValueError, KeyError, TypeError):
        _log.warning("otel-llm: the bundled price snapshot cannot be read; no call will be priced", exc_info=True)
        return PriceBook((), version="none")
    return PriceBook(prices, version=f"litellm-{source.get('sha256', '')[:8]}")


@functools.lru_cache(maxsize=8)
def _book_for(path: str | None) -> PriceBook:
    book = snapshot_price_book()
    if not path:
        return book
    try:
        return book.with_overrides(load_price_file(path))
    except (OSError, ValueError) as exc:
        _log.warning("otel-llm: ignoring price file %s=%s: %s", semconv.ENV_PRICES, path, exc)
        return book


def default_price_book() -> PriceBook:
    """The snapshot merged with the ``OTEL_LLM_PRICES`` file; built once per process (per path).

    Never raises: a bad override file is logged and ignored, and the snapshot prices apply.
    """
    return _book_for(env_str(semconv.ENV_PRICES))
