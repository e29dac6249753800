"""Attribute values as the OTel Collector's ClickHouse exporter writes them into ``Map(..., String)``.

Why mirror Go byte for byte: a team that already runs the contrib ``clickhouseexporter`` puts our
views on its ``otel_traces`` table, and its rows and ours must compare equal in SQL
(``SpanAttributes['gen_ai.usage.input_tokens'] = '12'`` must match both). That exporter calls
pdata's ``Value.AsString()``:

- strings as they are; ``None`` (an empty value) as ``""``;
- booleans ``true`` / ``false``; integers in decimal;
- doubles like Go's ``encoding/json`` (ES6 number formatting): ``1`` not ``1.0``, ``0.00001`` not
  ``1e-05``, ``1e-7`` not ``1e-07``, ``1e+21``; NaN and infinities as Go's odd
  ``json: unsupported value: NaN`` text (kept so that such rows are recognisably the same);
- bytes as standard base64;
- sequences and mappings as compact JSON, mapping keys sorted, ``<``, ``>``, ``&``, U+2028 and
  U+2029 escaped as ``\\u003c``-style sequences like Go's ``json.Marshal``; a sequence holding a
  NaN or an infinity becomes ``""`` (Go's marshal fails and the error is ignored).

Reuse (the collector): ``stringify_value`` takes plain Python values, so an OTLP protobuf
``AnyValue`` is converted with its natural Python value (``string_value`` -> ``str``,
``array_value`` -> ``list``, ``kvlist_value`` -> ``dict``, ``bytes_value`` -> ``bytes``) and
passed here; ``stringify_attributes`` does a whole mapping.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

__all__ = ["stringify_attributes", "stringify_value", "valid_utf8"]

_JSON_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_JSON_TABLE = str.maketrans(
    {**{chr(c): f"\\u{c:04x}" for c in range(0x20)}, **_JSON_ESCAPES}
    # A lone surrogate is what invalid UTF-8 becomes in Python; Go escapes invalid UTF-8 as U+FFFD.
    | {chr(c): "\\ufffd" for c in range(0xD800, 0xE000)}
)


# Characters a JSON string must escape; a comma-joined tuple without them becomes JSON by concatenation.
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f<>&\u2028\u2029\ud800-\udfff]')


_SURROGATE = re.compile("[\ud800-\udfff]")


class _UnsupportedFloat(ValueError):
    """Go's json.Marshal refuses NaN and infinities; the whole value then stringifies to ``""``."""


def stringify_attributes(attributes: Mapping[str, Any] | None) -> dict[str, str]:
    """A span, resource, event or link attribute mapping as ``Map(String, String)`` values."""
    if not attributes:
        return {}
    # One C-level copy to a plain dict (the SDK's BoundedAttributes, behind a MappingProxyType,
    # copies itself that way; iterating it through the Mapping ABC costs more than the conversion),
    # then only the values that are not strings are replaced, in place.
    copy = getattr(attributes, "copy", None)
    out: dict[str, Any] = copy() if copy is not None else dict(attributes)
    if type(out) is not dict:
        out = dict(out)
    for key, value in out.items():
        kind = type(value)
        if kind is not str:
            out[key] = str(value) if kind is int else stringify_value(value)
    return out


def stringify_value(value: Any) -> str:
    """One attribute value as Go's pdata ``Value.AsString()`` spells it."""
    if isinstance(value, str):
        return str(value)
    if value is None:
        return ""
    if isinstance(value, float):
        return _go_float(value)  # unlike inside JSON, NaN and infinities have a spelling here
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")  # unquoted, unlike inside JSON
    if isinstance(value, int):
        return _json(value)  # booleans and integers read the same alone and in JSON
    if type(value) is tuple and value and all(type(item) is str for item in value):
        # The SDK stores sequences as tuples; string tuples (finish reasons...) are the common case.
        joined = '","'.join(value)
        if _NEEDS_ESCAPE.search(joined) is None:
            return '["' + joined + '"]'
    try:
        return _json(value)
    except _UnsupportedFloat:
        return ""


def _go_float(value: float) -> str:
    """Go's ``float64AsString``: shortest round-trip digits, fixed notation in [1e-6, 1e21)."""
    text = repr(value)  # Python's repr has the same shortest round-trip digits as Go
    if "e" not in text and "n" not in text:  # repr's fixed range, 1e-4 <= |value| < 1e16, or zero
        return text[:-2] if text.endswith(".0") else text
    if math.isnan(value):
        return "json: unsupported value: NaN"
    if math.isinf(value):
        return "json: unsupported value: " + ("+Inf" if value > 0 else "-Inf")
    if 1e-6 <= abs(value) < 1e21:  # repr already uses an exponent here, Go not yet
        return format(Decimal(text), "f")
    mantissa, _, exponent = text.partition("e")  # both use exponents; Go trims e-0X to e-X
    if exponent.startswith("-0"):
        exponent = "-" + exponent[2:]
    return f"{mantissa}e{exponent}"


def _json(value: Any) -> str:
    """Compact JSON as Go's ``json.Marshal`` writes a pdata slice or map (after ``AsRaw``)."""
    if isinstance(value, str):
        return '"' + str(value).translate(_JSON_TABLE) + '"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise _UnsupportedFloat(value)
        return _go_float(value)
    if isinstance(value, (bytes, bytearray)):
        return '"' + base64.b64encode(value).decode("ascii") + '"'
    if isinstance(value, Mapping):
        items = sorted(((str(k), v) for k, v in value.items()), key=lambda item: item[0])
        return "{" + ",".join(_json(k) + ":" + _json(v) for k, v in items) + "}"
    return "[" + ",".join(_json(item) for item in value) + "]"


def valid_utf8(value: Any) -> Any:
    """``value`` (a string, or lists and dicts of them) with lone surrogates replaced by U+FFFD.

    Only for the rare batch that failed to encode: checking every string of every span up front
    would tax the common case for a value that almost never occurs.
    """
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {valid_utf8(k): valid_utf8(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [valid_utf8(item) for item in value]
    return value
