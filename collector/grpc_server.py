"""The gRPC port (4317): the OTLP TraceService and LogsService, sharing the HTTP receiver's ingest paths.

Refusals carry what the OTel exporters act on: RESOURCE_EXHAUSTED with a ``RetryInfo`` in the
``google.rpc.retryinfo-bin`` trailer when the spool is full (the Python exporter reads exactly that
key), UNAVAILABLE with the same trailer when the spool's disk refuses the write, UNAUTHENTICATED
without the bearer token, INVALID_ARGUMENT (not retryable) for a message that does not decode.
Messages over the size limit are refused by gRPC itself (RESOURCE_EXHAUSTED).

Why asyncio (``grpc.aio``) on the HTTP port's event loop: a unary call waits for its whole request
message before the handler runs, and grpcio's threaded server waited on one of its worker threads,
so eight calls whose message never finished (no token needed: it was checked once the message was
in) stopped every gRPC export. Here a waiting call is a coroutine, the token is checked first, the
message must arrive within ``body_timeout`` (else DEADLINE_EXCEEDED), and decoding and the spool's
fsync run on the default thread pool, as for HTTP.

Connections are bounded as on the HTTP port, by gRPC's own options: at most ``max_connections``
(new ones are closed at once past it) with at most ``_STREAMS_PER_CONNECTION`` calls each, a
handshake that must complete within ``header_timeout`` (a socket sending half a preface is closed,
not held), idle connections closed after the same time with a GOAWAY (clients reconnect on their
next call), and every connection renewed ``_CONNECTION_AGE_S`` after it opened (``body_timeout``
of grace for the calls in flight).
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import AsyncIterator

import grpc
from google.protobuf.duration_pb2 import Duration
from google.protobuf.message import Message
from google.rpc.error_details_pb2 import RetryInfo

from otel_llm_collector.ingest import RETRY_AFTER_SECONDS, Ingest, SpoolFull, SpoolUnavailable
from otel_llm_collector.otlp import Accepted, PayloadError, decode_protobuf, response_message

__all__ = ["start_grpc"]

_RETRY_TRAILER = "google.rpc.retryinfo-bin"
_STREAMS_PER_CONNECTION = 16  # an OTLP exporter has one call in flight at a time
_CONNECTION_AGE_S = 300  # then a GOAWAY: the client reconnects for its next call, transparently


class _ExportService:
    """One signal's OTLP service: its one method, ``Export``."""

    def __init__(self, ingest: Ingest, auth_token: str | None, body_timeout: float) -> None:
        self._ingest = ingest
        self._expected = f"Bearer {auth_token}".encode() if auth_token else None
        self._body_timeout = body_timeout

    async def Export(self, messages: AsyncIterator[bytes], context: grpc.aio.ServicerContext) -> Message:
        """Registered as client-streaming, which is the same on the wire as the unary call OTLP
        makes: so the token is checked before the message is waited for, and the wait is bounded."""
        if self._expected is not None:
            given = dict(context.invocation_metadata() or ()).get("authorization", "")
            if not hmac.compare_digest(str(given).encode(), self._expected):
                await context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or wrong bearer token")
        try:
            async with asyncio.timeout(self._body_timeout):
                body = await anext(messages)
        except TimeoutError:
            message = f"request message not received within {self._body_timeout:g} s"
            await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, message)
        except StopAsyncIteration:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "Export takes exactly one request message")
        try:
            accepted: Accepted = await asyncio.get_running_loop().run_in_executor(None, self._export, body)
        except PayloadError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except SpoolFull:
            await _refuse(context, grpc.StatusCode.RESOURCE_EXHAUSTED, "collector spool is full; retry later")
        except SpoolUnavailable:  # ingest logs the outage once; here it is only answered
            await _refuse(
                context,
                grpc.StatusCode.UNAVAILABLE,
                "collector cannot write its spool (disk full or failing); retry later",
            )
        return response_message(self._ingest.signal, accepted)

    def _export(self, body: bytes) -> Accepted:
        return self._ingest.export(decode_protobuf(self._ingest.signal, body), body)


async def _refuse(context: grpc.aio.ServicerContext, code: grpc.StatusCode, message: str) -> None:
    """Aborts with a retryable code and the delay the exporter waits before its retry."""
    retry = RetryInfo(retry_delay=Duration(seconds=RETRY_AFTER_SECONDS))
    context.set_trailing_metadata(((_RETRY_TRAILER, retry.SerializeToString()),))
    await context.abort(code, message)


async def start_grpc(
    ingests: tuple[Ingest, ...],
    *,
    host: str,
    port: int,
    max_message_bytes: int,
    auth_token: str | None,
    tls: tuple[bytes, bytes] | None,
    max_connections: int = 1024,
    header_timeout: float = 10.0,
    body_timeout: float = 30.0,
) -> tuple[grpc.aio.Server, int]:
    """Starts the server on the running event loop; returns it and the bound port (``port=0``
    picks a free one). ``await server.stop(grace)`` stops it."""
    timeout_ms = max(1, int(header_timeout * 1000))
    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            # Without SO_REUSEPORT (gRPC's default on Linux) a second collector on the same port
            # fails to start instead of silently taking half of the connections.
            ("grpc.so_reuseport", 0),
            ("grpc.max_allowed_incoming_connections", max_connections),
            ("grpc.max_concurrent_streams", _STREAMS_PER_CONNECTION),
            ("grpc.server_handshake_timeout_ms", timeout_ms),
            ("grpc.max_connection_idle_ms", timeout_ms),
            ("grpc.max_connection_age_ms", _CONNECTION_AGE_S * 1000),
            ("grpc.max_connection_age_grace_ms", max(1, int(body_timeout * 1000))),
        ],
    )
    # Raw bytes in, decoded by Export: a request that does not decode is then answered
    # INVALID_ARGUMENT, the code OTLP recommends, instead of grpcio's INTERNAL plus an ERROR traceback
    # in the log for each one (before the token is even checked).
    handlers = []
    for ingest in ingests:
        export = grpc.stream_unary_rpc_method_handler(
            _ExportService(ingest, auth_token, body_timeout).Export,
            response_serializer=lambda message: message.SerializeToString(),
        )
        handlers.append(grpc.method_handlers_generic_handler(ingest.signal.grpc_service, {"Export": export}))
    server.add_generic_rpc_handlers(tuple(handlers))
    bound = _bind(server, f"{host}:{port}", tls)
    await server.start()
    return server, bound


def _bind(server: grpc.aio.Server, address: str, tls: tuple[bytes, bytes] | None) -> int:
    """Binds ``address``; returns the port. grpcio reports a port it cannot bind as a RuntimeError
    (older releases: port 0). As an ``OSError``, like the HTTP port's, the start reports it as
    "cannot start", and a RuntimeError from anywhere else still shows as the bug it is."""
    try:
        if tls is None:
            bound = server.add_insecure_port(address)
        else:
            key, cert = tls
            bound = server.add_secure_port(address, grpc.ssl_server_credentials([(key, cert)]))
    except RuntimeError as exc:
        raise OSError(f"cannot bind gRPC to {address}: {exc}") from exc
    if bound == 0:
        raise OSError(f"cannot bind gRPC to {address}")
    return bound
