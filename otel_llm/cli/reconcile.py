"""otel-llm reconcile --provider openai|anthropic --file F: the provider's bill against the traces.

Prints, per UTC day and model, what the provider billed, what the traced calls add up to, the
difference and the share of the billed amount the traces explain, with the traced spend by
feature. A cost export compares dollars (traced: the priced calls; unpriced counts the
others); a usage export compares tokens (input, cache included, plus output).

Files: OpenAI's Costs API (/v1/organization/costs, best with group_by=line_item) or
Completions Usage API (/v1/organization/usage/completions with group_by=model) JSON;
Anthropic's Admin API cost report (/v1/organizations/cost_report, best with
group_by[]=description) or messages usage report JSON, or the console's Cost or Usage CSV.
A page, a JSON list of pages or one page per line.

Costs by line item carry no model: the line item "gpt-4o-2024-08-06, input" is matched by the name before the
comma. Names match without case, spaces, dots or snapshot dates (Claude Haiku 4.5 is
claude-haiku-4-5; gpt-4o-2024-08-06 is gpt-4o). An amount not split by model is held
against all of its day's calls (model *).

Exit 0 when the gap (the rows' absolute differences added up, over the billed total) is within
--tolerance (default 0.05, i.e. 5%), 1 when it exceeds it, 2 when the file cannot be read.
The window defaults to the days the export covers; run the store in UTC, as provider days are.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from decimal import Decimal, InvalidOperation
from typing import Any

from otel_llm.cli._common import add_format_option, add_store_options, open_source
from otel_llm.cli._output import render
from otel_llm.cli._time import parse_when
from otel_llm.query import traced_spend
from otel_llm.reconcile import (
    PROVIDERS,
    BilledItem,
    ExportError,
    ReconciledRow,
    Reconciliation,
    load_export,
    reconcile,
)

__all__ = ["DEFAULT_TOLERANCE", "add_parser"]

DEFAULT_TOLERANCE = Decimal("0.05")
_DAY = dt.timedelta(days=1)


def _tolerance(text: str) -> Decimal:
    """A fraction (0.05) or a percentage (5%). A bare number above 1 is refused: ``--tolerance 2``
    would pass gaps up to 200% when the user almost surely meant 2%. Parsed by the command, not by
    argparse, so a bad value is one line (argparse prints its usage block first)."""
    try:
        value = Decimal(text[:-1]) / 100 if text.endswith("%") else Decimal(text)
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value < 0:
        raise ValueError(f"--tolerance {text}: not a tolerance (use a fraction such as 0.05, or 5%)")
    if value > 1 and not text.endswith("%"):
        raise ValueError(f"--tolerance {text}: write {text}% or {value / 100}")
    return value


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("reconcile", help="hold a provider's cost or usage export against the traces",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--provider", required=True, choices=PROVIDERS, help="whose export the file is")
    parser.add_argument("--file", required=True, help="the exported JSON or CSV file")
    parser.add_argument("--since", default=None, help="first day (an age or ISO date; default: the export's first)")
    parser.add_argument("--until", default=None, help="end, exclusive (default: the day after the export's last)")
    parser.add_argument("--tolerance", default=str(DEFAULT_TOLERANCE),
                        help="largest gap that passes, a fraction of the billed total or a percentage "
                             "(default 0.05 = 5%%)")
    add_format_option(parser)
    add_store_options(parser)
    parser.set_defaults(func=command)


def _window(items: list[BilledItem], args: argparse.Namespace) -> tuple[dt.datetime, dt.datetime]:
    """Whole UTC days: the given bounds rounded out to days, else the export's own days."""
    first = min(item.day for item in items)
    last = max(item.day for item in items)
    since = parse_when(args.since).date() if args.since else first
    until = parse_when(args.until) if args.until else dt.datetime.combine(last, dt.time()) + _DAY
    end_day = until.date() + (_DAY if until.time() != dt.time() else dt.timedelta())
    return dt.datetime.combine(since, dt.time()), dt.datetime.combine(end_day, dt.time())


def _money(value: Decimal, unit: str) -> str:
    return f"${value:,.4f}" if unit == "usd" else f"{value:,} tokens"


def _features(row: ReconciledRow) -> str:
    return ", ".join(f"{name} {amount.normalize():f}" for name, amount in row.by_feature.items())


def _rows(result: Reconciliation, fmt: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    unit = result.unit
    columns = ["day", "model", f"billed_{unit}", f"traced_{unit}", f"difference_{unit}", "explained_share",
               "traced_calls", "unpriced_calls", "traced_by_feature"]
    if fmt != "table":
        columns.append("billed_as")
    rows = []
    for r in result.rows:
        features: Any = _features(r)
        if fmt == "json":
            features = {k: float(v) if unit == "usd" else int(v) for k, v in r.by_feature.items()}
        row = (r.day, r.model, r.billed, r.traced, r.difference, r.explained_share, r.traced_calls,
               r.unpriced_calls, features)
        rows.append(row if fmt == "table" else (*row, "; ".join(r.billed_as)))
    return columns, rows


def _share(result: Reconciliation) -> Decimal | None:
    return (result.traced / result.billed).quantize(Decimal("0.0001")) if result.billed else None


def _summary(result: Reconciliation, tolerance: Decimal) -> str:
    unit = result.unit
    share = result.gap_share
    explained = f"{_share(result):.1%}" if result.billed else "-"
    verdict = "within" if result.within(tolerance) else "OVER"
    gap = f"{share:.1%}" if share is not None else "-"
    return (f"traces explain {explained} of {_money(result.billed, unit)} billed; gap {_money(result.gap, unit)}"
            f" ({gap} of billed), {verdict} the tolerance of {tolerance:.1%}")


def command(args: argparse.Namespace) -> int:
    args.tolerance = _tolerance(args.tolerance)
    items = load_export(args.provider, args.file)
    since, until = _window(items, args)
    items = [item for item in items if since.date() <= item.day < until.date()]
    if not items:
        raise ExportError(f"{args.file}: nothing billed from {since.date()} to before {until.date()}"
                          " (check --since/--until)")
    with open_source(args) as source:
        traced = traced_spend(source, args.database, args.provider, since, until).rows
    result = reconcile(items, traced)
    columns, rows = _rows(result, args.format)
    summary = _summary(result, args.tolerance)
    if args.format == "json":
        body = {"unit": result.unit, "billed": result.billed, "traced": result.traced, "gap": result.gap,
                "gap_share": result.gap_share, "tolerance": args.tolerance,
                "within_tolerance": result.within(args.tolerance), "rows": json.loads(render(columns, rows, "json"))}
        sys.stdout.write(json.dumps(body, indent=2, default=float) + "\n")
    elif args.format == "csv":
        sys.stdout.write(render(columns, rows, "csv"))
    else:
        total = ("TOTAL", "", result.billed, result.traced, result.billed - result.traced, _share(result),
                 sum(r.traced_calls for r in result.rows), sum(r.unpriced_calls for r in result.rows), "")
        sys.stdout.write(render(columns, [*rows, total], "table"))
    print(summary, file=sys.stdout if args.format == "table" else sys.stderr)
    return 0 if result.within(args.tolerance) else 1
