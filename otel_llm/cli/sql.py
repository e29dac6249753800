"""``otel-llm sql "SELECT ..."``: any read query over the store, printed in a --format.

Read-only is enforced by ClickHouse itself (``readonly=1`` on the query, or the collector's own
read-only endpoint), so an INSERT or DROP is refused by the engine, not by a pattern of ours.
"""

from __future__ import annotations

import argparse
import sys

from otel_llm.cli._common import add_format_option, add_store_options, open_source
from otel_llm.cli._output import render

__all__ = ["add_parser"]


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("sql", help="run a read-only SQL query", description=__doc__)
    parser.add_argument("query", help="the SQL; tables are <database>.llm_calls, llm_usage_hourly, ...")
    add_format_option(parser)
    add_store_options(parser)
    parser.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    with open_source(args) as source:
        result = source.query(args.query, readonly=True)
    sys.stdout.write(render(result.columns, result.rows, args.format))
    return 0
