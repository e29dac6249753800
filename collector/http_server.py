"""The HTTP port (4318): OTLP/HTTP traces and logs, the read-only SQL endpoint, health and metrics.

aiohttp serves it (and inflates gzip/deflate bodies, counting the inflated size against the
limit). Decoding and the spool's fsync run in the default thread pool, SQL on a thread of its own,
so neither stalls the event loop that accepts other requests. Status codes follow the OTLP/HTTP
spec, the same for ``/v1/traces`` and ``/v1/logs``: 200 with ``partial_success`` when some spans
(log records) were refused, 400 with a ``google.rpc.Status``
body for a malformed payload, 413 over the size limit, 415 for an unknown content type, 429 +
``Retry-After`` when the spool is full, 503 + ``Retry-After`` when its disk refuses the write (both
retryable for OTLP exporters, which wait the hinted delay). ``/readyz`` is 503 while the store is
away or the disk refuses. With a token configured every endpoint but ``/healthz`` needs
``Authorization: Bearer``; liveness probes carry no credentials and the answer reveals nothing.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError
from google.protobuf import json_format
from google.rpc import code_pb2, status_pb2

from otel_llm_collector.connections import ConnectionGuard, GuardedSite, ServerLog, log_accept_errors
from otel_llm_collector.drain import Drain
from otel_llm_collector.ingest import RETRY_AFTER_SECONDS, Ingest, SpoolFull, SpoolUnavailable
from otel_llm_collector.metrics import Counters
from otel_llm_collector.otlp import PayloadError, Signal, decode_json, decode_protobuf, response
from otel_llm_collector.sql import SqlEndpoint, SqlError, SqlRefused, SqlUnavailable, one_line
from otel_llm_collector.ui import dashboard_routes, is_dashboard_path

if TYPE_CHECKING:
    from otel_llm.ui.server import Dashboard

__all__ = ["HttpDeps", "build_app", "start_http"]

_PROTOBUF = "application/x-protobuf"
_JSON = "application/json"
_UNAUTHENTICATED_PATHS = frozenset({"/healthz"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class HttpDeps:
    ingests: tuple[Ingest, ...]  # one per signal, each served at /v1/<signal.name>
    sql: SqlEndpoint
    drains: tuple[Drain, ...]
    counters: Counters
    max_body_bytes: int
    auth_token: str | None
    guard: ConnectionGuard
    dashboard: Dashboard | None = None  # --ui: the dashboard's pages, which check the token themselves


def _status(code: int, http_status: int, message: str, *, as_json: bool, headers: dict | None = None) -> web.Response:
    status = status_pb2.Status(code=code, message=message)
    if as_json:
        body, ctype = json_format.MessageToJson(status, indent=None).encode(), _JSON
    else:
        body, ctype = status.SerializeToString(), _PROTOBUF
    return web.Response(status=http_status, body=body, content_type=ctype, headers=headers)


def _retry_later(code: int, http_status: int, reason: str, *, as_json: bool) -> web.Response:
    """A refusal the sender retries (nothing was stored), after the delay OTLP exporters honour."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return _status(code, http_status, f"{reason}; retry later", as_json=as_json, headers=headers)


