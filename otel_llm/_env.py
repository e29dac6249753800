"""Reading settings from the environment, the OpenTelemetry way.

A bad value never raises into the user's app: it falls back to the default and logs once why,
as the OpenTelemetry SDK does for its own ``OTEL_*`` variables. Every setting goes through these
helpers, so the parsing is written once.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Collection
from typing import TypeVar

__all__ = ["env_bool", "env_choice", "env_float", "env_int", "env_reader", "env_str"]

_log = logging.getLogger(__name__)
_T = TypeVar("_T")

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or default


def env_reader(name: str) -> Callable[[], str | None]:
    """A reader of one variable, for a setting read on every LLM call so that a changed value applies.

    ``os.environ.get`` of an unset name raises and catches ``KeyError`` twice (0.7 µs in a hot
    loop, several times that between two SDK calls); the reader looks the name, encoded once, up in
    the mapping behind ``os.environ`` (30 ns), which ``os.environ``'s setters keep current, so it
    sees exactly what ``env_str`` sees. An interpreter whose ``os.environ`` lacks that mapping
    gets ``env_str``.
    """
    environ = os.environ
    data = getattr(environ, "_data", None)
    encode = getattr(environ, "encodekey", None)
    decode = getattr(environ, "decodevalue", None)
    if not isinstance(data, dict) or encode is None or decode is None:
        return lambda: env_str(name)
    key = encode(name)

    def read() -> str | None:
        raw = data.get(key)
        return None if raw is None else (decode(raw).strip() or None)

    return read


def _parsed(name: str, default: _T, parse: Callable[[str], _T], expected: str) -> _T:
    raw = env_str(name)
    if raw is None:
        return default
    try:
        return parse(raw)
    except ValueError:
        _log.warning("Invalid value %r for %s (expected %s); using %r", raw, name, expected, default)
        return default


def _bool(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(raw)


def env_bool(name: str, default: bool) -> bool:
    return _parsed(name, default, _bool, "true or false")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    def parse(raw: str) -> int:
        value = int(raw)
        if minimum is not None and value < minimum:
            raise ValueError(raw)
        return value

    return _parsed(name, default, parse, "an integer" if minimum is None else f"an integer >= {minimum}")


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    """A finite number: ``nan`` and ``inf`` parse as floats but mean nothing as a size or a timeout."""

    def parse(raw: str) -> float:
        value = float(raw)
        if not math.isfinite(value) or (minimum is not None and value < minimum):
            raise ValueError(raw)
        return value

    return _parsed(name, default, parse, "a finite number" if minimum is None else f"a number >= {minimum:g}")


def env_choice(name: str, default: str, choices: Collection[str]) -> str:
    """A case-insensitive enumerated value, returned in the spelling of ``choices``."""
    by_lower = {c.lower(): c for c in choices}

    def parse(raw: str) -> str:
        try:
            return by_lower[raw.lower()]
        except KeyError:
            raise ValueError(raw) from None

    return _parsed(name, default, parse, "one of " + ", ".join(choices))
