"""``otel-llm collector --ui``: the dashboard of ``otel-llm ui`` on the collector's HTTP port.

An embedded store is open in the collector's process only, so the dashboard that shows it runs
there too, and reads it the way every outside reader does: through the SQL endpoint
(:class:`EndpointSource`), so each query passes the same checks (one read statement, a
read-only session, the endpoint's limits) and runs on the endpoint's one SQL thread, never on a
thread that acknowledges spans. The savings advice (tens of seconds on a large store) runs on a
second endpoint of its own (:func:`advice_endpoint`: its own session and the dashboard's larger
advice limits), so no page waits behind it: one session runs its queries one after another.
The pages answer at ``/``, ``/<page>``, ``/api/<page>`` and ``/static/<asset>``, none of which the
collector uses otherwise.

The collector's ``--auth-token`` is the dashboard's: a browser opens it once with
``?token=TOKEN`` (an HttpOnly cookie keeps it) and scripts send ``Authorization: Bearer``, as
with ``otel-llm ui``. Without a token the collector must listen on the loopback, and then every
request must name the loopback in its Host header (no DNS rebinding).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

from aiohttp import web

from otel_llm.query import QueryError, Result
from otel_llm.query.sources import endpoint_parameters, endpoint_result
from otel_llm.ui import Settings
from otel_llm.ui.pages import PAGES
from otel_llm.ui.server import ADVICE_LIMITS, Dashboard, is_loopback
from otel_llm_collector.sql import SqlEndpoint, SqlError, SqlRefused, SqlUnavailable

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

__all__ = ["EndpointSource", "advice_endpoint", "dashboard_routes", "is_dashboard_path", "make_dashboard"]

_PAGE_PATHS = frozenset({"/", *(f"/{page}" for page in PAGES), *(f"/api/{page}" for page in PAGES)})


class EndpointSource:
    """Queries through the collector's own SQL endpoint, in process: the endpoint's checks and
    limits apply, its errors become the QueryError every reader handles."""

    def __init__(self, sql: SqlEndpoint) -> None:
        self._sql = sql

    def query(self, sql: str, parameters: Mapping[str, Any] | None = None, *, readonly: bool = False) -> Result:
        try:
            body = self._sql.run(sql, endpoint_parameters(parameters))
        except (SqlRefused, SqlError, SqlUnavailable) as exc:
            raise QueryError(str(exc)) from exc
        return endpoint_result(json.loads(body))


def advice_endpoint(connect: Callable[[], Client], max_rows: int) -> SqlEndpoint:
    """The savings advice's own endpoint: the same checks and read-only session as the pages',
    under the limits ``otel-llm ui`` gives the advice (its reads scan every call of the window)."""
    return SqlEndpoint(connect, max_rows=max_rows, timeout=ADVICE_LIMITS["max_execution_time"],
                       max_memory_bytes=ADVICE_LIMITS["max_memory_usage"])


def make_dashboard(sql: SqlEndpoint, advice_sql: SqlEndpoint, database: str, host: str,
                   token: str | None) -> Dashboard:
    return Dashboard(EndpointSource(sql), Settings(database=database), token=token, loopback_only=is_loopback(host),
                     advice_source=EndpointSource(advice_sql))


def is_dashboard_path(path: str) -> bool:
    """The paths the dashboard answers (and checks the token of) itself."""
    return path in _PAGE_PATHS or path.startswith("/static/")


def dashboard_routes(dashboard: Dashboard, sql_thread: Executor) -> list[web.RouteDef]:
    """GET routes for every dashboard path; each request is answered on the SQL thread."""

    async def page(request: web.Request) -> web.Response:
        reply = await asyncio.get_running_loop().run_in_executor(
            sql_thread, dashboard.respond, request.method, request.path_qs, request.headers)
        headers = {k: v for k, v in reply.all_headers().items() if k != "Content-Length"}  # aiohttp counts
        return web.Response(status=reply.status, body=reply.body, headers=headers)

    paths = ["/", *(f"/{p}" for p in PAGES), *(f"/api/{p}" for p in PAGES), "/static/{asset}"]
    return [web.get(path, page) for path in paths]
