"""The dashboard's URL query string, validated into typed values before anything reads the store.

A view is shareable because it lives in the URL: ``?range=7d&service=api&environment=prod``, or an
exact window ``?since=2026-01-01&until=2026-01-08``. Every value is checked here, and the reads
bind what comes out as query parameters; no text from the URL is ever formatted into SQL. A bad
value is a :class:`BadParameter` (HTTP 400 with one line naming the parameter), never a 500.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from urllib.parse import parse_qs, urlencode

__all__ = ["DEFAULT_RANGE", "MAX_LIMIT", "MAX_WINDOW", "RANGES", "BadParameter", "View", "parse_view"]

# The quick ranges of the filter form: label -> length (``today`` starts at 00:00 UTC).
RANGES: Mapping[str, dt.timedelta | None] = {
    "today": None, "24h": dt.timedelta(hours=24), "7d": dt.timedelta(days=7),
    "30d": dt.timedelta(days=30), "90d": dt.timedelta(days=90),
}
DEFAULT_RANGE = "7d"
MAX_WINDOW = dt.timedelta(days=400)  # a window longer than the rollups' retention reads nothing more
MAX_LIMIT = 200  # rows of a table; the engine's max_result_rows backs this up
MAX_TEXT = 256  # a service, environment or feature name longer than this is not one
_EARLIEST = dt.datetime(2000, 1, 1)
_LATEST = dt.datetime(2100, 1, 1)  # ClickHouse DateTime ends in 2106
_KNOWN = {"range", "since", "until", "service", "environment", "feature", "limit", "refresh", "token"}
_DEFAULT_LIMIT = 20
_DEFAULT_REFRESH = 60


class BadParameter(ValueError):
    """A query-string value the dashboard cannot use; the message names the parameter and the fix."""


@dataclass(frozen=True)
class View:
    """What one page shows: the window [since, until) (naive UTC), the filters, table rows and
    the auto-refresh period (seconds, 0 = off). ``range`` is the quick range it came from, or
    None for an exact ``since``/``until``."""

    since: dt.datetime
    until: dt.datetime
    range: str | None = DEFAULT_RANGE
    service: str | None = None
    environment: str | None = None
    feature: str | None = None
    limit: int = _DEFAULT_LIMIT
    refresh: int = _DEFAULT_REFRESH

    @property
    def label(self) -> str:
        """The window in words, for headings."""
        if self.range == "today":
            return "today (UTC)"
        if self.range is not None:
            return f"last {self.range}"
        return f"{self.since:%Y-%m-%d %H:%M} to {self.until:%Y-%m-%d %H:%M} UTC"

    def query_string(self, **changes: object) -> str:
        """This view's URL query (what a shared link carries), with ``changes`` applied."""
        view = replace(self, **changes) if changes else self  # type: ignore[arg-type]
        pairs: list[tuple[str, str]] = []
        if view.range is not None:
            pairs.append(("range", view.range))
        else:
            pairs += [("since", view.since.isoformat()), ("until", view.until.isoformat())]
        for name in ("service", "environment", "feature"):
            value = getattr(view, name)
            if value is not None:
                pairs.append((name, value))
        if view.limit != _DEFAULT_LIMIT:
            pairs.append(("limit", str(view.limit)))
        if view.refresh != _DEFAULT_REFRESH:
            pairs.append(("refresh", str(view.refresh)))
        return urlencode(pairs)


def _one(values: Mapping[str, Sequence[str]], name: str) -> str | None:
    found = values.get(name)
    if not found:
        return None
    if len(found) > 1:
        raise BadParameter(f"{name} is given {len(found)} times: give it once")
    return found[0]


def _text(values: Mapping[str, Sequence[str]], name: str) -> str | None:
    value = _one(values, name)
    if value is None or value == "":
        return None  # the form's "all" option
    if len(value) > MAX_TEXT or not value.isprintable():
        raise BadParameter(f"{name}: at most {MAX_TEXT} printable characters")
    return value


def _int(values: Mapping[str, Sequence[str]], name: str, default: int, low: int, high: int) -> int:
    text = _one(values, name)
    if text is None or text == "":
        return default
    if not (text.isascii() and text.isdigit()) or len(text) > 6 or not low <= int(text) <= high:
        raise BadParameter(f"{name}: a whole number from {low} to {high}")
    return int(text)


def _moment(values: Mapping[str, Sequence[str]], name: str) -> dt.datetime | None:
    text = _one(values, name)
    if text is None or text == "":
        return None
    try:
        moment = dt.datetime.fromisoformat(text) if text.isascii() and len(text) <= 40 else None
    except ValueError:
        moment = None
    if moment is None:
        raise BadParameter(f"{name}: an ISO date or time such as 2026-01-31 or 2026-01-31T12:00")
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    if not _EARLIEST <= moment <= _LATEST:
        raise BadParameter(f"{name}: a date between {_EARLIEST:%Y} and {_LATEST:%Y}")
    return moment.replace(microsecond=0)


def _window(values: Mapping[str, Sequence[str]], now: dt.datetime) -> tuple[dt.datetime, dt.datetime, str | None]:
    """A quick ``range`` wins over ``since``/``until``: the filter form sends both when a shared
    exact window is open and the reader picks a quick range, and the pick is what they asked for."""
    quick = _one(values, "range")
    since, until = _moment(values, "since"), _moment(values, "until")
    if quick or (since is None and until is None):
        quick = quick or DEFAULT_RANGE
        if quick not in RANGES:
            raise BadParameter(f"range: one of {', '.join(RANGES)} (or since= and until=)")
        length = RANGES[quick]
        start = now.replace(hour=0, minute=0, second=0) if length is None else now - length
        return start, now, quick
    since = since or (until or now) - RANGES[DEFAULT_RANGE]  # type: ignore[operator]
    until = until or now
    if since >= until:
        raise BadParameter("since must be before until")
    if until - since > MAX_WINDOW:
        raise BadParameter(f"the window is longer than {MAX_WINDOW.days} days: narrow since/until")
    return since, until, None


def parse_view(query: str, now: dt.datetime) -> View:
    """The view a URL query string asks for, as of ``now`` (naive UTC). Raises BadParameter."""
    if len(query) > 4096:
        raise BadParameter("the query string is longer than 4096 characters")
    try:
        values = parse_qs(query, keep_blank_values=True, strict_parsing=False, max_num_fields=20)
    except ValueError as exc:
        raise BadParameter("too many query parameters") from exc
    unknown = sorted(set(values) - _KNOWN)
    if unknown:
        names = ", ".join(repr(u[:40]) for u in unknown[:3])
        raise BadParameter(f"unknown parameter {names}; known: {', '.join(sorted(_KNOWN - {'token'}))}")
    now = now.replace(microsecond=0)
    since, until, quick = _window(values, now)
    return View(
        since=since, until=until, range=quick,
        service=_text(values, "service"), environment=_text(values, "environment"),
        feature=_text(values, "feature"),
        limit=_int(values, "limit", _DEFAULT_LIMIT, 1, MAX_LIMIT),
        refresh=_refresh(values),
    )


def _refresh(values: Mapping[str, Sequence[str]]) -> int:
    seconds = _int(values, "refresh", _DEFAULT_REFRESH, 0, 86400)
    if 0 < seconds < 5:
        raise BadParameter("refresh: 0 (off) or at least 5 seconds")
    return seconds
