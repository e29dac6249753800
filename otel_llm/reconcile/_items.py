"""What every provider export becomes: billed items per UTC day, and the helpers the parsers share.

The parsers turn a provider's file into :class:`BilledItem` rows and stop there; comparing them with
the traces is ``compare.py``'s job, so a new export format is one parser and nothing else.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

__all__ = ["BilledItem", "ExportError", "buckets", "decimal_of", "int_of", "model_key", "read_json", "read_text"]

_DATE_SUFFIX = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{8})$")


class ExportError(ValueError):
    """The file cannot be read as the provider's export; the message names the problem in one line."""


@dataclass(frozen=True, slots=True)
class BilledItem:
    """One amount the provider reports for one UTC day.

    ``model`` is None when the export does not split the amount by model (a cost report without
    grouping by line item or description): it then stands for every model of that day. Exactly one
    of ``cost_usd`` (cost exports) and ``tokens`` (usage exports: input, cache included, plus
    output) is set. ``label`` is what the export calls the item (a line item, a description)."""

    day: dt.date
    model: str | None
    label: str
    cost_usd: Decimal | None = None
    tokens: int | None = None


def model_key(name: str) -> str:
    """The name both sides are matched by: lower case, spaces and dots as dashes (the console's
    ``Claude Haiku 4.5`` is ``claude-haiku-4-5``), without a trailing snapshot date
    (``gpt-4o-2024-08-06`` and ``claude-sonnet-4-20250514`` are ``gpt-4o`` and ``claude-sonnet-4``),
    so a bill by snapshot or display name meets traces by alias. Nothing else is stripped:
    ``gpt-4o-mini`` never meets ``gpt-4o``, nor ``claude-3-5-haiku`` ``claude-haiku-4-5``."""
    return _DATE_SUFFIX.sub("", "-".join(name.strip().lower().replace(".", "-").split()))


def read_text(path: str | Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExportError(f"cannot read {path}: {exc}") from exc


def read_json(text: str, path: str | Path) -> list[Mapping[str, Any]]:
    """The pages in ``text``: one page object, a JSON list of pages (several ``next_page`` answers
    saved together), or one page per line (JSON Lines). Numbers with a fraction are read as Decimal,
    so ``0.13080438`` dollars stay those digits."""
    try:
        data = json.loads(text, parse_float=Decimal)
    except ValueError:
        try:
            data = [json.loads(line, parse_float=Decimal) for line in text.splitlines() if line.strip()]
        except ValueError as exc:
            raise ExportError(f"{path} is not JSON: {exc}") from exc
    pages = data if isinstance(data, list) else [data]
    if not pages or not all(isinstance(p, Mapping) and isinstance(p.get("data"), list) for p in pages):
        raise ExportError(f"{path}: expected an API page (an object with a 'data' list of buckets) or a list of them")
    return pages


def buckets(pages: list[Mapping[str, Any]], path: str | Path) -> Iterator[tuple[int, Mapping[str, Any], Any]]:
    """(bucket number, result, bucket start) for every result of every bucket of every page."""
    number = 0
    for page in pages:
        for bucket in page["data"]:
            number += 1
            results = bucket.get("results") if isinstance(bucket, Mapping) else None
            if not isinstance(results, list):
                raise ExportError(f"{path}: bucket #{number} has no 'results' list")
            for result in results:
                if not isinstance(result, Mapping):
                    raise ExportError(f"{path}: bucket #{number} holds a result that is not an object")
                yield number, result, bucket.get("start_time", bucket.get("starting_at"))


def decimal_of(value: Any, what: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        number = Decimal("NaN")
    if value is None or isinstance(value, bool) or not number.is_finite():
        raise ExportError(f"{what} is {value!r}, not a number")
    return number


def int_of(value: Any, what: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise ExportError(f"{what} is {value!r}, not a token count")
    return int(value)
