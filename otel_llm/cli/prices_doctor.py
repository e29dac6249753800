"""``otel-llm prices doctor [--since 30d]``: the models your calls used that have a price gap.

Lists every model seen in the store in the window whose calls are unpriced, or priced from a
price the newest map no longer lists (``history``) or from the same model at another host
(``other_host``), with call counts, what the price book says about it today, and the alias line
for the ``OTEL_LLM_PRICES`` file (under ``aliases:``) that would price it: for an unknown name,
the closest name the book lists for that provider (check it is the same model before using it);
for a name priced under another spelling, that spelling, to make the choice explicit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
from typing import TYPE_CHECKING

from otel_llm import semconv
from otel_llm.cli._common import add_format_option, add_store_options, open_source
from otel_llm.cli._output import render
from otel_llm.cli._time import parse_when
from otel_llm.query.price_gaps import models_seen

if TYPE_CHECKING:
    from otel_llm.pricing import PriceBook

__all__ = ["add_parser"]

_COLUMNS = ["provider", "model", "calls", "unpriced_calls", "stored_source", "book_source", "priced_as", "alias_line"]
_GAPS = (semconv.PRICING_SOURCE_HISTORY, semconv.PRICING_SOURCE_OTHER_HOST)


def add_parser(actions: argparse._SubParsersAction) -> None:
    doctor = actions.add_parser(
        "doctor",
        help="models seen in the store that are unpriced or priced from history or another host",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    doctor.add_argument("--since", default="30d", help="start: an age (7d, 24h) or an ISO date (default 30d)")
    doctor.add_argument("--until", default=None, help="end: an age or an ISO date (default now)")
    add_store_options(doctor)
    add_format_option(doctor)
    doctor.set_defaults(func=command)


def _stored_source(row: dict) -> str:
    if row["unpriced_calls"]:
        return "unpriced"
    if row["history_calls"]:
        return semconv.PRICING_SOURCE_HISTORY
    return semconv.PRICING_SOURCE_OTHER_HOST if row["other_host_calls"] else ""


def _closest(book: PriceBook, provider: str, model: str) -> str:
    names = sorted({p.model for p in book.entries() if p.provider == provider} or {p.model for p in book.entries()})
    match = difflib.get_close_matches(model.lower(), names, n=1, cutoff=0.75)
    return match[0] if match else "<model name in the price book>"


def diagnose(rows: list[dict], book: PriceBook) -> list[tuple]:
    """One output row per model with a gap, stored or in today's book."""
    out = []
    for row in rows:
        found = book.price_and_source(row["model"], row["provider"] or None) if row["model"] else None
        book_source = found[1] if found else "unpriced"
        stored = _stored_source(row)
        if not stored and book_source not in ("unpriced", *_GAPS):
            continue
        priced_as = f"{found[0].provider}/{found[0].model}" if found else ""
        if found is None:
            target = f"{_closest(book, row['provider'], row['model'])}  # check it is the same model"
        elif found[0].model != row["model"].lower():
            target = found[0].model
        else:
            target = ""
        alias = f'  "{row["model"]}": {target}' if target else ""
        out.append(
            (row["provider"], row["model"], row["calls"], row["unpriced_calls"], stored, book_source, priced_as, alias)
        )
    return out


def command(args: argparse.Namespace) -> int:
    from otel_llm.pricing import default_price_book

    until = parse_when(args.until) if args.until else dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    since = parse_when(args.since)
    with open_source(args) as source:
        rows = models_seen(source, args.database, since, until).dicts()
    found = diagnose(rows, default_price_book())
    if not found:
        print(f"no price gaps: every model seen since {since:%Y-%m-%d %H:%M} is priced at its own provider")
        return 0
    print(render(_COLUMNS, found, args.format), end="")
    if args.format == "table" and any(r[-1] for r in found):
        print(f"\nPut the alias lines under 'aliases:' in the file {semconv.ENV_PRICES} names.")
    return 0
