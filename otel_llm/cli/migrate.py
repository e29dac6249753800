"""``otel-llm migrate``: create or upgrade the tables and load the price book (idempotent), or print the DDL."""

from __future__ import annotations

import argparse

from otel_llm.cli._common import add_store_options
from otel_llm.query import check_identifier, connect_store

__all__ = ["add_parser"]


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("migrate", help="create or upgrade the schema", description=__doc__)
    parser.add_argument("--print", action="store_true", dest="print_only",
                        help="print the statements instead of running them")
    parser.add_argument("--cluster", default=None, help="render for this ClickHouse cluster (ON CLUSTER)")
    add_store_options(parser, writes=True)
    parser.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    from otel_llm import schema

    database = check_identifier(args.database)
    if args.print_only:
        print(";\n\n".join(schema.render(database=database, cluster=args.cluster)) + ";")
        return 0
    from otel_llm.store import dictionary_credentials, redact_dsn, resolve_dsn

    client = connect_store(args.endpoint, writes=True)
    try:
        applied = schema.prepare(client, database, source_credentials=dictionary_credentials(args.endpoint))
    finally:
        client.close()
    done = f"applied version(s) {', '.join(map(str, applied))}" if applied else "already up to date"
    print(f"{redact_dsn(resolve_dsn(args.endpoint))} database {database}: {done}")
    return 0
