"""``otel-llm report``: where the money goes, from the rollup tables.

``--format json`` prints one object per group; its keys are a stable interface for scripts:
the grouping keys (``feature``, ``model``, ``provider``, ``user``, ``service``, ``day``) then
``calls``, ``cost_usd``, ``input_tokens`` (cache included), ``output_tokens`` (reasoning
included), ``cache_read_tokens``, ``cache_write_tokens``, ``reasoning_tokens``,
``cache_hit_rate`` (share of calls that read from the prompt cache), ``cache_savings_usd``, ``errors`` and
``unpriced_calls``. Groups come sorted by cost, most expensive first.

Unknown is never $0: a group whose calls are all unpriced has ``"cost_usd": null`` (and
``cache_savings_usd`` null), ``-`` in the table and an empty CSV cell; a group partly priced keeps
the sum of its priced calls, and ``unpriced_calls`` says how many calls that sum leaves out (the
TOTAL line likewise). ``otel-llm top types`` reads the same rollup the same way, so the two agree.

Windows are whole rollup buckets: a bucket counts when it overlaps [since, until), so hours
for the hourly rollup, and days with ``--by user`` (read from the daily per-user rollup).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from otel_llm.cli._common import add_format_option, add_store_options, open_source
from otel_llm.cli._output import render
from otel_llm.cli._time import parse_when
from otel_llm.query import QuerySource, Result
from otel_llm.query.reads import REPORT_METRICS, Group, usage_by, usage_series

__all__ = ["GROUPINGS", "ReportQuery", "add_parser", "run_report"]

GROUPINGS = ("feature", "model", "provider", "user", "service", "day")
_SUMMABLE = [name for name in REPORT_METRICS if name != "cache_hit_rate"]


@dataclass(frozen=True)
class ReportQuery:
    """What to report: the groupings, the window [since, until) and an optional service."""

    by: tuple[Group, ...]
    since: dt.datetime
    until: dt.datetime
    service: str | None = None


def run_report(source: QuerySource, query: ReportQuery, database: str) -> Result:
    return usage_by(source, database, query.by, query.since, query.until, service=query.service)


def _known_sum(values: list[Any]) -> Decimal | None:
    """The sum of the known values; None (unknown) when none is known, as a group's cost is."""
    known = [Decimal(str(v)) for v in values if v is not None]
    return None if values and not known else sum(known, Decimal(0))


def _total_row(result: Result, n_keys: int) -> tuple[Any, ...]:
    """The TOTAL line of the table: sums of the summable metrics, the hit rate over all calls
    (each group's hit calls are its rate times its calls, an integer, so rounding recovers it)."""
    rows = result.dicts()
    totals: dict[str, Any] = {name: _known_sum([r[name] for r in rows]) for name in _SUMMABLE}
    hit_calls = sum(round(float(r["cache_hit_rate"]) * int(r["calls"])) for r in rows)
    totals["cache_hit_rate"] = hit_calls / float(totals["calls"]) if totals["calls"] else 0.0
    values = [totals[name] for name in REPORT_METRICS]
    return ("TOTAL", *[""] * (n_keys - 1), *values)


# Short headers for the table only (it has to fit a terminal); JSON and CSV keep the stable names.
_TABLE_HEADERS = {
    "input_tokens": "input_tok", "output_tokens": "output_tok", "cache_read_tokens": "cache_read",
    "cache_write_tokens": "cache_write", "reasoning_tokens": "reasoning", "cache_hit_rate": "hit_rate",
    "cache_savings_usd": "saved_usd", "unpriced_calls": "unpriced",
}


def format_report(result: Result, query: ReportQuery, fmt: str) -> str:
    if fmt != "table":
        return render(result.columns, result.rows, fmt)
    headers = [_TABLE_HEADERS.get(c, c) for c in result.columns]
    return render(headers, [*result.rows, _total_row(result, len(query.by))], fmt)


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("report", help="cost, tokens, cache savings and errors by group",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--by", action="append", choices=GROUPINGS,
                        help="group by this (repeatable; default feature)")
    parser.add_argument("--since", default="30d", help="start: an age (7d, 24h, 30m) or an ISO date (default 30d)")
    parser.add_argument("--until", default=None, help="end, exclusive (default now)")
    parser.add_argument("--service", default=None, help="only this service.name")
    parser.add_argument("--chart", default=None, metavar="FILE.png",
                        help="also draw cost over time by the first grouping")
    add_format_option(parser)
    add_store_options(parser)
    parser.set_defaults(func=command)


def query_from_args(args: argparse.Namespace) -> ReportQuery:
    by = tuple(dict.fromkeys(args.by or ["feature"]))
    until = parse_when(args.until) if args.until else dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    return ReportQuery(by, parse_when(args.since), until, args.service)


def command(args: argparse.Namespace) -> int:
    query = query_from_args(args)
    if args.chart:
        from otel_llm.cli.chart import require_matplotlib

        require_matplotlib()  # a missing [chart] extra is said before the query, not after
    with open_source(args) as source:
        result = run_report(source, query, args.database)
        sys.stdout.write(format_report(result, query, args.format))
        if args.chart:
            from otel_llm.cli.chart import draw_cost_chart

            series = usage_series(source, args.database, query.by[0], query.since, query.until, service=query.service)
            draw_cost_chart(series, args.chart, query.by[0])
            print(f"chart written to {args.chart}", file=sys.stderr)
    return 0
