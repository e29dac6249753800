"""``otel-llm advise``: the money a team can save, found in its own traffic, in dollars per month.

The findings, their evidence (feature, model, call counts, fingerprints; never content) and
formulas come from ``otel_llm.advise``; this module only parses flags and prints. ``--format
json`` is the interface for scripts: money as exact decimal strings.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from decimal import Decimal, InvalidOperation

from otel_llm.advise import Advice, Thresholds, advise
from otel_llm.advise.findings import usd
from otel_llm.cli._common import add_store_options, open_source
from otel_llm.cli._time import parse_when
from otel_llm.query import QueryError

__all__ = ["add_parser", "render_advice"]

_FORMATS = ("table", "json", "markdown")


def _dollars(text: str) -> Decimal:
    try:
        value = Decimal(text.strip().lstrip("$"))
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount in dollars, e.g. 1 or 0.5") from None
    if not value.is_finite() or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give an amount of at least 0")
    return value


def _tokens(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of tokens") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give at least 1 token")
    return value


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "advise", help="where to save: repeated requests and prefixes, cheaper models, Batch API, in $/month",
        description="Find savings in the recorded traffic and price them per month (no prompt is stored or read).")
    parser.add_argument("--since", default="30d", help="start of the window: 30d, 24h, or an ISO date (default 30d)")
    parser.add_argument("--until", default=None, help="end of the window (default now)")
    parser.add_argument("--format", choices=_FORMATS, default="table", help="output format (default table)")
    parser.add_argument("--min-savings", type=_dollars, default=Decimal(1), metavar="USD",
                        help="show findings worth at least this many dollars a month (default 1)")
    parser.add_argument("--context-window", type=_tokens, default=Thresholds.context_window_tokens,
                        metavar="TOKENS", help="input a conversation should stay under "
                                               f"(default {Thresholds.context_window_tokens})")
    add_store_options(parser)
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    now = dt.datetime.now(dt.timezone.utc)
    since = parse_when(args.since, now)
    # Default: the end of the current second, so a call made this very second is in.
    until = parse_when(args.until, now) if args.until else parse_when("0m", now + dt.timedelta(seconds=1))
    thresholds = Thresholds(context_window_tokens=args.context_window)
    with open_source(args) as source:
        try:
            result = advise(source, args.database, since, until, thresholds=thresholds,
                            min_savings_usd=args.min_savings)
        except QueryError as exc:
            if "RequestFingerprint" in str(exc) or "PrefixFingerprint" in str(exc):
                raise QueryError("this store predates request shapes (schema version 7): run otel-llm migrate"
                                 " with the same --endpoint/--database (a collector does it when it starts)") from exc
            raise
    sys.stdout.write(render_advice(result, args.format))
    return 0


def _headline(advice: Advice) -> str:
    share = advice.share
    percent = f"{share * 100:.1f}% of spend" if share is not None else "no priced spend"
    return (f"Savings: up to {usd(advice.total_usd)}/month ({percent} of {usd(advice.spend_usd)}/month),"
            f" from {advice.calls} calls since {advice.since:%Y-%m-%d %H:%M} UTC")


def _unpriced_line(advice: Advice) -> str | None:
    if not advice.unpriced_models:
        return None
    models = ", ".join(f"{m['provider']}/{m['model']} ({m['calls']})" for m in advice.unpriced_models)
    return (f"Not counted: {advice.unpriced_calls} calls of unpriced models: {models}; "
            "add their prices (otel-llm prices) to include them")


def render_advice(advice: Advice, fmt: str) -> str:
    """The advice as a table (one line per finding, formulas below), markdown or JSON."""
    if fmt == "json":
        return json.dumps(advice.to_dict(), indent=2, default=str) + "\n"  # Decimal: its exact digits
    lines = [_headline(advice)]
    unpriced = _unpriced_line(advice)
    if unpriced:
        lines.append(unpriced)
    if not advice.findings:
        lines.append("No finding worth the minimum: nothing to save in this window.")
        return "\n".join(lines) + "\n"
    rows = [(usd(f.saving_usd), f.kind + (" (candidate)" if f.candidate else ""), f.feature or "-", f.model,
             f.title) for f in advice.findings]
    header = ("$/month", "finding", "feature", "model", "what")
    if fmt == "markdown":
        lines += ["", "| " + " | ".join(header) + " |", "| ---: | --- | --- | --- | --- |"]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    else:
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
        lines.append("")
        for row in (header, tuple("-" * w for w in widths), *rows):
            cells = [row[0].rjust(widths[0])] + [c.ljust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
            lines.append("  ".join(cells).rstrip())
    lines += ["", "How each was computed:"]
    for i, f in enumerate(advice.findings, 1):
        evidence = ", ".join(f"{k}={v}" for k, v in f.evidence.items())
        lines.append(f"{i}. {f.kind} [{f.feature or '-'} / {f.model}]: {f.formula}. Evidence: {evidence}")
    return "\n".join(lines) + "\n"
