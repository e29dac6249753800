"""The read-only SQL endpoint: how ``otel-llm sql`` and ``report`` query a store the collector owns.

An embedded (chdb) directory can be open in one process only, so while the collector runs, every
query about its data has to go through it. The endpoint is network input, so it is safe by what
the engine enforces, never by a pattern match on the text:

- Before anything runs, ClickHouse's own parser decides that the text is ONE statement of a kind
  the endpoint answers, with no file, URL or outside-reaching function (``otel_llm.query.guard`` says why
  each rule exists). A refused query never reaches the engine's executor.
- The query runs on a session of its own whose settings are applied once, when it opens, through
  the client's session settings (``SET`` on the embedded engine's handle, request parameters on a
  server), never as a clause appended to the user's text: limits first, ``readonly=1`` last,
  because ClickHouse applies settings in order and, once read-only, refuses to change any of
  them (so a ``SETTINGS`` clause in the query cannot lift a limit, and no write or DDL runs).
- Server-side limits end runaway queries inside the engine: rows and bytes of the result
  (``result_overflow_mode=throw``), time (``max_execution_time``, ``timeout_overflow_mode=throw``)
  and memory (``max_memory_usage``: ``repeat('a', 1000000)`` over 400 rows asks for 400 MB in
  one block, before any result limit can look at it).
- The engine writes the rows as JSON itself (``JSONCompactEachRowWithNamesAndTypes``: names and
  types even for an empty result, Decimal quoted so money stays exact), and the endpoint stops
  reading past its own cap on the response size. The query runs once: no follow-up ``DESCRIBE``.
- Every query starts with a comment naming this endpoint, so shutdown can ``KILL QUERY`` the one
  that runs (SIGTERM must not wait for a report) from a connection of its own.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from otel_llm.query.guard import QueryRefused, QuerySyntaxError, check_query, denied_functions

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

__all__ = ["SqlEndpoint", "SqlError", "SqlRefused", "SqlUnavailable", "one_line"]

_log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 64 << 10  # our reports are a few hundred characters; ClickHouse's own limit is 256 KiB
MAX_RESULT_BYTES = 16 << 20  # what the engine may produce (uncompressed)
MAX_RESPONSE_BYTES = 32 << 20  # the JSON we send: escaping can make text longer than the engine's bytes
MAX_MEMORY_BYTES = 256 << 20  # one query's working memory inside the engine
_FORMAT = "JSONCompactEachRowWithNamesAndTypes"
_REFUSING_ERRORS = ("(READONLY)", "(ACCESS_DENIED)")
_MAX_MESSAGE_CHARS = 1000


class SqlRefused(ValueError):
    """Not a query the endpoint runs (HTTP 403)."""


class SqlError(ValueError):
    """ClickHouse rejected the query: syntax, unknown table, a limit passed (HTTP 400)."""


class SqlUnavailable(RuntimeError):
    """The collector is shutting down and runs no more queries (HTTP 503)."""


def one_line(message: str) -> str:
    """An error as one bounded line: ClickHouse's messages span lines and quote the query."""
    text = " ".join(message.split())
    return text if len(text) <= _MAX_MESSAGE_CHARS else text[: _MAX_MESSAGE_CHARS - 3] + "..."


