"""Proof against the invoice: a provider's own cost or usage export held against the traced calls.

    from otel_llm.query import ClickHouseSource, traced_spend
    from otel_llm.reconcile import load_export, reconcile

    billed = load_export("openai", "costs.json")
    result = reconcile(billed, traced_spend(source, "otel", "openai", since, until).rows)
    result.gap_share  # the share of the billed total the traces do not explain

One parser per provider (``openai``: Costs and Completions Usage API pages; ``anthropic``: cost
and messages usage report pages, or the console's CSV export) turns the file into billed items
per UTC day; ``compare`` matches them with the traces (see its docstring for how).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from otel_llm import semconv
from otel_llm.reconcile._items import BilledItem, ExportError, model_key, read_text
from otel_llm.reconcile.anthropic import parse_anthropic
from otel_llm.reconcile.compare import ALL_MODELS, ReconciledRow, Reconciliation, reconcile
from otel_llm.reconcile.openai import parse_openai

__all__ = [
    "ALL_MODELS", "PROVIDERS", "BilledItem", "ExportError", "ReconciledRow", "Reconciliation", "load_export",
    "model_key", "reconcile",
]

_PARSERS: dict[str, Callable[[str, str | Path], list[BilledItem]]] = {
    semconv.PROVIDER_OPENAI: parse_openai,
    semconv.PROVIDER_ANTHROPIC: parse_anthropic,
}
PROVIDERS = tuple(_PARSERS)


def load_export(provider: str, path: str | Path) -> list[BilledItem]:
    """The billed items in ``path``, a file exported from ``provider``; :class:`ExportError` (one
    line naming the file and the problem) when it cannot be read as one."""
    if provider not in _PARSERS:
        raise ExportError(f"no export format known for provider {provider!r}; use one of {', '.join(PROVIDERS)}")
    items = _PARSERS[provider](read_text(path), path)
    if not items:
        raise ExportError(f"{path}: the export holds no billed items (an empty page?)")
    return items
