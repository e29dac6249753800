"""OpenAI's own numbers: the Costs API and the Completions Usage API, as their JSON pages.

- Costs (``GET /v1/organization/costs``, daily buckets): each result has ``amount.value`` in
  ``amount.currency`` (``usd``) and, with ``group_by=line_item``, a ``line_item`` such as
  ``gpt-4o-2024-08-06, input``. The costs carry no model field, so a line item is matched by the
  name before its first comma (``gpt-4o-2024-08-06``), compared as :func:`model_key` compares
  names; a line item that names no traced model (a tool fee, storage) stays a billed row of its
  own. Without ``group_by=line_item`` (``line_item`` null) the amount covers every model of its day.
- Usage (``GET /v1/organization/usage/completions``, ``group_by=model``): each result has
  ``model``, ``input_tokens`` (cache included), ``output_tokens``; compared in tokens.

Buckets start at ``start_time`` (Unix seconds, UTC).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from otel_llm.reconcile._items import BilledItem, ExportError, buckets, decimal_of, int_of, read_json

__all__ = ["parse_openai"]

_COSTS = "organization.costs.result"
_COMPLETIONS = "organization.usage.completions.result"


def _day(start: Any, path: str | Path, number: int) -> dt.date:
    problem = f"{path}: bucket #{number} has no numeric start_time (Unix seconds)"
    if isinstance(start, bool) or not isinstance(start, int | float | Decimal):
        raise ExportError(problem)
    try:
        return dt.datetime.fromtimestamp(float(start), dt.timezone.utc).date()
    except (OverflowError, OSError, ValueError) as exc:
        raise ExportError(f"{problem}: {start} is out of range") from exc


def _cost(result: Mapping[str, Any], day: dt.date, where: str) -> BilledItem:
    amount = result.get("amount")
    if not isinstance(amount, Mapping):
        raise ExportError(f"{where}: a costs result has no 'amount' object")
    currency = str(amount.get("currency") or "usd")
    if currency.lower() != "usd":
        raise ExportError(f"{where}: amount in {currency!r}; only USD can be held against traced costs")
    line_item = result.get("line_item")
    model = str(line_item).split(",", 1)[0].strip() if line_item else None
    return BilledItem(day, model or None, str(line_item or "all line items"),
                      cost_usd=decimal_of(amount.get("value"), f"{where}: amount.value"))


def _usage(result: Mapping[str, Any], day: dt.date, where: str) -> BilledItem:
    model = result.get("model")
    tokens = int_of(result.get("input_tokens"), f"{where}: input_tokens") + int_of(
        result.get("output_tokens"), f"{where}: output_tokens")
    return BilledItem(day, str(model) if model else None, str(model or "all models"), tokens=tokens)


def parse_openai(text: str, path: str | Path) -> list[BilledItem]:
    """Billed items from a Costs or a Completions Usage export (told apart by each result's
    ``object``, or by ``amount`` versus ``input_tokens`` when that is missing)."""
    items = []
    for number, result, start in buckets(read_json(text, path), path):
        where = f"{path}: bucket #{number}"
        kind = result.get("object")
        day = _day(start, path, number)
        if kind == _COSTS or (kind is None and "amount" in result):
            items.append(_cost(result, day, where))
        elif kind == _COMPLETIONS or (kind is None and "input_tokens" in result):
            items.append(_usage(result, day, where))
        else:
            raise ExportError(f"{where}: result of type {kind!r} is neither {_COSTS!r} nor {_COMPLETIONS!r}")
    return items
