"""Numbers as the dashboard shows them, and as its JSON carries them.

An unknown value (a cost no price covers) is ``-`` on the page and ``null`` in JSON: never $0.
Table cells keep the exact value in ``data-value`` so tests and scripts compare numbers, not
their rounding.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

__all__ = ["UNKNOWN", "count", "money", "percent", "plain", "to_json"]

UNKNOWN = "-"


def money(value: Any) -> str:
    """``$1,234``, ``$12.35``, ``$0.0123``; ``-`` when unknown."""
    if value is None:
        return UNKNOWN
    amount = Decimal(str(value))
    if abs(amount) >= 1000:
        return f"${amount.quantize(Decimal(1), ROUND_HALF_UP):,}"
    if abs(amount) >= 1 or amount == 0:
        return f"${amount.quantize(Decimal('0.01'), ROUND_HALF_UP):,}"  # half up, as on an invoice
    if abs(amount) < Decimal("0.0001"):
        return f"${float(amount):.2e}"
    digits = f"{float(amount):.3g}"  # three significant digits, at least cents: $0.10, $0.0123
    whole, _, cents = digits.partition(".")
    return f"${whole}.{cents.ljust(2, '0')}"


def count(value: Any) -> str:
    return UNKNOWN if value is None else f"{int(value):,}"


def percent(value: Any, signed: bool = False) -> str:
    if value is None:
        return UNKNOWN
    share = float(value) * 100
    if signed:
        return f"{share:+.0f}%"
    return f"{share:.2g}%" if 0 < abs(share) < 0.1 else f"{share:.1f}%"  # 0.0% would read as nothing


def plain(value: Any) -> Any:
    """JSON-ready: Decimal money as a number (up to 9 decimals, exact as a float), datetimes as ISO."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return value


def to_json(value: Any) -> bytes:
    """Compact JSON with ``<``, ``>`` and ``&`` as ``\\u`` escapes: the same data, but no byte of it
    can be read as markup by anything that sniffs or embeds the response."""
    text = json.dumps(plain(value), separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode()
