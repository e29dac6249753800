"""The collector's settings, resolved in one place: flag > environment > YAML file > default.

Every setting is one row of ``_SETTINGS`` (flag, env var, YAML key, type, default), so a new
setting cannot be honoured by the flag parser and forgotten by the env or file reader. Bad
environment values fall back and log why (``otel_llm.env``), as the OpenTelemetry SDK does; a bad
flag or YAML file stops the start with a clear message, because a service that silently runs with
a setting it was not given is worse than one that refuses to start.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from otel_llm import semconv
from otel_llm.env import env_bool, env_float, env_int, env_str
from otel_llm.store import default_data_dir, resolve_dsn

__all__ = ["CollectorConfig", "ConfigError", "load_config"]


class ConfigError(ValueError):
    """A flag or the YAML file holds a value the collector cannot run with."""


# A collector listening on every interface (as in a container) is reached on loopback.
_WILDCARD_TO_LOOPBACK = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


@dataclass(frozen=True)
class CollectorConfig:
    """Everything the collector needs; tests and the ``otel-llm collector`` command build one."""

    endpoint: str = ""  # ClickHouse DSN; empty: the one the exporter and the CLI use (see ``dsn``)
    database: str = ""  # empty: the exporter's and the CLI's (OTEL_EXPORTER_CLICKHOUSE_DATABASE, else otel)
    host: str = "127.0.0.1"
    http_port: int = 4318
    grpc_port: int = 4317  # 0 picks a free port; -1 disables the gRPC receiver
    spool_dir: str = ""  # empty: ``<user data dir>/otel-llm-collector/spool`` (see ``spool``)
    spool_max_bytes: int = 1 << 30
    forward: tuple[str, ...] = ()
    forward_queue_bytes: int = 256 << 20  # per target: a stuck target holds at most this in memory
    auth_token: str | None = field(default=None, repr=False)
    tls_cert: str | None = None
    tls_key: str | None = None
    max_body_bytes: int = 16 << 20
    sql_max_rows: int = 100_000
    sql_timeout: float = 30.0
    # The SQL endpoint's own ClickHouse DSN (a read-only user, see README); empty: the store's DSN.
    sql_endpoint_dsn: str = field(default="", repr=False)  # holds a password
    shutdown_grace: float = 10.0  # seconds to finish forwarding and draining after SIGTERM
    # Per port. When the HTTP port is full, its longest-idle connection makes room; gRPC refuses.
    max_connections: int = 1024
    header_timeout: float = 10.0  # a request head (HTTP) or handshake (gRPC) must arrive within; also idle close
    body_timeout: float = 30.0  # a request body must arrive within this, once its head has
    ui: bool = False  # the dashboard of ``otel-llm ui`` on the HTTP port (collector/ui.py)

    def __post_init__(self) -> None:
        if not self.database:  # resolved here, once, so every part of the collector sees one name
            object.__setattr__(self, "database", env_str(semconv.ENV_CLICKHOUSE_DATABASE, "otel"))
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ConfigError("--tls-cert and --tls-key go together")
        for name in (
            "spool_max_bytes",
            "forward_queue_bytes",
            "max_body_bytes",
            "sql_max_rows",
            "max_connections",
            "header_timeout",
            "body_timeout",
        ):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be positive")
        try:
            self.dsn  # noqa: B018 - an unsupported DSN must stop the start, not the first insert
            sql_dsn = self.sql_dsn
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc
        if self.ui:
            from otel_llm.ui import check_bind

            try:
                check_bind(self.host, self.auth_token)
            except ValueError as exc:
                raise ConfigError(f"--ui: {exc}") from exc
        if sql_dsn != self.dsn and sql_dsn.startswith("chdb://"):
            raise ConfigError(
                "--sql-endpoint-dsn names a ClickHouse server user; an embedded (chdb) store is read through "
                "its own directory: leave the setting out"
            )

    @property
    def dsn(self) -> str:
        """The store: this endpoint, else the exporter's and the CLI's own default
        (``OTEL_EXPORTER_CLICKHOUSE_ENDPOINT``, else the embedded directory), so that ``otel-llm
        report`` reads the same data once the collector is stopped."""
        return resolve_dsn(self.endpoint or None)

    @property
    def sql_dsn(self) -> str:
        """Where the SQL endpoint connects: its own DSN (a read-only user on the store's server, so
        the server itself refuses writes whatever reaches it), else the store's."""
        return resolve_dsn(self.sql_endpoint_dsn) if self.sql_endpoint_dsn else self.dsn

    @property
    def local_url(self) -> str:
        """The HTTP port's base URL from this machine: what the health check and the CLI (given
        only the collector's config file) call. A wildcard bind answers on loopback."""
        scheme = "https" if self.tls_cert else "http"
        host = _WILDCARD_TO_LOOPBACK.get(self.host, self.host)
        host = f"[{host}]" if ":" in host else host
        return f"{scheme}://{host}:{self.http_port}"

    @property
    def spool(self) -> Path:
        """Beside (never inside) the embedded store's directory, which belongs to ClickHouse."""
        if self.spool_dir:
            return Path(self.spool_dir)
        return default_data_dir().with_name("otel-llm-collector") / "spool"


