"""The read-only SQL endpoint: how ``otel-llm sql`` and ``report`` query a store the collector owns.

An embedded (chdb) directory can be open in one process only, so while the collector runs, every
query about its data has to go through it. The guard that matters is ClickHouse's own
``readonly=1``: it refuses writes, DDL and any setting change, including a ``SETTINGS`` clause that
would lift the limits. It is passed LAST, after the row and time limits, because ClickHouse applies
settings in order and, once read-only, would refuse to set the limits themselves. The keyword check
in front only gives a clearer message than ClickHouse's READONLY error.
"""

from __future__ import annotations

import datetime
import decimal
import ipaddress
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

__all__ = ["SqlEndpoint", "SqlError", "SqlRefused"]

_READ_KEYWORDS = frozenset({"SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "EXISTS"})
_FIRST_WORD = re.compile(r"^\s*(?:(?:--[^\n]*\n|/\*.*?\*/)\s*)*\(*\s*([A-Za-z]+)", re.DOTALL)


class SqlRefused(ValueError):
    """Not a read query (HTTP 403)."""


class SqlError(ValueError):
    """ClickHouse rejected the query: syntax, unknown table, a limit passed (HTTP 400)."""


def _json_value(value: Any) -> Any:
    """Exact JSON for ClickHouse values: Decimal money as a string, never a rounded float."""
    if isinstance(value, (decimal.Decimal, uuid.UUID, ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return str(value)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return value


class SqlEndpoint:
    """Runs read queries on a dedicated client, opened on first use."""

    def __init__(self, connect: Callable[[], Client], *, max_rows: int, timeout: float) -> None:
        self._connect = connect
        self._settings = {
            "max_result_rows": max_rows,
            "result_overflow_mode": "throw",
            "max_execution_time": timeout,
            "readonly": 1,  # must stay last, see the module docstring
        }
        self._client: Client | None = None
        self._lock = threading.Lock()

    def run(self, query: str, parameters: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """``{"columns": [...], "types": [...], "rows": [[...], ...]}`` for a read query."""
        match = _FIRST_WORD.match(query)
        if not match or match.group(1).upper() not in _READ_KEYWORDS:
            raise SqlRefused("only read queries (SELECT, WITH, SHOW, DESCRIBE, EXPLAIN, EXISTS) are allowed")
        from clickhouse_connect.driver.exceptions import ClickHouseError

        with self._lock:
            try:
                if self._client is None:
                    self._client = self._connect()
                params = dict(parameters or {})
                result = self._client.query(query, parameters=params, settings=self._settings)
                # Rows stream in lazily: an error can surface while reading them, so inside the try.
                rows = [[_json_value(v) for v in row] for row in result.result_rows]
                columns = list(result.column_names)
                types = [t.name for t in result.column_types]
                if not columns and match.group(1).upper() in ("SELECT", "WITH"):
                    columns, types = self._describe(query, params)
                return {"columns": columns, "types": types, "rows": rows}
            except ClickHouseError as exc:
                # A failed statement can leave chdb's result stream unusable for the next query
                # (seen after a multi-statement query): start the next one on a fresh client.
                self._reset()
                if "READONLY" in str(exc):
                    raise SqlRefused(str(exc)) from exc
                raise SqlError(str(exc)) from exc

    def _describe(self, query: str, parameters: dict[str, Any]) -> tuple[list[str], list[str]]:
        """Names and types of an empty result, which the embedded engine returns without them.

        A report over an empty period must still know its columns (and a Decimal must stay one).
        """
        described = self._client.query(  # type: ignore[union-attr]
            f"DESCRIBE ({query.strip().rstrip(';')})", parameters=parameters, settings=self._settings
        ).result_rows
        return [row[0] for row in described], [row[1] for row in described]

    def _reset(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def close(self) -> None:
        with self._lock:
            self._reset()
