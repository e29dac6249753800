"""The Anthropic console's CSV exports (Usage and Cost pages, "Export"), one row per day and item.

Two shapes, told apart by their header (``usage_date_utc`` names the UTC day in both):

- cost: ``model`` (a display name such as ``Claude Haiku 4.5``), ``token_type``, ``cost_usd``
  (what was charged, in dollars; ``list_price_usd`` before discounts is not used), ``cost_type``;
- usage: ``model_version``, ``usage_input_tokens_no_cache``, ``usage_input_tokens_cache_write_5m``,
  ``usage_input_tokens_cache_write_1h``, ``usage_input_tokens_cache_read``, ``usage_output_tokens``.

Other columns (workspace, API key, context window, geography) are ignored.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping
from pathlib import Path

from otel_llm.reconcile._items import BilledItem, ExportError, decimal_of, int_of

__all__ = ["parse_console_csv"]

_DAY = "usage_date_utc"
_USAGE_TOKENS = ("usage_input_tokens_no_cache", "usage_input_tokens_cache_write_5m",
                 "usage_input_tokens_cache_write_1h", "usage_input_tokens_cache_read", "usage_output_tokens")


def _cost_row(row: Mapping[str, str], day: dt.date, where: str) -> BilledItem:
    cost = decimal_of(row["cost_usd"], f"{where}: cost_usd")
    model = (row.get("model") or "").strip()
    cost_type = (row.get("cost_type") or "").strip()
    label = " ".join(v for v in (model, row.get("token_type") or cost_type) if v) or "all costs"
    if model:
        return BilledItem(day, model, label, cost_usd=cost)
    return BilledItem(day, None if cost_type in ("", "token", "tokens") else cost_type, label, cost_usd=cost)


def _usage_row(row: Mapping[str, str], day: dt.date, where: str) -> BilledItem:
    tokens = sum(int_of((row.get(column) or "0").strip(), f"{where}: {column}") for column in _USAGE_TOKENS)
    model = (row.get("model_version") or "").strip()
    return BilledItem(day, model or None, model or "all models", tokens=tokens)


def parse_console_csv(text: str, path: str | Path) -> list[BilledItem]:
    reader = csv.DictReader(io.StringIO(text))
    columns = reader.fieldnames or []
    if _DAY not in columns or not ("cost_usd" in columns or "usage_output_tokens" in columns):
        raise ExportError(f"{path}: not an Anthropic export (a JSON cost/usage report, or a console CSV with "
                          f"{_DAY} and cost_usd or usage_* token columns); its header is {', '.join(columns)[:200]!r}")
    parse = _cost_row if "cost_usd" in columns else _usage_row
    items = []
    for line, row in enumerate(reader, start=2):
        where = f"{path}: line {line}"
        try:
            day = dt.date.fromisoformat((row.get(_DAY) or "").strip())
        except ValueError as exc:
            raise ExportError(f"{where}: {_DAY} {row.get(_DAY)!r} is not a YYYY-MM-DD date") from exc
        items.append(parse(row, day, where))
    return items
