"""Spans (log records) older than ``otel_traces``' (``otel_logs``') retention: stored as sent, but counted and logged.

Why this exists: a span whose time is valid but older than the raw span tables keep (30 days by
default: a start time of 0, a clock set to 1971, a replay of last year) is acknowledged and
inserted, and ClickHouse's TTL removes it from ``otel_traces``: often as the part is written, at
the latest at the table's next TTL merge (hours). The views receive the insert all the same, so
its call stays in ``llm_calls`` when younger than that table's retention (180 days by default)
and in the rollups when younger than theirs (730 days), each removed by its own TTL otherwise: a
40-day-old call shows in ``report`` and ``llm_calls`` but not as a raw span, a 200-day-old one in
``report`` only, one from 1970 nowhere. The time is kept as sent (a backfill of real old calls
must stay on its own days; moving it would put its cost on today); what is lost is said: the
``spans_past_retention`` counter and one log line a minute naming an example.

The retention is read from the engine (the table's own TTL clause), so a store migrated with other
``ttl_days`` is judged by what it does, not by our default.
"""

from __future__ import annotations

import logging
import re
import time
from typing import TYPE_CHECKING, Any

from otel_llm.log_interval import IntervalLog
from otel_llm_collector.otlp import Signal

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

__all__ = ["RawRetention"]

_log = logging.getLogger(__name__)
_past_log = IntervalLog(_log, logging.WARNING)
# How our schema writes the raw tables' TTL (otel_llm.schema.objects.Table.ttl), as the engine shows it.
_TTL_DAYS = re.compile(r"\bTTL toDateTime\(Timestamp\) \+ toIntervalDay\((\d+)\)")
_DAY_NS = 86_400 * 10**9


class RawRetention:
    """How long ``<database>.otel_traces`` (or ``otel_logs``) keeps a row, read once per connection."""

    def __init__(self, days: int | None, signal: Signal) -> None:
        self.days = days  # None: no TTL found, rows are kept forever
        self._signal = signal

    @classmethod
    def read(cls, client: Client, database: str, signal: Signal) -> RawRetention:
        """The TTL of the signal's table (``<table>_local`` on a cluster) as the engine has it."""
        table = signal.table
        rows = client.query(
            "SELECT engine_full FROM system.tables WHERE database = {db:String}"
            " AND name IN ({table:String}, {local:String})",
            parameters={"db": database, "table": table, "local": f"{table}_local"},
        ).result_rows
        for (engine,) in rows:
            found = _TTL_DAYS.search(engine)
            if found and int(found.group(1)) > 0:
                return cls(int(found.group(1)), signal)
        return cls(None, signal)

    def past(self, columns: Any, now_ns: int | None = None) -> int:
        """How many spans of ``columns`` are older than the retention (0 without one); logs an
        example at most once a minute."""
        if self.days is None or not len(columns):
            return 0
        cutoff = (time.time_ns() if now_ns is None else now_ns) - self.days * _DAY_NS
        timestamp, service, trace_id = (columns.NAMES.index(name) for name in ("Timestamp", "ServiceName", "TraceId"))
        times = columns.columns[timestamp]
        if min(times) >= cutoff:  # nearly every block: one C-speed pass
            return 0
        old = [row for row, value in enumerate(times) if value < cutoff]
        first = old[0]
        _past_log.log(
            "stored %d %s older than %s keeps (%d days), e.g. service %r trace %s at %d ns: "
            "ClickHouse's TTL removes them from %s; llm_calls and the rollups keep the call "
            "while it is within their own retention (%s_past_retention counts them)",
            len(old),
            self._signal.noun,
            self._signal.table,
            self.days,
            columns.columns[service][first],
            columns.columns[trace_id][first],
            times[first],
            self._signal.table,
            self._signal.counter,
        )
        return len(old)
