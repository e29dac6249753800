"""The savings advice, computed off the request path: ``advise`` reads single calls, which takes
tens of seconds and more memory than a page query may use on a large store, so no page waits for it.

One daemon thread per dashboard, started on the first request that needs advice, computes one
window at a time and keeps the last result per key (the page's quick range, or its exact window;
the alert rule's window length). A page gets the last result at once, or None before the first;
asking for a key whose result is older than ``every`` (or missing) queues it again, so a
dashboard nobody looks at computes nothing. At most ``MAX_KEYS`` keys are kept (least recently
asked for goes first). A failed computation is kept as its one-line error, shown on the page.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from otel_llm.advise import Advice, advise
from otel_llm.query import QueryError, QuerySource, Result

__all__ = ["MAX_KEYS", "THREAD_NAME", "AdviceCache", "Computed"]

_log = logging.getLogger(__name__)

MAX_KEYS = 16
THREAD_NAME = "otel-llm-advice"


@dataclass(frozen=True)
class Computed:
    """The last computation of a key: the advice, or the one line saying why there is none."""

    at: dt.datetime  # when it started: the store as of then (the dashboard's clock, naive UTC)
    advice: Advice | None
    error: str | None = None


@dataclass
class _Entry:
    since: dt.datetime  # the latest window asked for under this key: what the next computation reads
    until: dt.datetime
    min_savings_usd: Decimal
    computed: Computed | None = None
    queued: bool = False


class AdviceCache:
    """The last advice per key, refreshed by one background thread at most every ``every``."""

    def __init__(self, source: QuerySource, database: str, *, every: dt.timedelta,
                 clock: Callable[[], dt.datetime]) -> None:
        self._source = source
        self._database = database
        self._every = every
        self._clock = clock
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._closed = False

    def get(self, key: Hashable, since: dt.datetime, until: dt.datetime,
            min_savings_usd: Decimal = Decimal(0)) -> Computed | None:
        """The last result for ``key`` (None before the first), queueing a computation of
        [since, until) when there is none yet or it is older than ``every``."""
        with self._lock:
            entry = self._entries.get((key, min_savings_usd))
            if entry is None:
                entry = self._entries[(key, min_savings_usd)] = _Entry(since, until, min_savings_usd)
                while len(self._entries) > MAX_KEYS:
                    self._entries.popitem(last=False)
            else:
                entry.since, entry.until = since, until
                self._entries.move_to_end((key, min_savings_usd))
            stale = entry.computed is None or self._clock() - entry.computed.at >= self._every
            if stale and not entry.queued:
                entry.queued = True
                self._start()
                self._wake.notify()
            return entry.computed

    def close(self, timeout: float = 30.0) -> None:
        """Stops computing and waits (up to ``timeout``) for the query running, if any: an
        embedded engine's native call still running while the interpreter exits crashes it."""
        with self._lock:
            self._closed = True
            self._wake.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def query(self, sql: str, parameters: Mapping[str, Any] | None = None, *, readonly: bool = False) -> Result:
        """The store's answer for the advice thread; none once closed, so it stops between queries."""
        if self._closed:
            raise QueryError("the dashboard is stopping")
        return self._source.query(sql, parameters, readonly=readonly)

    def _start(self) -> None:
        if self._thread is None and not self._closed:
            self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
            self._thread.start()

    def _next(self) -> _Entry | None:
        with self._lock:
            while not self._closed:
                entry = next((e for e in self._entries.values() if e.queued), None)
                if entry is not None:
                    return entry
                self._wake.wait()
            return None

    def _run(self) -> None:
        while (entry := self._next()) is not None:
            with self._lock:
                since, until, minimum = entry.since, entry.until, entry.min_savings_usd
            try:
                computed = Computed(self._clock(), advise(self, self._database, since, until, min_savings_usd=minimum))
            except QueryError as exc:
                _log.warning("savings advice for %s to %s not computed: %s", since, until, exc)
                computed = Computed(self._clock(), None, "the store did not answer the savings reads (the "
                                                         "dashboard's log has the engine's message); retried later")
            except Exception:  # a bug of ours: logged with its traceback, one line on the page
                _log.exception("savings advice for %s to %s failed", since, until)
                computed = Computed(self._clock(), None, "computing the savings failed (the dashboard's log has "
                                                         "why); retried later")
            with self._lock:
                entry.computed, entry.queued = computed, False
