"""Options every store-reading command shares, and opening the query source they name."""

from __future__ import annotations

import argparse
import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from otel_llm import semconv
from otel_llm._env import env_str
from otel_llm.cli._output import FORMATS
from otel_llm.query import (
    ClickHouseSource,
    CollectorSource,
    QueryError,
    QuerySource,
    check_identifier,
    connect_store,
)
from otel_llm.store import redact_dsn, resolve_dsn

__all__ = ["add_format_option", "add_store_options", "collector_source", "collector_url", "open_source"]


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
    group.add_argument("--collector", default=None, metavar="URL",
                       help=f"query through a running collector's SQL endpoint instead: http(s)://host:port, "
                            f"or host:port for http; not with --endpoint (default ${semconv.ENV_COLLECTOR_URL} "
                            f"unless --endpoint is given, else, with no store named, the collector that "
                            f"${semconv.ENV_COLLECTOR_CONFIG} describes; bearer token from "
                            f"${semconv.ENV_COLLECTOR_AUTH_TOKEN} or that file)")


def add_format_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default table)")


@contextlib.contextmanager
def open_source(args: argparse.Namespace) -> Iterator[QuerySource]:
    """The collector when one is named (it owns the chdb directory while it runs), else the store.

    ``--endpoint`` and ``--collector`` together name two stores: refused, rather than silently
    reading one of them. ``--endpoint`` beats ``$OTEL_LLM_COLLECTOR_URL`` (a flag beats a variable).
    """
    check_identifier(args.database)
    collector = collector_source(args)
    if collector is not None:
        yield collector
        return
    dsn = resolve_dsn(args.endpoint)
    if _absent_embedded_store(dsn):  # opening it would create the directory for a read
        import chdb  # noqa: F401  # without the embedded extra, its install line comes first
        import clickhouse_connect  # noqa: F401

        raise QueryError(_nothing_recorded(dsn, args.database))
    client = connect_store(dsn)
    try:
        yield ClickHouseSource(client)
    except QueryError as exc:
        friendly = _empty_store_error(exc, dsn, args.database)
        if friendly is None:
            raise
        raise friendly from exc
    finally:
        client.close()


def collector_source(args: argparse.Namespace) -> CollectorSource | None:
    """The collector these options and the environment name, or None to open the store itself."""
    if args.collector and args.endpoint:
        raise ValueError("--endpoint and --collector name two different stores: give one of them")
    collector = args.collector or (None if args.endpoint else env_str(semconv.ENV_COLLECTOR_URL))
    if collector:
        return CollectorSource(collector_url(collector), token=env_str(semconv.ENV_COLLECTOR_AUTH_TOKEN))
    if not (args.endpoint or env_str(semconv.ENV_CLICKHOUSE_ENDPOINT)) and env_str(semconv.ENV_COLLECTOR_CONFIG):
        return _configured_collector()
    return None


def collector_url(text: str) -> str:
    """``host:port`` means ``http://host:port`` (what a collector's own log prints); any other
    scheme than http(s) is refused here, in words, instead of by urllib's ``unknown url type``."""
    url = text if "://" in text else f"http://{text}"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"--collector {text!r}: expected http(s)://host:port or host:port")
    return url


# ClickHouse's error codes for a database / table that does not exist.
_UNKNOWN_DATABASE, _UNKNOWN_TABLE = 81, 60


def _empty_store_error(exc: QueryError, dsn: str, database: str) -> QueryError | None:
    """A store nothing was written to yet has no otel-llm database (the exporter and the collector
    create it on their first write): say that, not ``Database otel does not exist``."""
    code = getattr(exc.__cause__, "code", None)
    if code == _UNKNOWN_DATABASE and f"Database {database} does not exist" in str(exc):
        return QueryError(_nothing_recorded(dsn, database))
    if code == _UNKNOWN_TABLE and f"{database}." in str(exc):
        return QueryError(f"the otel-llm tables are missing from {redact_dsn(dsn)} (database {database}): "
                          f"run otel-llm migrate --endpoint {redact_dsn(dsn)} --database {database}")
    return None


def _nothing_recorded(dsn: str, database: str) -> str:
    return (f"no calls recorded in {redact_dsn(dsn)} (database {database}) yet: run an instrumented "
            f"app with OTEL_TRACES_EXPORTER=clickhouse, or otel-llm demo, then ask again")


def _absent_embedded_store(dsn: str) -> bool:
    """An embedded (chdb) store whose directory does not exist but could: nothing was ever written
    there, and a read must not create it (a mistyped path would leave an empty store behind). A
    path that could never be a store (under a file, on a read-only or virtual file system) is
    left to the store's own one-line error, which says to choose a writable directory."""
    parts = urlsplit(dsn)
    if parts.scheme != "chdb" or parts.path in ("", ":memory:", "memory"):
        return False
    path = Path(parts.path)
    if path.exists():
        return False
    existing = next(p for p in path.parents if p.exists())
    try:
        with tempfile.TemporaryDirectory(dir=existing):  # made and removed: only proves it could be
            return True
    except OSError:
        return False


def _configured_collector() -> CollectorSource:
    """The collector this machine runs, as its own settings describe it (the YAML file named by
    ``OTEL_LLM_COLLECTOR_CONFIG`` and the ``OTEL_LLM_COLLECTOR_*`` variables, resolved as the
    collector resolves them): a shell set up like the collector's finds it with no URL to copy."""
    from otel_llm_collector.config import load_config

    config = load_config([])
    return CollectorSource(config.local_url, token=config.auth_token)
