"""The dashboard's HTTP server: the standard library's ThreadingHTTPServer, GET only, read-only.

Why it is safe to leave running:

- It binds 127.0.0.1 by default and refuses any other address without an auth token
  (:func:`check_bind`). With a token, a request must carry it as ``Authorization: Bearer``, as the
  ``otel_llm_ui`` cookie, or once as ``?token=`` (answered with the cookie, HttpOnly and
  SameSite=Strict, and a redirect to the same URL without the token, so it leaves the address bar).
  On loopback without a token, the Host header must name the loopback (a page on another site
  cannot read the dashboard through DNS rebinding).
- The URL is parsed into typed values first (``view.parse_view``); the reads bind them as query
  parameters. Every query runs with ClickHouse's ``readonly=1`` and the engine's own time and row
  limits (:data:`QUERY_LIMITS`), one at a time (the embedded engine has one session).
- The savings advice (``advise``, tens of seconds on a large store) is computed by one background
  thread (``advice``), one query at a time with its own larger limits (:data:`ADVICE_LIMITS`), and
  never on a request: the savings page reads no store at all, it shows the last result. Given a
  session of its own (``advice_source``: ``otel-llm ui`` opens a second client of the same store),
  it runs beside the pages' reads; on the pages' session, a page would wait for its running query
  (measured: the embedded engine runs one client's queries one after another, two clients' at once).
- A failing read answers 503 with one line; the engine's message, which may quote SQL, goes to
  the server log, not to the browser. Every page is escaped (``pages``), and a
  Content-Security-Policy allows only the package's own script and stylesheet.
"""

from __future__ import annotations

import copy
import datetime as dt
import hmac
import ipaddress
import logging
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from otel_llm.query import ClickHouseSource, QueryError, QuerySource, Result
from otel_llm.ui import data, pages
from otel_llm.ui.advice import AdviceCache
from otel_llm.ui.format import to_json
from otel_llm.ui.view import BadParameter, View, parse_view

__all__ = ["ADVICE_LIMITS", "COOKIE", "QUERY_LIMITS", "Dashboard", "DashboardServer", "ReadOnlySource", "Reply",
           "check_bind", "is_loopback", "make_server"]

_log = logging.getLogger(__name__)

COOKIE = "otel_llm_ui"
# Sent with every query: the engine ends a slow one and refuses an oversized result.
QUERY_LIMITS: Mapping[str, Any] = {
    "max_execution_time": 15, "timeout_overflow_mode": "throw",
    "max_result_rows": 100_000, "result_overflow_mode": "throw",
    "max_memory_usage": 512 << 20,
}
# The background advice computation's: one query at a time off the request path, so it may use
# more time and memory than a page query (advise reads single calls: ~40 s, >512 MiB at 10M calls).
ADVICE_LIMITS: Mapping[str, Any] = {**QUERY_LIMITS, "max_execution_time": 300, "max_memory_usage": 2 << 30}
_STATIC = {"ui.css": "text/css; charset=utf-8", "ui.js": "text/javascript; charset=utf-8",
           "favicon.svg": "image/svg+xml"}
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
_Reader = Callable[[QuerySource, data.Settings, View, dt.datetime], dict[str, Any]]
_READERS: dict[str, _Reader] = {"overview": data.overview_page, "users": data.users_page, "calls": data.calls_page}


class ReadOnlySource:
    """Every query read-only (the engine refuses writes) and one at a time: the embedded engine
    serves one session, and the server's threads must not interleave on it."""

    def __init__(self, source: QuerySource, lock: threading.Lock | None = None) -> None:
        self._source = source
        self._lock = lock or threading.Lock()

    def with_limits(self, limits: Mapping[str, Any]) -> ReadOnlySource:
        """The same store, one query at a time with this one, under other engine limits where the
        source sends them (a ClickHouseSource); a collector's endpoint applies its own."""
        inner = self._source
        if isinstance(inner, ClickHouseSource):
            inner = copy.copy(inner)
            inner.limits = {**inner.limits, **limits}
        return ReadOnlySource(inner, self._lock)

    def query(self, sql: str, parameters: Mapping[str, Any] | None = None, *, readonly: bool = True) -> Result:
        with self._lock:
            return self._source.query(sql, parameters, readonly=True)


