"""Holding the provider's billed items against the traced calls, per UTC day and model.

Matching: both sides are keyed by :func:`model_key` (case, spaces, dots and snapshot dates do not
matter; the model family and generation do). An item the export does not split by model stands
for every model of its day: the traced calls of that day whose model no other item names are
held against it (shown as model ``*``). A traced model the bill does not name, on a day without
such an item, is a row with nothing billed; a billed item no trace names (a tool fee, a model
called around the instrumentation) is a row with nothing traced. Both count in the gap.

The gap is the sum of the rows' absolute differences, so an over-count on one model never hides
an under-count on another; ``gap_share`` is that sum over the billed total.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from otel_llm.reconcile._items import BilledItem, ExportError, model_key

__all__ = ["ALL_MODELS", "ReconciledRow", "Reconciliation", "reconcile"]

ALL_MODELS = "*"
Unit = Literal["usd", "tokens"]
_SHARE = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class ReconciledRow:
    """One day and model: what was billed, what the traces add up to, and who spent it."""

    day: dt.date
    model: str
    billed: Decimal
    traced: Decimal
    traced_calls: int
    unpriced_calls: int
    by_feature: dict[str, Decimal]
    billed_as: tuple[str, ...]

    @property
    def difference(self) -> Decimal:
        return self.billed - self.traced

    @property
    def explained_share(self) -> Decimal | None:
        """The share of the billed amount that the traces explain; None when nothing was billed."""
        return (self.traced / self.billed).quantize(_SHARE) if self.billed else None


@dataclass(frozen=True, slots=True)
class Reconciliation:
    unit: Unit
    rows: list[ReconciledRow]

    @property
    def billed(self) -> Decimal:
        return sum((r.billed for r in self.rows), Decimal(0))

    @property
    def traced(self) -> Decimal:
        return sum((r.traced for r in self.rows), Decimal(0))

    @property
    def gap(self) -> Decimal:
        return sum((abs(r.difference) for r in self.rows), Decimal(0))

    @property
    def gap_share(self) -> Decimal | None:
        """The gap over the billed total; None when nothing was billed."""
        return (self.gap / self.billed).quantize(_SHARE) if self.billed else None

    def within(self, tolerance: Decimal) -> bool:
        share = self.gap_share
        return self.gap == 0 if share is None else share <= tolerance


@dataclass
class _Cell:
    billed: Decimal = Decimal(0)
    labels: set[str] = field(default_factory=set)
    by_feature: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    calls: int = 0
    unpriced: int = 0


def _unit(items: Sequence[BilledItem]) -> Unit:
    kinds = {item.cost_usd is not None for item in items}
    if len(kinds) != 1:
        raise ExportError("the export mixes cost and usage (token) items; reconcile one kind at a time")
    return "usd" if kinds == {True} else "tokens"


def reconcile(billed: Sequence[BilledItem], traced: Iterable[Sequence[Any]]) -> Reconciliation:
    """``traced``: rows of ``otel_llm.query.traced_spend`` (day, model, feature, calls, priced
    cost, unpriced calls, tokens) over the same days as ``billed``."""
    unit = _unit(billed)
    days: dict[dt.date, dict[str, _Cell]] = defaultdict(lambda: defaultdict(_Cell))
    for item in billed:
        cell = days[item.day][ALL_MODELS if item.model is None else model_key(item.model)]
        cell.billed += item.cost_usd if item.cost_usd is not None else Decimal(item.tokens or 0)
        cell.labels.add(item.label)
    for day, model, feature, calls, cost, unpriced, tokens in traced:
        cells = days[day]
        key = model_key(model)
        if key not in cells and ALL_MODELS in cells:
            key = ALL_MODELS
        cell = cells[key]
        cell.by_feature[feature or "(untagged)"] += Decimal(str(cost)) if unit == "usd" else Decimal(tokens)
        cell.calls += int(calls)
        cell.unpriced += int(unpriced)
    rows = [
        ReconciledRow(day, key, cell.billed, sum(cell.by_feature.values(), Decimal(0)), cell.calls, cell.unpriced,
                      dict(sorted(cell.by_feature.items(), key=lambda kv: (-kv[1], kv[0]))), tuple(sorted(cell.labels)))
        for day, cells in sorted(days.items()) for key, cell in sorted(cells.items())
    ]
    return Reconciliation(unit, rows)