class SqlEndpoint:
    """Runs one checked read query at a time on a dedicated session, opened on first use."""

    def __init__(
        self,
        connect: Callable[[], Client],
        *,
        max_rows: int,
        timeout: float,
        max_result_bytes: int = MAX_RESULT_BYTES,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        max_memory_bytes: int = MAX_MEMORY_BYTES,
    ) -> None:
        self._connect = connect
        self._max_response_bytes = max_response_bytes
        # Order matters: readonly must stay last (see the module docstring).
        self._session_settings: tuple[tuple[str, Any], ...] = (
            ("max_result_rows", max_rows),
            ("max_result_bytes", max_result_bytes),
            ("result_overflow_mode", "throw"),
            ("max_execution_time", timeout),
            ("timeout_overflow_mode", "throw"),
            ("max_memory_usage", max_memory_bytes),
            ("allow_introspection_functions", 0),
            ("allow_ddl", 0),
            ("output_format_json_quote_decimals", 1),  # money as exact strings, never a float
            ("output_format_decimal_trailing_zeros", 1),  # Decimal(18, 9) 0.3 stays "0.300000000"
            ("output_format_json_quote_64bit_integers", 0),
            ("output_format_json_validate_utf8", 1),  # bytes that are not UTF-8 must not break the JSON
            ("readonly", 1),
        )
        self._marker = f"/* otel-llm-collector sql {uuid.uuid4().hex} */"
        self._client: Client | None = None
        self._denied: frozenset[str] = frozenset()
        self._lock = threading.Lock()
        self._closing = False
        self._running = False

    def run(self, query: str, parameters: Mapping[str, Any] | None = None) -> bytes:
        """The JSON body ``{"columns": [...], "types": [...], "rows": [[...], ...]}`` for a read query."""
        if len(query) > MAX_QUERY_CHARS:
            raise SqlError(f"query is longer than {MAX_QUERY_CHARS} characters")
        from clickhouse_connect.driver.exceptions import ClickHouseError

        with self._lock:
            if self._closing:
                raise SqlUnavailable("collector is shutting down")
            try:
                client = self._session()
                placeholders = check_query(client, query, self._denied)
                bound = self._parameters(query, placeholders, parameters or {})
                self._running = True  # before the check: cancel() sets closing, then reads running
                try:
                    if self._closing:
                        raise SqlUnavailable("collector is shutting down")
                    stream = client.raw_stream(f"{self._marker}\n{query}", parameters=bound or None, fmt=_FORMAT)
                    return _json_body(_lines(stream), self._max_response_bytes)
                finally:
                    self._running = False
            except QueryRefused as exc:
                raise SqlRefused(str(exc)) from exc
            except QuerySyntaxError as exc:
                self._reset()  # a failed query on the embedded engine: a new session, as below
                raise SqlError(one_line(str(exc))) from exc
            except ClickHouseError as exc:
                # A failed query leaves the embedded engine's output buffer holding the failed
                # query's header lines, which the next query would return: start on a new session.
                self._reset()
                if self._closing:
                    raise SqlUnavailable("collector is shutting down; the query was cancelled") from exc
                message = one_line(str(exc))
                if any(code in message for code in _REFUSING_ERRORS):
                    raise SqlRefused(message) from exc
                raise SqlError(message) from exc

    def _session(self) -> Client:
        if self._client is None:
            client = self._connect()
            try:
                for name, value in self._session_settings:
                    client.set_client_setting(name, value)
                self._denied = denied_functions(client)
            except BaseException:
                client.close()
                raise
            self._client = client
        return self._client

    @staticmethod
    def _parameters(query: str, placeholders: frozenset[str], parameters: Mapping[str, Any]) -> dict[str, Any]:
        """The request's parameters, every one bound by the engine to a ``{name:Type}`` placeholder.

        clickhouse-connect binds server-side only when its own pattern finds a placeholder; else it
        would format the values into the text with Python's ``%``, which is never done here.
        """
        from clickhouse_connect.driver.binding import external_bind_re

        unused = sorted(set(parameters) - placeholders)
        if unused:
            raise SqlError(f"parameters {', '.join(unused)} are not used by the query (write them as {{name:Type}})")
        if parameters and not external_bind_re.search(query):
            raise SqlError("write parameter placeholders without spaces, as {name:Type}")
        return dict(parameters)

    def cancel(self) -> None:
        """Runs no more queries and stops the one running (shutdown: SIGTERM must not wait for it).

        ``KILL QUERY`` goes over a connection of its own: the endpoint's session is busy with the
        query and read-only. Every endpoint query starts with this endpoint's marker comment; the
        ``KILL`` statement itself starts with ``KILL``, so it never matches itself.
        """
        self._closing = True
        if not self._running:
            return
        try:
            killer = self._connect()
        except Exception as exc:  # the store went away: the query ends at its own time limit
            _log.warning("cannot cancel the running SQL query: %s", one_line(str(exc)))
            return
        try:
            killer.command(f"KILL QUERY WHERE startsWith(query, '{self._marker}') ASYNC")
        except Exception as exc:
            _log.warning("cannot cancel the running SQL query: %s", one_line(str(exc)))
        finally:
            killer.close()

    def _reset(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def close(self, timeout: float = 5.0) -> None:
        """Closes the session once the query running (if any) has ended, waiting at most ``timeout``."""
        if self._lock.acquire(timeout=max(0.0, timeout)):
            try:
                self._reset()
            finally:
                self._lock.release()
        else:
            _log.warning("a SQL query is still running at shutdown; its session closes with the process")


def _lines(stream: Any) -> Iterator[bytes]:
    """Lines of the engine's output, from a file-like (embedded) or a chunk iterator (server)."""
    chunks = iter(lambda: stream.read(1 << 16), b"") if hasattr(stream, "read") else iter(stream)
    pending = b""
    try:
        for chunk in chunks:
            pending += chunk
            *complete, pending = pending.split(b"\n")
            yield from complete
        if pending:
            yield pending
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()


def _json_body(lines: Iterator[bytes], limit: int) -> bytes:
    """``{"columns", "types", "rows"}`` assembled from the engine's JSON lines, refused past ``limit`` bytes."""
    columns = next(lines, b"[]")
    types = next(lines, b"[]")
    body = bytearray(b'{"columns":' + columns + b',"types":' + types + b',"rows":[')
    first = True
    for line in lines:
        if len(body) + len(line) + 2 > limit:
            raise SqlError(f"result is larger than {limit} bytes of JSON: add a LIMIT or select fewer columns")
        if not first:
            body += b","
        body += line
        first = False
    body += b"]}"
    return bytes(body)
