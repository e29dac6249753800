"""The exporter's settings, resolved once: keyword argument, else environment variable, else default.

Why one place: ``opentelemetry-instrument`` builds the exporter with no arguments, so every
setting must also come from ``OTEL_EXPORTER_CLICKHOUSE_*``; code that builds it by hand passes
the same names as keywords. The two sources fail differently, as in the OpenTelemetry SDK: a bad
keyword argument raises ``ValueError`` at once (a programming error), a bad environment value
falls back to the default and logs why (the app must still start).

Credentials, timeout and compression are only checked here; when not given as arguments they stay
``None`` and :func:`otel_llm.store.connect` reads their variables, so each is resolved once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict
from urllib.parse import urlsplit

from otel_llm import semconv
from otel_llm._env import env_bool, env_float, env_int, env_str
from otel_llm.schema import DEFAULT_DATABASE
from otel_llm.store import EMBEDDED_SCHEME, compression_option, redact_dsn, resolve_dsn

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["ExporterConfig", "ExporterSettings", "resolve_config"]

_log = logging.getLogger(__name__)

DEFAULT_MAX_BUFFERED_SPANS = 100_000
DEFAULT_MAX_BATCH_SPANS = 50_000  # one insert: big enough for ClickHouse, small enough for memory
DEFAULT_MAX_BATCH_AGE_S = 1.0  # how stale the store may be under a light load
# How long an exiting app waits for the store. A few seconds: enough to open the embedded store
# and write the last batch, short enough that an unreachable server does not hold up the exit.
DEFAULT_SHUTDOWN_TIMEOUT_S = 5.0
# What the TTL setting applies to: the raw tables, spans and (since schema version 8) log records.
_RAW_SPAN_TABLES = ("otel_traces", "otel_traces_trace_id_ts", "otel_logs")


@dataclass(frozen=True)
class ExporterConfig:
    endpoint: str
    database: str
    create_schema: bool
    ttl_days: int | None  # None: the schema's default retention
    max_buffered_spans: int
    max_batch_spans: int
    max_batch_age_s: float
    shutdown_timeout_s: float = DEFAULT_SHUTDOWN_TIMEOUT_S
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout_s: float | None = None
    compression: str | None = None

    def __repr__(self) -> str:  # the DSN may carry a password
        return f"ExporterConfig(endpoint={redact_dsn(self.endpoint)!r}, database={self.database!r})"

    @property
    def embedded(self) -> bool:
        """The store runs in this process (chdb): its calls are native code, not network waits."""
        return _embedded(self.endpoint)

    @property
    def schema_ttl_days(self) -> dict[str, int] | None:
        """The TTL setting as ``migrate(ttl_days=...)`` takes it: raw span tables only."""
        if self.ttl_days is None:
            return None
        return dict.fromkeys(_RAW_SPAN_TABLES, self.ttl_days)


class ExporterSettings(TypedDict, total=False):
    """The keyword arguments of the exporter (each ``None`` or absent: its variable, else the default)."""

    endpoint: str | None
    database: str | None
    username: str | None
    password: str | None
    create_schema: bool | None
    ttl_days: int | None
    timeout_s: float | None
    compression: str | None
    max_buffered_spans: int | None
    max_batch_spans: int | None
    max_batch_age_s: float | None
    shutdown_timeout_s: float | None


def resolve_config(**settings: Unpack[ExporterSettings]) -> ExporterConfig:
    known = ExporterSettings.__optional_keys__
    if not known.issuperset(settings):
        raise TypeError(f"unknown exporter settings {sorted(set(settings) - known)}; known: {sorted(known)}")
    endpoint, database = settings.get("endpoint"), settings.get("database")
    timeout_s, compression = settings.get("timeout_s"), settings.get("compression")
    create_schema, max_batch_age_s = settings.get("create_schema"), settings.get("max_batch_age_s")
    dsn = _endpoint(endpoint)
    if database is not None and (not isinstance(database, str) or not database.strip()):
        raise ValueError(f"database must be a non-empty name, got {database!r}")
    if timeout_s is not None and not timeout_s > 0:
        raise ValueError(f"timeout_s must be positive, got {timeout_s!r}")
    if compression is not None:
        compression_option(compression)  # raises ValueError naming the accepted values
    if create_schema is None:
        # On for the embedded engine (nothing else would ever create it); off for a server,
        # where production schemas belong to `otel-llm migrate` run by someone who may.
        create_schema = env_bool(semconv.ENV_CLICKHOUSE_CREATE_SCHEMA, _embedded(dsn))
    buffered = _positive("max_buffered_spans", settings.get("max_buffered_spans"))
    if buffered is None:
        buffered = env_int(semconv.ENV_CLICKHOUSE_BUFFER_SPANS, DEFAULT_MAX_BUFFERED_SPANS, minimum=1)
    batch = _positive("max_batch_spans", settings.get("max_batch_spans")) or DEFAULT_MAX_BATCH_SPANS
    age = DEFAULT_MAX_BATCH_AGE_S if max_batch_age_s is None else max_batch_age_s
    if not age >= 0:
        raise ValueError(f"max_batch_age_s must be >= 0, got {max_batch_age_s!r}")
    return ExporterConfig(
        endpoint=dsn,
        shutdown_timeout_s=_shutdown_timeout(settings.get("shutdown_timeout_s")),
        database=database or env_str(semconv.ENV_CLICKHOUSE_DATABASE, DEFAULT_DATABASE) or DEFAULT_DATABASE,
        create_schema=bool(create_schema),
        ttl_days=_ttl_days(settings.get("ttl_days")),
        max_buffered_spans=buffered,
        max_batch_spans=min(batch, buffered),
        max_batch_age_s=float(age),
        username=settings.get("username"),
        password=settings.get("password"),
        timeout_s=timeout_s,
        compression=compression,
    )


def _endpoint(argument: str | None) -> str:
    """A bad DSN argument raises; a bad variable is logged and kept, so every insert fails loudly."""
    try:
        return resolve_dsn(argument)
    except ValueError:
        if argument:
            raise
        raw = env_str(semconv.ENV_CLICKHOUSE_ENDPOINT) or ""
        _log.error(
            "%s=%r is not a ClickHouse DSN; spans will not be stored", semconv.ENV_CLICKHOUSE_ENDPOINT, redact_dsn(raw)
        )
        return raw


def _embedded(dsn: str) -> bool:
    return urlsplit(dsn).scheme.lower() == EMBEDDED_SCHEME


def _positive(name: str, value: int | None) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return value


def _shutdown_timeout(argument: float | None) -> float:
    if argument is None:
        return env_float(semconv.ENV_CLICKHOUSE_SHUTDOWN_TIMEOUT, DEFAULT_SHUTDOWN_TIMEOUT_S, minimum=0.0)
    if isinstance(argument, bool) or not isinstance(argument, (int, float)) or not 0 <= argument < float("inf"):
        raise ValueError(f"shutdown_timeout_s must be a number of seconds >= 0, got {argument!r}")
    return float(argument)


def _ttl_days(argument: int | None) -> int | None:
    if argument is not None:
        if isinstance(argument, bool) or not isinstance(argument, int) or argument < 0:
            raise ValueError(f"ttl_days must be an integer >= 0 (0 keeps rows forever), got {argument!r}")
        return argument
    days = env_int(semconv.ENV_CLICKHOUSE_TTL_DAYS, -1, minimum=0)  # unset or bad: -1
    return None if days < 0 else days
