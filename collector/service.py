"""Wires the parts together, runs them, and shuts them down in the order that loses nothing.

Start, for each signal (traces, then logs): spool (recovering what a crash left), forwarders,
drain (connects to ClickHouse on its own thread and keeps retrying, so a store that is down at
start does not stop the collector from accepting spans); then the two receivers. Once both ports
are bound one JSON line goes to stdout (``{"event": "listening", "http_port": ..., "grpc_port":
...}``): with ``--http-port 0`` that is how a supervisor or a test learns the ports.

Stop (SIGTERM / SIGINT): cancel the SQL query that runs, if any, and stop accepting (so nothing
is acknowledged that cannot be drained), then let forwarders and the drain finish within a grace
period. Whatever the drain could not write stays in the spool for the next start.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import ssl
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from otel_llm.schema import prepare
from otel_llm.store import connect, dictionary_credentials, redact_dsn
from otel_llm_collector.config import CollectorConfig
from otel_llm_collector.connections import ConnectionGuard, raise_descriptor_limit
from otel_llm_collector.drain import DEAD_LETTER_DIR, Drain
from otel_llm_collector.forward import Forwarder, signal_url
from otel_llm_collector.grpc_server import start_grpc
from otel_llm_collector.http_server import HttpDeps, build_app, start_http
from otel_llm_collector.ingest import Ingest
from otel_llm_collector.memory import tune_chdb_allocator
from otel_llm_collector.metrics import Counters
from otel_llm_collector.otlp import Signal
from otel_llm_collector.signals import SIGNALS, TRACES
from otel_llm_collector.spool import Spool
from otel_llm_collector.sql import SqlEndpoint
from otel_llm_collector.ui import advice_endpoint, make_dashboard

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

__all__ = ["run"]

_NOISY_LOGGERS = ("urllib3", "clickhouse_connect")
# How often a thread holding the GIL hands it over (Python's default: 5 ms). The drain converts
# blocks of ~20,000 spans in Python; each step of acknowledging a request (read, parse, spool,
# answer) waited up to one interval for the GIL behind it. At 8,000 spans/s on one core, 2 ms took
# the acknowledgement p99 from 37-40 ms to 26-29 ms, with CPU per span within the run's noise.
_GIL_SWITCH_INTERVAL_S = 0.002

_log = logging.getLogger(__name__)
_OTHER_DESCRIPTORS = 1024


def _ssl_context(config: CollectorConfig) -> ssl.SSLContext | None:
    if not config.tls_cert:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(config.tls_cert, config.tls_key)
    return context


def _grpc_tls(config: CollectorConfig) -> tuple[bytes, bytes] | None:
    if not config.tls_cert:
        return None
    return Path(config.tls_key).read_bytes(), Path(config.tls_cert).read_bytes()  # type: ignore[arg-type]


def _http2_hint(config: CollectorConfig, grpc_port: int) -> str:
    """What a sender of gRPC (HTTP/2) to the HTTP port is told, in its error and in our log."""
    grpc = f"port {grpc_port}" if grpc_port >= 0 else "the gRPC port (disabled here: --grpc-port)"
    return (
        "HTTP/2 (gRPC) received on the collector's OTLP/HTTP port: send OTLP/gRPC to "
        f"{grpc}, or set OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf to send OTLP/HTTP here"
    )


@dataclass(frozen=True)
class _Pipeline:
    """One signal's way from a receiver to ClickHouse and the forward targets."""

    spool: Spool
    forwarders: list[Forwarder]
    ingest: Ingest
    drain: Drain


def _spool_dir(config: CollectorConfig, kind: Signal) -> Path:
    """Traces keep the spool directory itself (a spool from before logs were taken stays valid);
    every other signal has a folder in it, which the traces' spool never reads as its own."""
    return config.spool if kind is TRACES else config.spool / kind.name


def _pipeline(config: CollectorConfig, kind: Signal, counters: Counters, migrate_lock: threading.Lock) -> _Pipeline:
    directory = _spool_dir(config, kind)
    spool = Spool(directory, config.spool_max_bytes)
    forwarders = []
    for url in config.forward:
        if signal_url(url, kind) is None:
            _log.warning("forward target %s names a path other than /v1/traces: no %s forwarded to it", url, kind.noun)
        else:
            forwarders.append(Forwarder(url, counters, signal=kind, max_queue_bytes=config.forward_queue_bytes))
    dsn = config.dsn

    def migrate(client: object) -> None:
        # Every drain prepares the store on a fresh connection; one at a time, or two would race
        # to create the same tables.
        with migrate_lock:
            prepare(client, config.database, source_credentials=dictionary_credentials(dsn))

    drain = Drain(
        kind,
        spool,
        lambda: connect(dsn),
        migrate,
        config.database,
        counters,
        dead_letter_dir=directory / DEAD_LETTER_DIR,
    )
    return _Pipeline(spool, forwarders, Ingest(kind, spool, forwarders, counters), drain)


