"""Print the schema as SQL: ``python -m otel_llm.schema [--cluster NAME] [--database NAME]``.

For a cluster this process cannot reach, or for review before a production migration; the
committed deploy/clickhouse-cluster/schema.sql is this output for the cluster ``otel_cluster``.
"""

from __future__ import annotations

import argparse
import sys

from otel_llm.schema.migrations import DEFAULT_DATABASE, render_script


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m otel_llm.schema", description="Print the schema as SQL.")
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--cluster", default=None, help="render ON CLUSTER DDL with Replicated/Distributed tables")
    parser.add_argument(
        "--ttl-days", action="append", default=[], metavar="TABLE=DAYS", help="retention override, repeatable"
    )
    args = parser.parse_args(argv)
    try:
        ttl_days = {table: int(days) for table, _, days in (item.partition("=") for item in args.ttl_days)}
        sys.stdout.write(render_script(args.database, cluster=args.cluster, ttl_days=ttl_days))
    except ValueError as exc:
        parser.error(str(exc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