def is_loopback(host: str) -> bool:
    """The loopback by name or address: what a server bound there may be asked for in a Host header."""
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_TOKEN = re.compile(r"[A-Za-z0-9._~+/=-]{16,}")


def check_bind(host: str, token: str | None) -> None:
    """Refuse to serve beyond this machine without a token: the dashboard shows who spends what.
    A token is at least 16 characters a cookie and a URL carry unquoted (``openssl rand -hex 16``)."""
    if token is not None and not _TOKEN.fullmatch(token):
        raise ValueError("--auth-token: at least 16 letters, digits or ._~+/=- (e.g. openssl rand -hex 16)")
    if not is_loopback(host) and not token:
        raise ValueError(f"--host {host} serves the dashboard to other machines: give --auth-token TOKEN "
                         f"(or set OTEL_LLM_UI_AUTH_TOKEN), or keep the default --host 127.0.0.1")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


@dataclass(frozen=True)
class Reply:
    """One HTTP response, for whichever server sends it."""

    status: HTTPStatus
    body: bytes
    content_type: str
    headers: Mapping[str, str] = field(default_factory=dict)

    def all_headers(self) -> dict[str, str]:
        return {**_SECURITY_HEADERS, **self.headers, "Content-Type": self.content_type,
                "Content-Length": str(len(self.body))}


class Dashboard:
    """The dashboard's requests and answers without a server: ``otel-llm ui``'s own HTTP server and
    the collector's HTTP port (``otel-llm collector --ui``) both hand it the method, the target
    (path and query) and the headers, and send what it returns. ``loopback_only``: the server is
    bound to the loopback, so without a token the Host header must name it too."""

    def __init__(self, source: QuerySource, settings: data.Settings, *, token: str | None,
                 loopback_only: bool, clock: Callable[[], dt.datetime] = _now,
                 advice_source: QuerySource | None = None) -> None:
        self.source = ReadOnlySource(source)
        self.settings = settings
        self.token = token
        self.loopback_only = loopback_only
        self.clock = clock
        advice_reads = self.source if advice_source is None else ReadOnlySource(advice_source)
        self.advice = AdviceCache(advice_reads.with_limits(ADVICE_LIMITS), settings.database,
                                  every=settings.advice_every, clock=clock)
        self._readers: dict[str, _Reader] = {
            **_READERS, "savings": partial(data.savings_page, advice=self.advice),
            "alerts": partial(data.alerts_page, advice=self.advice)}

    def respond(self, method: str, target: str, headers: Mapping[str, str]) -> Reply:
        """The answer to one request; a bug of ours is logged with its traceback and answered
        with one line."""
        if method not in ("GET", "HEAD"):
            return Reply(HTTPStatus.METHOD_NOT_ALLOWED, b"read-only dashboard: GET only\n", "text/plain; charset=utf-8",
                         {"Allow": "GET, HEAD"})
        try:
            return self._route(target, headers)
        except Exception:
            _log.exception("dashboard request %s failed", target[:200])
            return _error(HTTPStatus.INTERNAL_SERVER_ERROR, "the dashboard failed on this request; its log has why")

    def _route(self, target: str, headers: Mapping[str, str]) -> Reply:
        parts = urlsplit(target)
        path = parts.path
        if path.startswith("/static/") and path[8:] in _STATIC:  # assets carry no data: no token needed
            return _static(path[8:])
        refused = self._refused(target, parts.query, headers)
        if refused is not None:
            return refused
        page = "overview" if path in ("/", "") else path.strip("/")
        api = page.startswith("api/")
        page = page.removeprefix("api/")
        if page not in pages.PAGES:
            return _error(HTTPStatus.NOT_FOUND, f"no page {path[:80]!r}: pages are {', '.join(pages.PAGES)}")
        now = self.clock()
        try:
            view = parse_view(_without_token(parts.query), now)
        except BadParameter as exc:
            return _error(HTTPStatus.BAD_REQUEST, f"bad URL parameter: {exc}", api)
        try:
            payload = self._readers[page](self.source, self.settings, view, now)
            main = pages.main_html(page, payload, view, self.settings, now)
            if api:
                return Reply(HTTPStatus.OK, to_json({"page": page, "view": view.query_string(),
                                                     "data": _api_data(payload), "html": main}), "application/json")
            choices = data.choices(self.source, self.settings, view) if page in pages.FILTERED else {}
        except QueryError as exc:
            _log.warning("dashboard read failed: %s", exc)
            return _error(HTTPStatus.SERVICE_UNAVAILABLE,
                          "the store did not answer this view (the dashboard's log has the engine's message); "
                          "try a shorter window or reload", api)
        html = pages.layout(page, main, view, choices)
        return Reply(HTTPStatus.OK, html.encode(), "text/html; charset=utf-8")

    def _refused(self, target: str, query: str, headers: Mapping[str, str]) -> Reply | None:
        """None when the request may read; else the answer: 403 for a foreign Host, 401 without
        the token, or the redirect that trades ``?token=`` for the cookie."""
        token = self.token
        if token is None:
            host = (headers.get("Host") or "").rsplit(":", 1)[0].strip("[]")
            if self.loopback_only and not is_loopback(host):
                return _error(HTTPStatus.FORBIDDEN, "this dashboard answers requests addressed to localhost only")
            return None
        offered = dict(parse_qsl(query)).get("token")
        if offered is not None:
            if not hmac.compare_digest(offered.encode(), token.encode()):
                return _error(HTTPStatus.UNAUTHORIZED, "wrong token")
            location = urlsplit(target)._replace(query=_without_token(query)).geturl() or "/"
            return Reply(HTTPStatus.SEE_OTHER, b"", "text/plain", {
                "Location": location, "Set-Cookie": f"{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/"})
        if any(hmac.compare_digest(c.encode(), token.encode()) for c in _credentials(headers)):
            return None
        return _error(HTTPStatus.UNAUTHORIZED, "this dashboard needs its token: open it once with ?token=TOKEN "
                                               "(a cookie keeps it) or send Authorization: Bearer TOKEN")