async def _serve(config: CollectorConfig) -> None:
    # Both ports' caps, plus what the spools, chdb and the forwarders keep open.
    raise_descriptor_limit(2 * config.max_connections + _OTHER_DESCRIPTORS)
    counters = Counters()
    migrate_lock = threading.Lock()
    pipelines = [_pipeline(config, kind, counters, migrate_lock) for kind in SIGNALS]
    spools = [p.spool for p in pipelines]
    forwarders = [f for p in pipelines for f in p.forwarders]
    drains = [p.drain for p in pipelines]
    counters.gauge("spool_bytes", "Undrained bytes in the spools.", lambda: sum(s.pending_bytes for s in spools))
    counters.gauge(
        "spool_requests", "Undrained requests in the spools.", lambda: sum(s.pending_records for s in spools)
    )
    counters.gauge(
        "forward_queued_requests", "Requests waiting in forward queues.", lambda: sum(f.queued for f in forwarders)
    )
    sql_dsn = config.sql_dsn  # a read-only user where one is configured

    def sql_session() -> Client:
        return connect(sql_dsn, database=config.database)

    sql = SqlEndpoint(sql_session, max_rows=config.sql_max_rows, timeout=config.sql_timeout)
    advice_sql = advice_endpoint(sql_session, config.sql_max_rows) if config.ui else None
    endpoints = [e for e in (sql, advice_sql) if e is not None]
    ingests = tuple(p.ingest for p in pipelines)
    for drain in drains:
        drain.start()

    grpc_server, grpc_port = (None, -1)
    if config.grpc_port >= 0:
        grpc_server, grpc_port = await start_grpc(
            ingests,
            host=config.host,
            port=config.grpc_port,
            max_message_bytes=config.max_body_bytes,
            auth_token=config.auth_token,
            tls=_grpc_tls(config),
            max_connections=config.max_connections,
            header_timeout=config.header_timeout,
            body_timeout=config.body_timeout,
        )
    guard = ConnectionGuard(config.max_connections, config.body_timeout, counters, _http2_hint(config, grpc_port))
    counters.gauge("http_connections", "Open connections on the HTTP port.", lambda: guard.open_connections)
    dashboard = (
        make_dashboard(sql, advice_sql, config.database, config.host, config.auth_token) if advice_sql else None
    )
    app = build_app(
        HttpDeps(ingests, sql, tuple(drains), counters, config.max_body_bytes, config.auth_token, guard, dashboard)
    )
    runner, http_port = await start_http(
        app,
        guard,
        host=config.host,
        port=config.http_port,
        ssl_context=_ssl_context(config),
        header_timeout=config.header_timeout,
    )
    _log.info(
        "collector listening on %s (http %d, grpc %d), store %s, spool %s, forwarding to %d targets",
        config.host,
        http_port,
        grpc_port,
        redact_dsn(config.dsn),
        config.spool,
        len(config.forward),
    )
    print(json.dumps({"event": "listening", "http_port": http_port, "grpc_port": grpc_port}), flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()

    _log.info("shutting down: no new requests; draining for up to %.1f s", config.shutdown_grace)
    # Before the HTTP server waits for its open requests: a running report would hold it (and the
    # process) until the query's own time limit, whatever the grace period says.
    for endpoint in endpoints:
        await loop.run_in_executor(None, endpoint.cancel)
    if grpc_server is not None:
        await grpc_server.stop(grace=2.0)
    await runner.cleanup()
    await loop.run_in_executor(None, _finish, config.shutdown_grace, pipelines, endpoints)
    pending = sum(spool.pending_records for spool in spools)
    print(json.dumps({"event": "stopped", "spool_pending_requests": pending}), flush=True)


def _finish(grace: float, pipelines: list[_Pipeline], endpoints: list[SqlEndpoint]) -> None:
    """Forward targets and ClickHouse finish in parallel: each has its own thread and the same grace."""
    deadline = time.monotonic() + grace
    for forwarder in (f for p in pipelines for f in p.forwarders):
        forwarder.close(max(0.0, deadline - time.monotonic()))
    for pipeline in pipelines:
        if pipeline.drain.stop(max(0.0, deadline - time.monotonic())):
            pipeline.spool.close()
        else:  # the exit releases the lock, after the last word of the thread
            _log.warning(
                "%s drain still inside an insert at the end of the grace period; its spool stays locked until exit",
                pipeline.ingest.signal.name,
            )
    for endpoint in endpoints:
        endpoint.close(max(0.0, deadline - time.monotonic()))


def run(config: CollectorConfig) -> int:
    """Runs until SIGTERM/SIGINT; returns the process exit code.

    Made for the collector's own process (``otel-llm collector``): it also sets process-wide
    things, the GIL switch interval and, unless already set, chdb's allocator variable.
    """
    handler = logging.StreamHandler(sys.stderr)
    # The drain reports store failures itself, once per outage; the drivers' own warnings would
    # repeat at every retry (and clickhouse-connect resets urllib3's level on import, so a filter).
    handler.addFilter(lambda record: record.levelno >= logging.ERROR or not record.name.startswith(_NOISY_LOGGERS))
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    tune_chdb_allocator()
    sys.setswitchinterval(_GIL_SWITCH_INTERVAL_S)
    try:
        asyncio.run(_serve(config))
    except OSError as exc:  # a port in use, a spool in use by another collector, an unreadable spool or TLS file
        _log.error("collector cannot start: %s", exc)
        return 1
    return 0