def _auth_middleware(
    token: str, own_check: Callable[[str], bool]
) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    expected = f"Bearer {token}".encode()

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path not in _UNAUTHENTICATED_PATHS and not own_check(request.path):
            given = request.headers.get("Authorization", "").encode()
            if not hmac.compare_digest(given, expected):
                return web.json_response(
                    {"error": "missing or wrong bearer token"},
                    status=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
        return await handler(request)

    return check


def _decode(signal: Signal, body: bytes, content_type: str) -> tuple[Any, bytes | None]:
    if content_type == _JSON:
        return decode_json(signal, body), None
    return decode_protobuf(signal, body), body


def _sql_request(body: bytes) -> tuple[str, dict[str, Any]]:
    """``(query, parameters)`` from a ``/v1/sql`` body; ``ValueError`` with one line for any other shape
    (Python's JSON reader raises ``RecursionError`` on deep nesting: 200,000 ``[`` is a bad request)."""
    try:
        document = json.loads(body)
    except RecursionError:
        raise ValueError("JSON nests too deeply") from None
    except ValueError as exc:
        raise ValueError(one_line(f"not JSON: {exc}")) from None
    if not isinstance(document, dict) or not isinstance(document.get("query"), str):
        raise ValueError("query must be a string")
    parameters = document.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise ValueError("parameters must be an object")
    return document["query"], parameters


def build_app(deps: HttpDeps) -> web.Application:
    # The guard first: a request refused by the token check still counts as one in progress.
    own_check = is_dashboard_path if deps.dashboard else (lambda _path: False)  # same token, browser-friendly
    middlewares = [deps.guard.middleware] + ([_auth_middleware(deps.auth_token, own_check)] if deps.auth_token else [])
    app = web.Application(client_max_size=deps.max_body_bytes, middlewares=middlewares)
    # Queries run one at a time on their own thread: a slow report must never hold the pool
    # threads that acknowledge spans.
    sql_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sql")

    async def stop_sql_thread(_app: web.Application) -> None:
        sql_thread.shutdown(wait=False, cancel_futures=True)

    app.on_cleanup.append(stop_sql_thread)

    def otlp(ingest: Ingest) -> Handler:
        """The handler of ``/v1/<signal>``: one for every signal, so each answers alike."""
        return lambda request: export(ingest, request)

    async def export(ingest: Ingest, request: web.Request) -> web.Response:
        content_type = request.content_type
        as_json = content_type == _JSON
        if content_type not in (_PROTOBUF, _JSON):
            return _status(code_pb2.INVALID_ARGUMENT, 415, f"unsupported Content-Type {content_type!r}", as_json=True)
        try:
            body = await request.read()  # aiohttp inflates gzip/deflate and counts the inflated size
        except web.HTTPRequestEntityTooLarge:
            message = f"body exceeds {deps.max_body_bytes} bytes (after decompression)"
            return _status(code_pb2.INVALID_ARGUMENT, 413, message, as_json=as_json)
        except RequestPayloadError as exc:
            return _status(code_pb2.INVALID_ARGUMENT, 400, f"cannot read body: {exc}", as_json=as_json)

        def work() -> bytes:
            decoded, raw = _decode(ingest.signal, body, content_type)
            return response(ingest.signal, ingest.export(decoded, raw), as_json=as_json)

        try:
            answer = await asyncio.get_running_loop().run_in_executor(None, work)
        except PayloadError as exc:
            return _status(code_pb2.INVALID_ARGUMENT, 400, str(exc), as_json=as_json)
        except SpoolFull:
            return _retry_later(code_pb2.RESOURCE_EXHAUSTED, 429, "collector spool is full", as_json=as_json)
        except SpoolUnavailable:  # ingest logs the outage once; here it is only answered
            message = "collector cannot write its spool (disk full or failing)"
            return _retry_later(code_pb2.UNAVAILABLE, 503, message, as_json=as_json)
        return web.Response(body=answer, content_type=content_type)

    async def sql(request: web.Request) -> web.Response:
        unready = [drain for drain in deps.drains if not drain.ready]
        if unready:  # the schema is created by the drains' first connection
            return web.json_response({"error": f"store not ready: {unready[0].status}"}, status=503)
        try:
            query, parameters = _sql_request(await request.read())
        except web.HTTPRequestEntityTooLarge:
            return web.json_response({"error": f"body exceeds {deps.max_body_bytes} bytes"}, status=413)
        except (ValueError, RequestPayloadError) as exc:
            return web.json_response({"error": f'expected {{"query": "...", "parameters": {{}}}}: {exc}'}, status=400)
        try:
            body = await asyncio.get_running_loop().run_in_executor(sql_thread, deps.sql.run, query, parameters)
        except SqlRefused as exc:
            return web.json_response({"error": str(exc)}, status=403)
        except SqlError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        except SqlUnavailable as exc:
            return web.json_response({"error": str(exc)}, status=503)
        return web.Response(body=body, content_type=_JSON)

    async def healthz(_request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def readyz(_request: web.Request) -> web.Response:
        spool_writable = all(ingest.spool_writable for ingest in deps.ingests)
        store = next((drain.status for drain in deps.drains if not drain.ready), "ready")
        ready = store == "ready" and spool_writable
        return web.json_response(
            {
                "ready": ready,
                "store": store,
                "spool": "ok" if spool_writable else "disk refuses writes",
                "spool_pending_requests": sum(drain.pending for drain in deps.drains),
            },
            status=200 if ready else 503,
        )

    async def metrics(_request: web.Request) -> web.Response:
        return web.Response(text=deps.counters.prometheus(), content_type="text/plain", charset="utf-8")

    app.add_routes(
        [
            *(web.post(f"/v1/{ingest.signal.name}", otlp(ingest)) for ingest in deps.ingests),
            web.post("/v1/sql", sql),
            web.get("/healthz", healthz),
            web.get("/readyz", readyz),
            web.get("/metrics", metrics),
        ]
    )
    if deps.dashboard:
        app.add_routes(dashboard_routes(deps.dashboard, sql_thread))
    return app


async def start_http(
    app: web.Application, guard: ConnectionGuard, *, host: str, port: int, ssl_context: Any, header_timeout: float
) -> tuple[web.AppRunner, int]:
    """Serves ``app`` through ``guard``; returns the runner (``cleanup()`` stops it) and the bound port.

    aiohttp's ``keepalive_timeout`` is the request-head deadline: it runs from the connection's
    opening and from each response, and closes a connection still waiting for a complete head
    (its default, an hour, let half-sent request lines hold descriptors indefinitely).
    """
    log_accept_errors(asyncio.get_running_loop())
    runner = web.AppRunner(
        app, access_log=None, handle_signals=False, keepalive_timeout=header_timeout, logger=ServerLog()
    )
    await runner.setup()
    await GuardedSite(runner, host, port, guard, ssl_context=ssl_context).start()
    return runner, runner.addresses[0][1]
