"""``otel-llm sql "SELECT ..."``: any read query over the store, printed in a --format.

Read-only is enforced by ClickHouse itself, never by a pattern of ours. On a store opened here,
the query layer's guard (``otel_llm.query.guard``) first has ClickHouse's own parser check that the
text is one allowed statement, with no INTO OUTFILE, file or URL function (``readonly=1`` alone
would not stop ``SELECT 1; TRUNCATE ...`` or a file write in the embedded engine), then the query
runs with ``readonly=1``. Through a collector, its SQL endpoint applies the same guard. A refused
query is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import sys

from otel_llm.cli._common import add_format_option, add_store_options, open_source
from otel_llm.cli._output import render
from otel_llm.query import ClickHouseSource, QueryError
from otel_llm.query.guard import check_query

__all__ = ["add_parser"]


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("sql", help="run a read-only SQL query", description=__doc__)
    parser.add_argument("query", help="the SQL; tables are <database>.llm_calls, llm_usage_hourly, ...")
    add_format_option(parser)
    add_store_options(parser)
    parser.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    with open_source(args) as source:
        if isinstance(source, ClickHouseSource):
            _check(source, args.query)
        result = source.query(args.query, readonly=True)
    sys.stdout.write(render(result.columns, result.rows, args.format))
    return 0


def _check(source: ClickHouseSource, query: str) -> None:
    """Raises the guard's one-line refusal (a ValueError: exit 2) unless ``query`` may run."""
    from clickhouse_connect.driver.exceptions import ClickHouseError

    try:
        check_query(source.client, query)
    except ClickHouseError as exc:  # the store itself failed (the guard's reads are ours, not the user's)
        raise QueryError(" ".join(str(exc).split())) from exc
