"""Where the CLI's SQL goes: a ClickHouse client (server or embedded chdb) or the collector's SQL endpoint.

Every command talks to one small interface, :class:`QuerySource`, so a report reads the same
whether the CLI opened the store itself or asks the collector that owns it (chdb allows one
process per data directory, so while a collector runs, the CLI must go through it).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

__all__ = [
    "ClickHouseSource", "CollectorSource", "QueryError", "QuerySource", "Result", "check_identifier", "connect_store",
    "endpoint_parameters", "endpoint_result",
]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TYPE_ZONE = re.compile(r"'([^']+)'\)")  # DateTime64(9, 'UTC')


class QueryError(Exception):
    """A query failed; the message is safe to print (no credentials)."""


@dataclass(frozen=True, slots=True)
class Result:
    columns: list[str]
    rows: list[tuple[Any, ...]]

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


class QuerySource(Protocol):
    """Run one SQL statement with ``{name:Type}`` parameters bound server-side."""

    def query(self, sql: str, parameters: Mapping[str, Any] | None = None, *, readonly: bool = False) -> Result:
        ...


def check_identifier(name: str) -> str:
    """Database names are formatted into SQL (ClickHouse cannot bind them everywhere), so only
    plain identifiers are accepted."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"invalid database name {name!r}: letters, digits and underscores only")
    return name


def connect_store(dsn: str | None, *, writes: bool = False) -> Client:
    """``otel_llm.store.connect`` with its failures as one printable line; a chdb directory held by
    another process (a running collector, an app exporting in-process) gets the way around it,
    which for a command that ``writes`` is not the collector's read-only SQL endpoint."""
    from clickhouse_connect.driver.exceptions import Error

    from otel_llm.store import connect, redact_dsn, resolve_dsn

    try:
        return connect(dsn)
    except Error as exc:
        resolved = resolve_dsn(dsn)
        message = str(exc).strip()
        if _locked_by_another_process(resolved):
            message = f"the embedded store {redact_dsn(resolved)} is open in another process (a running collector?); "
            message += _WRITE_AROUND_COLLECTOR if writes else "query it through the collector with --collector URL"
        raise QueryError(message) from exc


_WRITE_AROUND_COLLECTOR = (
    "stop it first: a collector migrates its store and loads the bundled prices itself when it starts "
    "(custom prices: set OTEL_LLM_PRICES in its environment)"
)


def _locked_by_another_process(dsn: str) -> bool:
    """chdb's engine holds an flock on ``<dir>/status`` while it runs; chdb reports the clash only
    as a generic init error, so it is checked here, after a failed open (never before: our own
    process's open store would look locked too)."""
    parts = urlsplit(dsn)
    if parts.scheme != "chdb":
        return False
    try:
        with open(f"{parts.path}/status", "rb") as status:
            fcntl.flock(status, fcntl.LOCK_SH | fcntl.LOCK_NB)
            fcntl.flock(status, fcntl.LOCK_UN)
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False


class ClickHouseSource:
    """Queries through a clickhouse-connect client; ``readonly=True`` sets ClickHouse's own
    ``readonly=1``, so the server, not a regex of ours, refuses writes. ``limits`` are settings sent
    with every query (e.g. ``max_execution_time``), so a server reading for the network (the
    dashboard) has its time and row limits enforced by the engine; they go before ``readonly``,
    which ClickHouse applies in order and after which no setting may change."""

    def __init__(self, client: Client, *, limits: Mapping[str, Any] | None = None) -> None:
        self.client = client
        self.limits = dict(limits or {})

    def query(self, sql: str, parameters: Mapping[str, Any] | None = None, *, readonly: bool = False) -> Result:
        from clickhouse_connect.driver.exceptions import ClickHouseError

        settings = {**self.limits, **({"readonly": 1} if readonly else {})} or None
        try:
            result = self.client.query(sql, parameters=dict(parameters or {}), settings=settings)
        except ClickHouseError as exc:
            raise QueryError(_engine_message(exc)) from exc
        return Result(list(result.column_names), [tuple(r) for r in result.result_rows])


# What clickhouse-connect appends to every query (our readonly setting, its wire format): an
# error quoting the query would show the user text they never wrote.
_APPENDED = re.compile(r"\s*(?:SETTINGS readonly = '1'|FORMAT Native\b)")


def _engine_message(error: Exception) -> str:
    """The engine's error as one line, without the clauses the driver appended to the query."""
    return " ".join(_APPENDED.sub("", str(error)).split())


def _param(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date | Decimal):
        return str(value)
    return value


def _typed(value: Any, type_name: str) -> Any:
    """The collector sends Decimal and dates as strings (exact JSON); give them their type back."""
    if not isinstance(value, str):
        return value
    base = type_name.removeprefix("Nullable(").removeprefix("LowCardinality(")
    if base.startswith("Decimal"):
        return Decimal(value)
    if base.startswith("DateTime"):
        return _datetime(value, base)
    if base.startswith("Date"):
        return dt.date.fromisoformat(value)
    return value


def _datetime(text: str, type_name: str) -> dt.datetime:
    """ClickHouse writes ``2024-01-02 03:04:05.123456789``: up to nine fractional digits, where
    Python 3.10 reads exactly three or six, and no offset; a type that names a zone gets it back."""
    head, dot, fraction = text.partition(".")
    value = dt.datetime.fromisoformat(f"{head}.{fraction[:6].ljust(6, '0')}" if dot else head)
    zone = _TYPE_ZONE.search(type_name)
    return value.replace(tzinfo=ZoneInfo(zone.group(1))) if zone else value


def _error_line(status: int, body: bytes) -> str:
    """``collector answered 403: <its one-line error>``; the raw start of the body if it is not ours."""
    try:
        message = json.loads(body)["error"]
    except (ValueError, KeyError, TypeError):
        message = body[:500].decode(errors="replace")
    return f"collector answered {status}: {message}"


class CollectorSource:
    """Queries through a running collector: ``POST {url}/v1/sql`` with JSON ``{"query", "parameters"}``
    answered by ``{"columns": [...], "types": [...], "rows": [[...]]}``. The collector always runs
    queries read-only (one checked statement, ``readonly=1``, its own limits), so ``readonly``
    needs no flag here."""

    def __init__(self, url: str, *, token: str | None = None, timeout_s: float = 30.0) -> None:
        self.url = url.rstrip("/") + "/v1/sql"
        self.token = token
        self.timeout_s = timeout_s

    def query(self, sql: str, parameters: Mapping[str, Any] | None = None, *, readonly: bool = False) -> Result:
        body = json.dumps({"query": sql, "parameters": endpoint_parameters(parameters)}).encode()
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                payload = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise QueryError(_error_line(exc.code, exc.read())) from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise QueryError(f"collector at {self.url} unreachable: {exc}") from exc
        return endpoint_result(payload)


def endpoint_parameters(parameters: Mapping[str, Any] | None) -> dict[str, Any]:
    """Query parameters as the collector's SQL endpoint takes them (JSON: times and money as text)."""
    return {k: _param(v) for k, v in (parameters or {}).items()}


def endpoint_result(payload: Mapping[str, Any]) -> Result:
    """The SQL endpoint's answer (``columns``, ``types``, ``rows``) as a Result, each value of its type."""
    types = payload.get("types") or [""] * len(payload["columns"])
    rows = [tuple(_typed(v, t) for v, t in zip(row, types, strict=True)) for row in payload["rows"]]
    return Result(list(payload["columns"]), rows)