# (attribute, flag, env var, type) ; the YAML key is the attribute name.
_SETTINGS: tuple[tuple[str, str, str, type], ...] = (
    ("endpoint", "--endpoint", semconv.ENV_COLLECTOR_ENDPOINT, str),
    ("database", "--database", semconv.ENV_COLLECTOR_DATABASE, str),
    ("host", "--host", semconv.ENV_COLLECTOR_HOST, str),
    ("http_port", "--http-port", semconv.ENV_COLLECTOR_HTTP_PORT, int),
    ("grpc_port", "--grpc-port", semconv.ENV_COLLECTOR_GRPC_PORT, int),
    ("spool_dir", "--spool-dir", semconv.ENV_COLLECTOR_SPOOL_DIR, str),
    ("spool_max_bytes", "--spool-max-bytes", semconv.ENV_COLLECTOR_SPOOL_MAX_BYTES, int),
    ("forward", "--forward", semconv.ENV_COLLECTOR_FORWARD, tuple),
    ("forward_queue_bytes", "--forward-queue-bytes", semconv.ENV_COLLECTOR_FORWARD_QUEUE_BYTES, int),
    ("auth_token", "--auth-token", semconv.ENV_COLLECTOR_AUTH_TOKEN, str),
    ("tls_cert", "--tls-cert", semconv.ENV_COLLECTOR_TLS_CERT, str),
    ("tls_key", "--tls-key", semconv.ENV_COLLECTOR_TLS_KEY, str),
    ("max_body_bytes", "--max-body-bytes", semconv.ENV_COLLECTOR_MAX_BODY_BYTES, int),
    ("sql_max_rows", "--sql-max-rows", semconv.ENV_COLLECTOR_SQL_MAX_ROWS, int),
    ("sql_timeout", "--sql-timeout", semconv.ENV_COLLECTOR_SQL_TIMEOUT, float),
    ("sql_endpoint_dsn", "--sql-endpoint-dsn", semconv.ENV_COLLECTOR_SQL_ENDPOINT_DSN, str),
    ("shutdown_grace", "--shutdown-grace", semconv.ENV_COLLECTOR_SHUTDOWN_GRACE, float),
    ("max_connections", "--max-connections", semconv.ENV_COLLECTOR_MAX_CONNECTIONS, int),
    ("header_timeout", "--header-timeout", semconv.ENV_COLLECTOR_HEADER_TIMEOUT, float),
    ("body_timeout", "--body-timeout", semconv.ENV_COLLECTOR_BODY_TIMEOUT, float),
    ("ui", "--ui", semconv.ENV_COLLECTOR_UI, bool),
)


# Defaults resolved at start, which the dataclass spells as "" (argparse would print just '').
_DEFAULTS_EXPLAINED = {
    "endpoint": f"${semconv.ENV_CLICKHOUSE_ENDPOINT}, else the embedded store",
    "database": f"${semconv.ENV_CLICKHOUSE_DATABASE}, else otel",
    "sql_endpoint_dsn": "the store's DSN (--endpoint)",
    "spool_dir": "$XDG_DATA_HOME (else ~/.local/share)/otel-llm-collector/spool",
}


