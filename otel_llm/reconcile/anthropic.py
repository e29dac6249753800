"""Anthropic's own numbers: the Usage and Cost Admin API as JSON pages, or the console's CSV export.

- Cost report (``GET /v1/organizations/cost_report``, daily buckets from ``starting_at``): each
  result has ``amount``, a decimal string in the currency's LOWEST unit (``"123.45"`` USD is
  $1.2345), and, with ``group_by[]=description``, ``model``, ``token_type`` and ``cost_type``.
  A token cost without a model (not grouped by description) covers every model of its day; a
  ``web_search`` or ``code_execution`` cost is a billed row of its own, which no trace explains.
- Messages usage report (``GET /v1/organizations/usage_report/messages``, ``group_by[]=model``):
  ``uncached_input_tokens``, ``cache_creation`` (5-minute and 1-hour writes),
  ``cache_read_input_tokens`` and ``output_tokens``, compared in tokens.
- Console CSV (``otel_llm.reconcile.anthropic_csv``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from otel_llm.reconcile._items import BilledItem, ExportError, buckets, decimal_of, int_of, read_json
from otel_llm.reconcile.anthropic_csv import parse_console_csv

__all__ = ["parse_anthropic"]

_CENTS = Decimal(100)


def _day(start: Any, where: str) -> dt.date:
    try:
        return dt.datetime.fromisoformat(str(start).replace("Z", "+00:00")).astimezone(dt.timezone.utc).date()
    except ValueError as exc:
        raise ExportError(f"{where}: starting_at {start!r} is not an RFC 3339 time") from exc


def _cost(result: Mapping[str, Any], day: dt.date, where: str) -> BilledItem:
    currency = str(result.get("currency") or "USD")
    if currency.upper() != "USD":
        raise ExportError(f"{where}: amount in {currency!r}; only USD can be held against traced costs")
    cost = decimal_of(result.get("amount"), f"{where}: amount") / _CENTS
    model = result.get("model")
    cost_type = result.get("cost_type")
    label = str(result.get("description") or cost_type or "all costs")
    if model:
        return BilledItem(day, str(model), label, cost_usd=cost)
    if cost_type in (None, "tokens"):
        return BilledItem(day, None, label, cost_usd=cost)
    return BilledItem(day, str(cost_type), label, cost_usd=cost)


def _usage(result: Mapping[str, Any], day: dt.date, where: str) -> BilledItem:
    writes = result.get("cache_creation") or {}
    if not isinstance(writes, Mapping):
        raise ExportError(f"{where}: cache_creation is not an object")
    counts = [result.get("uncached_input_tokens"), result.get("cache_read_input_tokens"),
              result.get("output_tokens"), *writes.values()]
    tokens = sum(int_of(value, f"{where}: a token count") for value in counts)
    model = result.get("model")
    return BilledItem(day, str(model) if model else None, str(model or "all models"), tokens=tokens)


def _parse_json(text: str, path: str | Path) -> list[BilledItem]:
    items = []
    for number, result, start in buckets(read_json(text, path), path):
        where = f"{path}: bucket #{number}"
        day = _day(start, where)
        if "amount" in result:
            items.append(_cost(result, day, where))
        elif "uncached_input_tokens" in result or "output_tokens" in result:
            items.append(_usage(result, day, where))
        else:
            raise ExportError(f"{where}: a result with neither 'amount' (cost report) "
                              "nor 'uncached_input_tokens' (usage report)")
    return items


def parse_anthropic(text: str, path: str | Path) -> list[BilledItem]:
    """Billed items from a cost or usage report (JSON) or a console CSV export (anything that is
    not a JSON object or list)."""
    if text.lstrip()[:1] in ("{", "["):
        return _parse_json(text, path)
    return parse_console_csv(text, path)
