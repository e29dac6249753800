"""The HTTP port's connections: a cap, read deadlines, and a clear answer to HTTP/2.

Why: 19,900 sockets that each sent half a request line once held every descriptor of a
collector (aiohttp waits an hour for a request head by default), so exports and ``/healthz`` timed
out, and asyncio logged a traceback per failed accept. So:

- at most ``max_connections`` are open; when full, the connection idle the longest (no request
  in progress: a slow or abandoned request head, or an idle keep-alive) is closed to make room, so
  a flood of idle sockets cannot lock out a sender, and descriptors stay bounded. Only when every
  connection is inside a request is the new one refused;
- a request head must arrive within ``header_timeout`` seconds of the connection opening or of
  its previous response (aiohttp's ``keepalive_timeout``, which covers both);
- a request body must arrive within ``body_timeout`` seconds of its head: 408, connection closed;
- HTTP/2 (what gRPC exporters send, e.g. the Python OTLP exporter's default protocol pointed at
  4318) gets a gRPC answer, UNIMPLEMENTED with the fix as its message (what the sender's exporter
  logs, and does not retry), and one log line per minute here, instead of aiohttp's 400 and
  traceback per attempt (and a sender retrying until its deadline);
- failed accepts (the process out of descriptors anyway) and malformed requests (aiohttp logs a
  traceback for each) are logged once a minute.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import struct
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from otel_llm.log_interval import IntervalLog
from otel_llm_collector.metrics import Counters

__all__ = ["ConnectionGuard", "GuardedSite", "ServerLog", "log_accept_errors", "raise_descriptor_limit"]

_log = logging.getLogger(__name__)

_HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n"
_HTTP2_PREFACE_LENGTH = 24  # with its "\r\nSM\r\n\r\n" tail
_HTTP2_MAX_SNIFF = 65536  # bytes read looking for the first request's stream before giving up
_SETTINGS, _HEADERS, _GOAWAY = 0x4, 0x1, 0x7  # frame types
_END_STREAM, _END_HEADERS = 0x1, 0x4
_NO_ERROR = 0x0  # HTTP/2 error code for GOAWAY. Not HTTP_1_1_REQUIRED (0xd): gRPC 1.85 clients abort() on it
_ACCEPT_OUT_OF_RESOURCES = "socket.accept() out of system resource"  # asyncio's context message

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class BodyTimeout(Exception):
    """The request body did not arrive within ``body_timeout``; answered 408 by the guard."""


def _frame(kind: int, flags: int, stream: int, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def _hpack_literal(name: str, value: str) -> bytes:
    """A header as an HPACK literal without indexing (no Huffman, no table state to keep)."""

    def string(text: str) -> bytes:
        raw = text.encode()
        length = len(raw)
        if length < 0x7F:
            return bytes([length]) + raw
        prefix, length = bytearray([0x7F]), length - 0x7F
        while length >= 0x80:
            prefix.append(length % 0x80 | 0x80)
            length //= 0x80
        return bytes(prefix) + bytes([length]) + raw

    return b"\x00" + string(name) + string(value)


def _first_stream(frames: bytes) -> int | None:
    """The stream of the client's first HEADERS frame in ``frames`` (after the preface), if there yet."""
    offset = _HTTP2_PREFACE_LENGTH
    while offset + 9 <= len(frames):
        length = int.from_bytes(frames[offset : offset + 3], "big")
        if frames[offset + 3] == _HEADERS:
            return int.from_bytes(frames[offset + 5 : offset + 9], "big") & 0x7FFF_FFFF
        offset += 9 + length
    return None


def _grpc_refusal(stream: int, message: str) -> bytes:
    """A trailers-only gRPC answer on ``stream`` (UNIMPLEMENTED, not retried, with ``message`` as
    the status text the client's exporter logs), and a GOAWAY."""
    headers = (
        b"\x88"  # :status 200, from HPACK's static table
        + _hpack_literal("content-type", "application/grpc")
        + _hpack_literal("grpc-status", "12")
        + _hpack_literal("grpc-message", message.replace("%", "%25"))
    )
    goaway = struct.pack(">II", stream, _NO_ERROR) + message.encode()
    return _frame(_HEADERS, _END_STREAM | _END_HEADERS, stream, headers) + _frame(_GOAWAY, 0, 0, goaway)