# What a setting does, where its name alone does not say.
_HELP = {
    "max_connections": "open connections per port; when the HTTP port is full its longest-idle connection "
    "is closed to make room, the gRPC port refuses new ones",
    "header_timeout": "seconds a connection may take to send a request head (HTTP) or finish its handshake "
    "(gRPC), from opening or from its previous response; idle connections close after it too",
    "sql_endpoint_dsn": "ClickHouse DSN the SQL endpoint connects with: a read-only user of the store's server "
    "(README: Security of the SQL endpoint)",
    "body_timeout": "seconds a request body may take to arrive once its head has (HTTP: 408)",
    "ui": "serve the cost dashboard (otel-llm ui) on the HTTP port, read-only; --auth-token applies "
    "(a browser opens it once with ?token=TOKEN)",
    "spool_max_bytes": "undrained bytes each signal's spool may hold (traces in --spool-dir, logs in its logs/ "
    "folder) before requests are refused with 429",
}


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the collector's flags, so ``otel-llm collector`` and ``python -m otel_llm_collector`` match.

    Every default is None: "not given" must stay distinguishable from "given the default" for
    the precedence chain to work.
    """
    parser.add_argument("--config", metavar="FILE", help=f"YAML settings file (env {semconv.ENV_COLLECTOR_CONFIG})")
    for attr, flag, env, kind in _SETTINGS:
        default = _DEFAULTS_EXPLAINED.get(attr) or repr(getattr(CollectorConfig, attr, None))
        help_text = f"env {env}; default {default}"
        if attr in _HELP:
            help_text = f"{_HELP[attr]} ({help_text})"
        if kind is tuple:
            parser.add_argument(flag, dest=attr, action="append", metavar="URL", help=help_text + " (repeatable)")
        elif kind is bool:
            parser.add_argument(flag, dest=attr, action="store_const", const=True, help=help_text)
        else:
            parser.add_argument(flag, dest=attr, type=kind, help=help_text)


def _from_file(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    if not isinstance(data, Mapping):
        raise ConfigError(f"config file {path} must hold a mapping of settings")
    known = {attr for attr, *_ in _SETTINGS}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"unknown settings in {path}: {', '.join(map(str, unknown))}")
    return dict(data)


def _coerce(attr: str, kind: type, value: Any) -> Any:
    if kind is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{attr}: expected true or false, got {value!r}")
        return value
    if kind is tuple:
        items = value.split(",") if isinstance(value, str) else list(value)
        return tuple(str(v).strip() for v in items if str(v).strip())
    try:
        return kind(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{attr}: expected {kind.__name__}, got {value!r}") from exc


def _from_env(attr: str, env: str, kind: type, current: Any) -> Any:
    if kind is int:
        return env_int(env, current)
    if kind is float:
        return env_float(env, current)
    if kind is bool:
        return env_bool(env, current)
    raw = env_str(env)
    if raw is None:
        return current
    return _coerce(attr, kind, raw)


def load_config(argv: Sequence[str] | None = None) -> CollectorConfig:
    """Resolves flags (``argv``; None reads ``sys.argv``), env, the YAML file and defaults."""
    parser = argparse.ArgumentParser(prog="otel-llm collector", description="The otel-llm companion collector.")
    _add_arguments(parser)
    flags = vars(parser.parse_args(argv))
    values: dict[str, Any] = {f.name: f.default for f in dataclasses.fields(CollectorConfig)}
    file_values = _from_file(flags.get("config") or env_str(semconv.ENV_COLLECTOR_CONFIG))
    for attr, _flag, env, kind in _SETTINGS:
        if attr in file_values and file_values[attr] is not None:
            values[attr] = _coerce(attr, kind, file_values[attr])
        values[attr] = _from_env(attr, env, kind, values[attr])
        if flags.get(attr) is not None:
            values[attr] = _coerce(attr, kind, flags[attr])
    return CollectorConfig(**values)
