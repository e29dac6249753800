"""The exporter's own thread: regroup spans into big inserts, retry what fails, bound the memory.

Why a thread of its own: the BatchSpanProcessor hands over 512 spans at a time and waits for
``export()`` to return; ClickHouse wants few large inserts, and the store may be slow, down, or
(embedded) take a second and 230 MB to open. So ``export()`` only appends to a list, and this
thread converts, inserts, waits and retries. It opens the store on its first insert, never on
the app's start path, and runs with instrumentation suppressed so our inserts are not traced.

Guarantees: spans are written in arrival order; a batch that fails with a transient error keeps
its dedup token and is retried with jittered backoff; the spans held (waiting, converted, in
flight) never exceed ``max_buffered_spans`` (the oldest are dropped, counted and logged); a
permanent error rejects that batch only. Nothing here raises into the app.

One worker class serves both exporters: the span exporter's converts spans to ``otel_traces``
columns, the log exporter's log records to ``otel_logs`` columns (``convert`` and ``noun``);
batching, retries, dedup tokens, the bound and shutdown are the same code. The counters keep
their span names (``written_spans`` ...) and count records for the log exporter.

Shutdown is bounded (``shutdown_timeout_s``, 5 s by default, or the SDK's ``timeout_millis`` when
shorter), because an app must be able to exit while its store is unreachable: a batch waiting out a
backoff is tried once at once, waits end at the deadline, and an insert or connect still in progress
is abandoned (Python cannot interrupt a socket call from another thread; the thread is a daemon, so
it never holds up the exit). Everything not stored is then counted dropped, with one warning line.
The embedded store (chdb) is the exception for the call in progress only: its open or insert runs
in this process's native code, and abandoning it at exit crashes the app, so shutdown waits up to
``EMBEDDED_CALL_GRACE_S`` more for that one call (nothing new is started).
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any, Protocol

from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY, attach, set_value

from otel_llm import semconv
from otel_llm.exporter._config import ExporterConfig
from otel_llm.exporter._retry import RetryPolicy, Waiter
from otel_llm.exporter._rows import spans_to_columns
from otel_llm.exporter._writer import Sink, is_retryable

__all__ = ["Columns", "ExportStats", "ExportWorker"]

# How long shutdown waits, past its bound, for an embedded store's call already in progress (an
# open under load can take several seconds); beyond this it is abandoned as a server's would be.
EMBEDDED_CALL_GRACE_S = 60.0

_log = logging.getLogger("otel_llm.exporter")
_LOG_EVERY_S = 60.0  # a long outage logs a line a minute per kind of trouble, not one per batch


_MISSING_SCHEMA_CODES = (60, 81)  # UNKNOWN_TABLE, UNKNOWN_DATABASE


def _root_cause(error: BaseException, limit: int = 160) -> str:
    """The innermost exception, on one short line: ``ConnectionRefusedError: [Errno 111] ...``.

    The driver wraps the socket's error in a message of several hundred characters (pool, URL,
    query id); the cause at the bottom of the chain is what tells a user what went wrong.
    """
    seen = {id(error)}
    while (inner := error.__cause__ or error.__context__) is not None and id(inner) not in seen:
        seen.add(id(inner))
        error = inner
    text = " ".join(f"{type(error).__name__}: {error}".split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _hint(error: Exception) -> str:
    """The likely fix, for the one refusal a user can cause by configuration alone."""
    if getattr(error, "code", None) in _MISSING_SCHEMA_CODES:
        return f"; create the schema with `otel-llm migrate` or {semconv.ENV_CLICKHOUSE_CREATE_SCHEMA}=true"
    return ""


class Columns(Protocol):
    """A converted batch: its rows, and the token that names it the same in every process."""

    def __len__(self) -> int: ...

    def dedup_token(self) -> str: ...


@dataclass(frozen=True)
class ExportStats:
    """Counters since start (or since a fork), for code and tests to read: ``exporter.stats()``."""

    received_spans: int = 0
    written_spans: int = 0
    dropped_spans: int = 0  # buffer full, or not stored by the end of the shutdown timeout
    rejected_spans: int = 0  # a permanent error refused their batch
    buffered_spans: int = 0
    inserts: int = 0
    failed_inserts: int = 0  # attempts that will be retried
    last_error: str | None = None


@dataclass
class _Batch:
    columns: Columns
    token: str
    attempts: int = 0
    not_before: float = 0.0

    def __len__(self) -> int:
        return len(self.columns)


class ExportWorker:
    def __init__(
        self,
        config: ExporterConfig,
        sink_factory: Callable[[], Sink],
        retry: RetryPolicy,
        waiter: Waiter,
        convert: Callable[[list[Any]], Columns] = spans_to_columns,
        noun: str = "spans",
    ) -> None:
        self._config = config
        self._convert_items = convert
        self._noun = noun  # what the log lines call the items: "spans" or "log records"
        self._sink_factory = sink_factory
        self._retry = retry
        self._waiter = waiter
        self._reset()
        # A forked child must not inherit the parent's spans, connection or (dead) thread. A weak
        # reference, as in the SDK's BatchSpanProcessor, so the hook does not keep us alive.
        reinit = weakref.WeakMethod(self._reset)
        os.register_at_fork(after_in_child=lambda: (method := reinit()) and method())

    def _reset(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._pending: list[Any] = []
        self._pending_since = 0.0
        self._ready: deque[_Batch] = deque()
        self._ready_spans = 0
        self._inflight = 0
        self._flushers = 0
        self._stopping = False
        self._stop_deadline = 0.0
        self._stop_timeout_s = 0.0
        self._gave_up = False  # shutdown's deadline passed: what was left is counted dropped
        self._abandoned = 0  # of those, spans an insert still in progress was carrying
        self._counts = {f.name: 0 for f in fields(ExportStats) if f.name not in ("buffered_spans", "last_error")}
        self._last_error: str | None = None
        self._last_cause: str | None = None  # the innermost exception of the last error, for the log
        self._logged_at: dict[str, float] = {}
        self._sink: Sink | None = None
        self._thread = threading.Thread(target=self._run, name="otel-llm-clickhouse-exporter", daemon=True)
        self._thread.start()

    # --- called from the SDK's threads ---------------------------------------------------------

    def enqueue(self, spans: Sequence[Any]) -> bool:
        with self._cond:
            if self._stopping:
                return False
            starts_batch = not self._pending
            if starts_batch:
                self._pending_since = self._waiter.now()
            self._pending.extend(spans)
            self._counts["received_spans"] += len(spans)
            self._enforce_bound()
            # Wake the worker when a batch starts (it then sleeps until the batch is due) or is full.
            if starts_batch or len(self._pending) >= self._config.max_batch_spans:
                self._cond.notify_all()
        return True

    def flush(self, timeout_s: float) -> bool:
        """True once every span received before the call is written, dropped or rejected."""
        with self._cond:
            target = self._counts["received_spans"]
            self._flushers += 1
            self._cond.notify_all()
            try:
                return self._cond.wait_for(lambda: self._settled() >= target, timeout_s)
            finally:
                self._flushers -= 1

    def shutdown(self, timeout_s: float) -> None:
        """Flush for at most the shorter of ``timeout_s`` and the configured shutdown timeout, then stop.

        Returns by that deadline whatever the store does; what is not stored by then is dropped and
        counted (``stats().dropped_spans``) with one warning line naming how many and why.
        """
        bound = max(0.0, min(timeout_s, self._config.shutdown_timeout_s))
        with self._cond:
            if self._stopping:
                return
            self._stopping = True
            now = self._waiter.now()
            self._stop_deadline = now + bound
            self._stop_timeout_s = bound
            for batch in self._ready:  # a backoff longer than the time left would never be retried
                batch.not_before = min(batch.not_before, now)
            self._cond.notify_all()
        self._thread.join(bound)
        if self._config.embedded and self._thread.is_alive():
            # An embedded store's open or insert is native code in this process: left running while
            # the interpreter exits, it crashes the app (a segfault at exit). It is local work, so
            # wait for it; its batch lands, and past the deadline the thread starts nothing new and
            # counts only what never started as dropped (no warning for a batch that was stored).
            self._thread.join(EMBEDDED_CALL_GRACE_S)
        with self._cond:  # still inside an insert or a connect: abandon it
            self._give_up()

    def stats(self) -> ExportStats:
        with self._cond:
            buffered = len(self._pending) + self._ready_spans + self._inflight
            return ExportStats(**self._counts, buffered_spans=buffered, last_error=self._last_error)

    # --- the worker thread ---------------------------------------------------------------------

    def _run(self) -> None:
        attach(set_value(_SUPPRESS_INSTRUMENTATION_KEY, True))  # this thread's context only
        try:
            while True:
                with self._cond:
                    work = self._next_work()
                if work is None:
                    break
                if isinstance(work, _Batch):
                    self._attempt(work)
                else:
                    self._convert(work)
        except Exception:  # a bug of ours: say so once, never take the app down
            _log.exception("ClickHouse exporter thread stopped; %s will no longer be stored", self._noun)
        finally:
            self._close_sink()

    def _next_work(self) -> _Batch | list[Any] | None:
        """Under the lock: the next batch due for an attempt, spans due for conversion, or None to stop."""
        while True:
            now = self._waiter.now()
            if self._gave_up:
                return None
            if self._stopping and now >= self._stop_deadline:
                self._give_up()
                return None
            if self._ready and self._ready[0].not_before <= now:
                batch = self._ready.popleft()
                self._ready_spans -= len(batch)
                self._inflight += len(batch)
                return batch
            urgent = self._stopping or self._flushers > 0
            full = len(self._pending) >= self._config.max_batch_spans
            aged = now - self._pending_since >= self._config.max_batch_age_s
            if self._pending and (urgent or full or aged):
                spans = self._pending[: self._config.max_batch_spans]
                del self._pending[: len(spans)]
                self._pending_since = now
                self._inflight += len(spans)
                return spans
            if self._stopping and not self._pending and not self._ready:
                return None
            self._waiter.wait(self._cond, self._wait_timeout(now))

    def _wait_timeout(self, now: float) -> float | None:
        deadlines = []
        if self._ready:
            deadlines.append(self._ready[0].not_before)
        if self._pending:
            deadlines.append(self._pending_since + self._config.max_batch_age_s)
        if self._stopping:
            deadlines.append(self._stop_deadline)
        return max(min(deadlines) - now, 0.0) if deadlines else None

    def _convert(self, spans: list[Any]) -> None:
        try:
            columns = self._convert_items(spans)
        except Exception as error:  # a bug of ours on some span: lose this batch, keep going
            _log.exception("Could not convert %d %s to rows; dropping them", len(spans), self._noun)
            self._settle(len(spans), "rejected_spans", error)
            return
        batch = _Batch(columns, columns.dedup_token())
        with self._cond:
            if self._gave_up:  # shutdown counted these dropped while they were being converted
                return
            if self._ready:  # an older batch is waiting to be retried: keep the order
                self._inflight -= len(batch)
                self._ready.append(batch)
                self._ready_spans += len(batch)
                return
        self._attempt(batch)

    def _attempt(self, batch: _Batch) -> None:
        with self._cond:
            if self._gave_up:
                return
        try:
            if self._sink is None:
                self._sink = self._sink_factory()
            self._sink.write(batch.columns, batch.token)
        except Exception as error:
            if is_retryable(error):
                self._requeue(batch, error)
            else:
                self._log_trouble(
                    "rejected",
                    "ClickHouse refused %d %s (not retried): %r%s",
                    len(batch),
                    self._noun,
                    error,
                    _hint(error),
                )
                self._settle(len(batch), "rejected_spans", error)
            return
        with self._cond:
            self._counts["inserts"] += 1
        self._settle(len(batch), "written_spans", None)

    def _requeue(self, batch: _Batch, error: Exception) -> None:
        with self._cond:
            if self._gave_up:  # abandoned at shutdown and already counted dropped
                self._note(error)
                return
        batch.attempts += 1
        delay = self._retry.delay(batch.attempts)
        self._log_trouble(
            "retry", "ClickHouse insert failed, retrying in %.1fs (attempt %d): %r", delay, batch.attempts, error
        )
        with self._cond:
            batch.not_before = self._waiter.now() + delay
            self._counts["failed_inserts"] += 1
            self._note(error)
            self._inflight -= len(batch)
            self._ready.appendleft(batch)
            self._ready_spans += len(batch)
            self._enforce_bound()
            self._cond.notify_all()

    def _settle(self, count: int, outcome: str, error: Exception | None) -> None:
        with self._cond:
            if self._gave_up:
                self._settle_abandoned(count, outcome)
                return
            self._inflight -= count
            self._counts[outcome] += count
            if error is not None:
                self._note(error)
            self._cond.notify_all()

    # --- under the lock ------------------------------------------------------------------------

    def _settled(self) -> int:
        c = self._counts
        return c["written_spans"] + c["dropped_spans"] + c["rejected_spans"]

    def _enforce_bound(self) -> None:
        """Drop the oldest spans not in flight until the total fits ``max_buffered_spans``."""
        excess = len(self._pending) + self._ready_spans + self._inflight - self._config.max_buffered_spans
        dropped = 0
        while excess > 0 and self._ready:
            batch = self._ready.popleft()
            self._ready_spans -= len(batch)
            excess -= len(batch)
            dropped += len(batch)
        if excess > 0 and self._pending:
            cut = min(excess, len(self._pending))
            del self._pending[:cut]
            dropped += cut
        if dropped:
            self._counts["dropped_spans"] += dropped
            self._log_trouble(
                "dropped",
                "ClickHouse exporter buffer full (%d %s): dropped the oldest %d (%d so far)",
                self._config.max_buffered_spans,
                self._noun,
                dropped,
                self._counts["dropped_spans"],
            )

    def _give_up(self) -> None:
        """Count every span not yet stored as dropped, once, in one line saying how many and why."""
        if self._gave_up:
            return
        self._gave_up = True
        self._abandoned = self._inflight
        lost = len(self._pending) + self._ready_spans + self._inflight
        self._pending.clear()
        self._ready.clear()
        self._ready_spans = self._inflight = 0
        if lost:
            self._counts["dropped_spans"] += lost
            _log.warning(
                "ClickHouse exporter dropped %d %s at shutdown: not stored within %.3gs (%s); set %s to wait longer",
                lost,
                self._noun,
                self._stop_timeout_s,
                self._why_unstored(),
                semconv.ENV_CLICKHOUSE_SHUTDOWN_TIMEOUT,
            )
        self._cond.notify_all()

    def _note(self, error: Exception) -> None:
        self._last_error = repr(error)
        self._last_cause = _root_cause(error)

    def _why_unstored(self) -> str:
        last = f"last error: {self._last_cause}" if self._last_cause else ""
        if self._abandoned:
            return "an insert was still waiting for ClickHouse" + (f"; {last}" if last else "")
        return last or "no insert had finished yet"

    def _settle_abandoned(self, count: int, outcome: str) -> None:
        """An insert abandoned at shutdown came back: if it was stored after all, count it written."""
        if outcome == "written_spans":
            landed = min(count, self._abandoned)
            self._abandoned -= landed
            self._counts["dropped_spans"] -= landed
            self._counts["written_spans"] += landed
            _log.info("ClickHouse stored %d %s after shutdown had counted them dropped", landed, self._noun)
        self._cond.notify_all()

    def _log_trouble(self, kind: str, message: str, *args: object) -> None:
        now = self._waiter.now()
        last = self._logged_at.get(kind)
        if last is None or now - last >= _LOG_EVERY_S:
            self._logged_at[kind] = now
            _log.warning(message, *args)
        else:
            _log.debug(message, *args)

    def _close_sink(self) -> None:
        sink, self._sink = self._sink, None
        if sink is not None:
            try:
                sink.close()
            except Exception:
                _log.debug("Closing the ClickHouse client failed", exc_info=True)
