"""The collector's own counters, served as Prometheus text on ``/metrics``.

Plain integers behind a lock rather than the OTel SDK: the collector must not trace or meter
itself through the pipeline it runs, and a scrape must work while ClickHouse is down.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["Counters"]

# Per signal: (counter prefix, what it counts, its raw table). Each item counter exists once per signal.
_SIGNALS = (("spans", "Spans", "otel_traces"), ("log_records", "Log records", "otel_logs"))
_ITEM_COUNTERS = {
    "received": "{items} accepted and durably spooled.",
    "rejected": "{items} refused (malformed ids, partial success) or whose request was refused.",
    "written": "{items} inserted into ClickHouse.",
    "dropped": "{items} given up on (dead-lettered requests, forward queues overflowing).",
    "impossible_time": "{items} stored with a time outside 1970..2106 replaced by the time of writing.",
    "past_retention": (
        "{items} stored with a time older than {table}' TTL: not kept as raw rows (llm_calls and"
        " the rollups keep the call within their own retention)."
    ),
    "forwarded": "{items} delivered to forward targets (summed over targets).",
}
# name -> help text; every counter the collector keeps, so /metrics always lists all of them.
_COUNTERS = {
    f"{prefix}_{name}": text.format(items=items, table=table)
    for prefix, items, table in _SIGNALS
    for name, text in _ITEM_COUNTERS.items()
} | {
    "batches_split": "Batches ClickHouse refused whole, bisected so only requests it refuses alone are set aside.",
    "clickhouse_errors": "Failed ClickHouse inserts or connection attempts.",
    "forward_errors": "Failed forward attempts.",
    "requests_refused_full": "Requests answered 429 / RESOURCE_EXHAUSTED because the spool was full.",
    "spool_errors": "Writes the spool's disk refused: requests answered 503 / UNAVAILABLE, drain steps retried.",
    "connections_evicted": "HTTP connections closed while idle to make room under --max-connections.",
    "connections_refused": "HTTP connections refused at --max-connections, every open one inside a request.",
    "requests_http2_refused": "HTTP/2 (gRPC) connections to the OTLP/HTTP port, answered with a GOAWAY naming the fix.",
    "requests_duplicate": "Requests acknowledged without storing: a byte-identical retry of a recent request.",
}


class Counters:
    """Monotonic counters plus gauges read at scrape time (spool bytes, queue depths)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values = dict.fromkeys(_COUNTERS, 0)
        self._gauges: dict[str, tuple[str, Callable[[], float]]] = {}

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._values[name] += amount

    def get(self, name: str) -> int:
        with self._lock:
            return self._values[name]

    def gauge(self, name: str, help_text: str, read: Callable[[], float]) -> None:
        self._gauges[name] = (help_text, read)

    def prometheus(self) -> str:
        with self._lock:
            values = dict(self._values)
        lines: list[str] = []
        for name, value in values.items():
            full = f"otel_llm_collector_{name}_total"
            lines += [f"# HELP {full} {_COUNTERS[name]}", f"# TYPE {full} counter", f"{full} {value}"]
        for name, (help_text, read) in self._gauges.items():
            full = f"otel_llm_collector_{name}"
            lines += [f"# HELP {full} {help_text}", f"# TYPE {full} gauge", f"{full} {read()}"]
        return "\n".join(lines) + "\n"