def _credentials(headers: Mapping[str, str]) -> list[str]:
    found = []
    header = headers.get("Authorization") or ""
    if header.startswith("Bearer "):
        found.append(header[7:].strip())
    try:
        cookie = SimpleCookie(headers.get("Cookie") or "")
    except CookieError:
        cookie = SimpleCookie()
    if COOKIE in cookie:
        found.append(cookie[COOKIE].value)
    return found


def _static(name: str) -> Reply:
    body = resources.files("otel_llm.ui").joinpath("static", name).read_bytes()
    return Reply(HTTPStatus.OK, body, _STATIC[name], {"Cache-Control": "max-age=300"})


def _error(status: HTTPStatus, message: str, api: bool = False) -> Reply:
    if api:
        return Reply(status, to_json({"error": message}), "application/json")
    return Reply(status, pages.error_page(status.value, message).encode(), "text/html; charset=utf-8")


class DashboardServer(ThreadingHTTPServer):
    """``otel-llm ui``'s own server: the standard library's, one thread per request."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], dashboard: Dashboard) -> None:
        super().__init__(address, _Handler)
        self.dashboard = dashboard

    def server_close(self) -> None:
        super().server_close()
        self.dashboard.advice.close()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}/"


def make_server(source: QuerySource, settings: data.Settings, *, host: str = "127.0.0.1", port: int = 8321,
                token: str | None = None, clock: Callable[[], dt.datetime] = _now,
                advice_source: QuerySource | None = None) -> DashboardServer:
    """A bound server (``serve_forever`` runs it); port 0 picks a free port. ``advice_source``: a
    second session of the same store for the background savings advice, so no page waits for it."""
    check_bind(host, token)
    dashboard = Dashboard(source, settings, token=token, loopback_only=is_loopback(host), clock=clock,
                          advice_source=advice_source)
    return DashboardServer((host, port), dashboard)


class _Handler(BaseHTTPRequestHandler):
    server: DashboardServer
    timeout = 20  # a client that stops sending holds a thread no longer than this
    server_version = "otel-llm-ui"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        _log.info("%s %s", self.address_string(), format % args)

    def _answer(self) -> None:
        reply = self.server.dashboard.respond(self.command, self.path, self.headers)
        self.send_response(reply.status)
        for name, value in reply.all_headers().items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = _answer


def _without_token(query: str) -> str:
    return urlencode([(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "token"])


def _api_data(payload: dict[str, Any]) -> dict[str, Any]:
    """The page's numbers for scripts: query results as lists of objects."""
    return {k: (v.dicts() if isinstance(v, Result) else v) for k, v in payload.items()}