class _Connection(asyncio.Protocol):
    """aiohttp's protocol for one connection, seen by the guard: counted, evictable, sniffed."""

    def __init__(self, guard: ConnectionGuard, inner: Any) -> None:
        self._guard = guard
        self.inner = inner
        self.transport: asyncio.Transport | None = None
        self.requests = 0  # in progress
        self._head = b""  # the first bytes, until they tell HTTP/1 from HTTP/2
        self._sniffing = True
        self._http2 = False
        self._accepted = False
        self._closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        if not self._guard.admit(self):
            transport.abort()  # type: ignore[attr-defined]
            return
        self._accepted = True
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._http2:  # waiting for the first stream's id, to answer on it
            self._head += data
            stream = _first_stream(self._head)
            if stream is not None or len(self._head) > _HTTP2_MAX_SNIFF:
                self._http2 = False
                self._guard.refuse_http2(self, stream)
            return
        if self._sniffing:
            self._head += data
            if _HTTP2_PREFACE.startswith(self._head[: len(_HTTP2_PREFACE)]):
                if len(self._head) < len(_HTTP2_PREFACE):
                    return  # not enough to tell yet
                self._sniffing, self._http2 = False, True
                if self.transport is not None:  # our preface: clients send their first call only after it
                    self.transport.write(_frame(_SETTINGS, 0, 0, b""))
                self.data_received(b"")
                return
            self._sniffing = False
            data, self._head = self._head, b""
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received() if self._accepted else None

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._accepted:
            return
        self._guard.closed(self)
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    def close(self) -> None:
        """Closed by the guard (evicted): leaves the count now, not when the loop gets to it."""
        if self.transport is not None and not self._closed:
            self._closed = True
            self.transport.abort()


class ConnectionGuard:
    """Counts the HTTP port's connections and enforces the cap and the body deadline."""

    def __init__(
        self,
        max_connections: int,
        body_timeout: float,
        counters: Counters,
        http2_hint: str,
    ) -> None:
        self._max = max_connections
        self._body_timeout = body_timeout
        self._counters = counters
        self._http2_hint = http2_hint
        self._open: dict[Any, _Connection] = {}  # aiohttp's protocol -> ours
        self._idle: OrderedDict[_Connection, None] = OrderedDict()  # no request in progress, longest idle first
        self._full_log = IntervalLog(_log, logging.WARNING)
        self._http2_log = IntervalLog(_log, logging.WARNING)

    @property
    def open_connections(self) -> int:
        return len(self._open)

    def factory(self, make: Callable[[], Any]) -> Callable[[], asyncio.Protocol]:
        """The protocol factory for ``loop.create_server``, around aiohttp's own ``make``."""
        return lambda: _Connection(self, make())

    def admit(self, connection: _Connection) -> bool:
        if len(self._open) >= self._max:
            if not self._idle:
                self._counters.add("connections_refused")
                self._full_log.log(
                    "HTTP port at its limit of %d connections, all inside requests: refusing new ones; "
                    "raise --max-connections if this load is expected",
                    self._max,
                )
                return False
            oldest, _ = self._idle.popitem(last=False)
            del self._open[oldest.inner]
            oldest.close()
            self._counters.add("connections_evicted")
            self._full_log.log(
                "HTTP port at its limit of %d connections: closing the longest idle ones to make room "
                "(clients holding connections open without sending requests?)",
                self._max,
            )
        self._open[connection.inner] = connection
        self._idle[connection] = None
        return True

    def closed(self, connection: _Connection) -> None:
        if self._open.get(connection.inner) is connection:
            del self._open[connection.inner]
        self._idle.pop(connection, None)

    def refuse_http2(self, connection: _Connection, stream: int | None) -> None:
        """Answers the first gRPC call of an HTTP/2 connection with the fix, then closes it."""
        self._counters.add("requests_http2_refused")
        self._http2_log.log("%s", self._http2_hint)
        if connection.transport is not None:
            if stream is not None:
                connection.transport.write(_grpc_refusal(stream, self._http2_hint))
            connection.transport.close()

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Marks the connection busy (never evicted mid-request) and bounds the body's arrival."""
        connection = self._open.get(request.protocol)
        if connection is not None:
            connection.requests += 1
            self._idle.pop(connection, None)
        timer = None
        if not request.content.is_eof():
            timer = asyncio.get_running_loop().call_later(self._body_timeout, _expire_body, request)
        try:
            return await handler(request)
        except BodyTimeout:
            request.content.feed_eof()  # what is left of the body is not waited for either
            response = web.json_response(
                {"error": f"request body not received within {self._body_timeout:g} s"}, status=408
            )
            response.force_close()
            return response
        finally:
            if timer is not None:
                timer.cancel()
            if connection is not None:
                connection.requests -= 1
                if not connection.requests and connection.inner in self._open:
                    self._idle[connection] = None


