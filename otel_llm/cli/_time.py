"""--since / --until values: a relative age (30m, 24h, 7d, 2w) or an ISO date or datetime, in UTC."""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["parse_when"]

_RELATIVE = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_when(text: str, now: dt.datetime | None = None) -> dt.datetime:
    """A naive UTC datetime (what ClickHouse DateTime parameters expect). Raises ValueError."""
    now = now or dt.datetime.now(dt.timezone.utc)
    match = _RELATIVE.match(text)
    if match:
        moment = now - dt.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    else:
        try:
            moment = dt.datetime.fromisoformat(text.strip())
        except ValueError:
            raise ValueError(f"{text!r} is neither an age like 7d/24h/30m nor an ISO date") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment.replace(microsecond=0)
