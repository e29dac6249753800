"""``otel-llm top``: where the money concentrates, and how context grows within a session.

- ``types``: call types (feature x model x operation) by cost, with the cumulative share, and
  ``in_top80`` marking the few types that make up 80% of the spend (the usual 20/80). A type whose
  calls are all unpriced has no cost (null, ``-``) and comes last; ``unpriced_calls`` counts them,
  and ``cost_per_call`` is per priced call. The sums match ``otel-llm report`` over the same window.
- ``calls``: the most expensive single calls (from ``llm_calls``), with their trace ids.
- ``context``: input tokens by turn within a session (calls ordered by time per ``session.id``),
  averaged over sessions: the "context window tax" of long conversations.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from decimal import Decimal
from typing import Any

from otel_llm.cli._common import add_format_option, add_store_options, open_source
from otel_llm.cli._output import render
from otel_llm.cli._time import parse_when
from otel_llm.query import QuerySource, Result
from otel_llm.query.reads import context_by_turn, costliest_calls, top_call_types

__all__ = ["SECTIONS", "add_parser", "top_calls", "top_context", "top_types"]

SECTIONS = ("types", "calls", "context")


def top_types(source: QuerySource, database: str, params: dict[str, Any], limit: int) -> Result:
    result = top_call_types(source, database, params["since"], params["until"])
    costs = [None if r[4] is None else Decimal(str(r[4])) for r in result.rows]  # None: all unpriced
    total = sum((c for c in costs if c is not None), Decimal(0))
    rows, running = [], Decimal(0)
    for row, cost in zip(result.rows[:limit], costs, strict=False):
        before = running
        running += cost or 0
        share = running / total if total else Decimal(0)
        rows.append((*row, share, cost is not None and total > 0 and before < total * Decimal("0.8")))
    return Result([*result.columns, "cumulative_share", "in_top80"], rows)


def top_calls(source: QuerySource, database: str, params: dict[str, Any], limit: int) -> Result:
    return costliest_calls(source, database, params["since"], params["until"], limit)


def top_context(source: QuerySource, database: str, params: dict[str, Any], limit: int) -> Result:
    return context_by_turn(source, database, params["since"], params["until"], limit)


_RUNNERS = {"types": top_types, "calls": top_calls, "context": top_context}


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("top", help="most expensive call types and calls; context growth per turn",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sections", nargs="*", metavar="SECTION",
                        help=f"one or more of {', '.join(SECTIONS)} (default all)")
    parser.add_argument("--since", default="30d", help="start: an age (7d, 24h) or an ISO date (default 30d)")
    parser.add_argument("--until", default=None, help="end, exclusive (default now)")
    parser.add_argument("--limit", type=int, default=20, help="rows per section (default 20)")
    add_format_option(parser)
    add_store_options(parser)
    parser.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    until = parse_when(args.until) if args.until else dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    params = {"since": parse_when(args.since), "until": until}
    sections = list(dict.fromkeys(args.sections or SECTIONS))
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        raise ValueError(f"unknown section(s) {', '.join(unknown)}; use {', '.join(SECTIONS)}")
    with open_source(args) as source:
        results = {name: _RUNNERS[name](source, args.database, params, args.limit) for name in sections}
    if args.format == "json":
        merged = {name: json.loads(render(r.columns, _rounded(r).rows, "json")) for name, r in results.items()}
        sys.stdout.write(json.dumps(merged, indent=2) + "\n")
        return 0
    for name, result in results.items():
        if args.format == "table":
            print(f"== {name} ==")
            if not result.rows:
                print(f"({_EMPTY[name]})\n")
                continue
        sys.stdout.write(render(result.columns, _rounded(result).rows, args.format))
        if args.format == "table":
            print()
    return 0


# Why a section can be empty, in the table (JSON and CSV print no rows: scripts need no prose).
_EMPTY = {
    "types": "no calls in this window",
    "calls": "no calls in this window",
    "context": "no calls with a session id in this window: tag them, e.g. otel_llm.tag(session_id=...), "
               "to see input tokens grow turn by turn",
}
_SHARE_DIGITS = Decimal("0.0001")


def _rounded(result: Result) -> Result:
    """The cumulative share to 4 decimals (a Decimal quotient carries 28 digits)."""
    if "cumulative_share" not in result.columns:
        return result
    at = result.columns.index("cumulative_share")
    rows = [(*row[:at], Decimal(row[at]).quantize(_SHARE_DIGITS), *row[at + 1:]) for row in result.rows]
    return Result(result.columns, rows)