def _expire_body(request: web.Request) -> None:
    if not request.content.is_eof():
        request.content.set_exception(BodyTimeout())


class ServerLog(logging.LoggerAdapter):  # type: ignore[type-arg]
    """aiohttp's server logger, with a malformed request (a 400 aiohttp answers itself) as one
    line a minute instead of a traceback each: anyone can send bytes that are not HTTP."""

    def __init__(self) -> None:
        super().__init__(logging.getLogger("aiohttp.server"), {})
        self._malformed = IntervalLog(_log, logging.WARNING)

    def exception(self, msg: object, *args: object, exc_info: Any = True, **kwargs: Any) -> None:
        if isinstance(exc_info, HttpProcessingError):
            text = " ".join(str(exc_info.message).split())[:200]  # the sender's bytes: one short line
            self._malformed.log("malformed HTTP request refused with %d: %s", exc_info.code, text)
            return
        super().exception(msg, *args, exc_info=exc_info, **kwargs)


class GuardedSite(web.BaseSite):
    """``web.TCPSite`` whose connections go through a :class:`ConnectionGuard`."""

    __slots__ = ("_guard", "_host", "_port")

    def __init__(self, runner: web.BaseRunner, host: str, port: int, guard: ConnectionGuard, **kwargs: Any) -> None:
        super().__init__(runner, **kwargs)
        self._guard = guard
        self._host = host
        self._port = port

    @property
    def name(self) -> str:
        return f"{'https' if self._ssl_context else 'http'}://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None
        self._server = await asyncio.get_running_loop().create_server(
            self._guard.factory(server), self._host, self._port, ssl=self._ssl_context, backlog=self._backlog
        )


def log_accept_errors(loop: asyncio.AbstractEventLoop) -> None:
    """Failed accepts (out of descriptors) as one line a minute, not a traceback each; every
    other loop error goes to asyncio's own handler."""
    accept_log = IntervalLog(_log, logging.ERROR)

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message", "").startswith(_ACCEPT_OUT_OF_RESOURCES):
            accept_log.log(
                "cannot accept connections: %s; raise the open-file limit (ulimit -n) or lower --max-connections",
                context.get("exception"),
            )
            return
        loop.default_exception_handler(context)

    loop.set_exception_handler(handle)


def raise_descriptor_limit(needed: int) -> None:
    """Raises this process's open-file limit to ``needed`` when the hard limit allows (as Go's
    runtime does at start), else says once what to change: the connection caps only protect the
    collector if its descriptors outnumber them."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError) as exc:  # not allowed: run with what there is, and say so
        _log.debug("cannot raise the open-file limit: %s", exc)
        target = soft
    if target < needed:
        _log.warning(
            "open-file limit %d is below the %d the connection caps need; raise ulimit -n or lower --max-connections",
            target,
            needed,
        )
