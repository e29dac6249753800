"""Options every store-reading command shares, and opening the query source they name."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator

from otel_llm import semconv
from otel_llm._env import env_str
from otel_llm.cli._output import FORMATS
from otel_llm.query import ClickHouseSource, CollectorSource, QuerySource, check_identifier, connect_store

__all__ = ["add_format_option", "add_store_options", "open_source"]


def add_store_options(parser: argparse.ArgumentParser, *, writes: bool = False) -> None:
    """``writes``: the command changes the store (DDL, prices), which the collector's read-only
    SQL endpoint refuses, so it gets no ``--collector`` (and ignores ``OTEL_LLM_COLLECTOR_URL``)."""
    group = parser.add_argument_group("store")
    group.add_argument("--endpoint", default=None,
                       help=f"ClickHouse DSN: chdb:///dir or http(s)://user:pass@host:8123 "
                            f"(default ${semconv.ENV_CLICKHOUSE_ENDPOINT}, else the embedded store)")
    group.add_argument("--database", default=env_str(semconv.ENV_CLICKHOUSE_DATABASE, "otel"),
                       help=f"database of the otel-llm tables (default ${semconv.ENV_CLICKHOUSE_DATABASE} or otel)")
    if writes:
        return
    group.add_argument("--collector", default=env_str(semconv.ENV_COLLECTOR_URL),
                       help=f"query through a running collector's SQL endpoint instead (default "
                            f"${semconv.ENV_COLLECTOR_URL}, else, with no store named, the collector that "
                            f"${semconv.ENV_COLLECTOR_CONFIG} describes; bearer token from "
                            f"${semconv.ENV_COLLECTOR_AUTH_TOKEN} or that file)")


def add_format_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default table)")


@contextlib.contextmanager
def open_source(args: argparse.Namespace) -> Iterator[QuerySource]:
    """The collector when one is named (it owns the chdb directory while it runs), else the store."""
    check_identifier(args.database)
    if args.collector:
        yield CollectorSource(args.collector, token=env_str(semconv.ENV_COLLECTOR_AUTH_TOKEN))
        return
    if not (args.endpoint or env_str(semconv.ENV_CLICKHOUSE_ENDPOINT)) and env_str(semconv.ENV_COLLECTOR_CONFIG):
        yield _configured_collector()
        return
    client = connect_store(args.endpoint)
    try:
        yield ClickHouseSource(client)
    finally:
        client.close()


def _configured_collector() -> CollectorSource:
    """The collector this machine runs, as its own settings describe it (the YAML file named by
    ``OTEL_LLM_COLLECTOR_CONFIG`` and the ``OTEL_LLM_COLLECTOR_*`` variables, resolved as the
    collector resolves them): a shell set up like the collector's finds it with no URL to copy."""
    from otel_llm_collector.config import load_config

    config = load_config([])
    return CollectorSource(config.local_url, token=config.auth_token)
