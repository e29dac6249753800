"""The drain: spooled requests to ClickHouse rows, one block per spool batch, exactly once.

One thread per signal (traces, logs: each has its own spool), so a spool's intent/commit protocol
has a single reader. For each batch it records the intent, inserts all its spans (or log records)
as one block whose ``insert_deduplication_token`` is derived
from the batch's record ids, then commits. A crash anywhere in between replays the same batch
with the same token, and ClickHouse (dedup window on every table, views included) drops the copy.

A batch ClickHouse refuses for its content is bisected by request (``isolate``): only a request
refused on its own is set aside, after a few tries, and every other one is stored exactly once.
Times no row can carry are replaced by the shared writer before they can cause a refusal; valid
times older than ``otel_traces`` (``otel_logs``) keeps are stored as sent and counted (``retention``).

ClickHouse being away is the normal case this is built for: the drain keeps the batch, backs off
(capped), reconnects, and prepares the store on every fresh connection (migrations and the price
book, both idempotent), so a server that comes back empty gets its tables and prices before the
first insert.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from otel_llm.exporter import RetryPolicy
from otel_llm.exporter.table import TraceWriter, is_retryable
from otel_llm_collector.isolate import REFUSED_BLOCKS_FILE, Range, RefusedRanges, range_token, store_isolating
from otel_llm_collector.memory import DRAIN_BLOCK_BYTES
from otel_llm_collector.metrics import Counters
from otel_llm_collector.otlp import PayloadError, Signal, decode_protobuf
from otel_llm_collector.retention import RawRetention
from otel_llm_collector.spool import Batch, Spool
from otel_llm_collector.spool_log import write_durably

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

__all__ = ["DEAD_LETTER_DIR", "Drain"]

_log = logging.getLogger(__name__)

# Where refused and undecodable requests are set aside, under the spool directory: on the same
# disk the operator sized for it, and beside the data it came from. The spool reads only its
# own segment files, so the folder is never replayed.
DEAD_LETTER_DIR = "dead-letter"

# A request ClickHouse keeps refusing on its own for a reason other than being away (bad data, a
# schema it cannot take) is set aside after this many tries, so one poison request cannot stop the
# drain; so is a batch our own conversion fails on.
_MAX_REFUSALS = 5
_BACKOFF = RetryPolicy(initial_backoff_s=0.2, max_backoff_s=10.0)
# How long the drain waits for more requests before inserting what it has. Every insert costs a
# fixed ~100-150 ms of ClickHouse CPU whatever its size (a new part per table, and the llm_calls
# view's query planned again), so at 8,000 spans/s a 0.5 s wait spent ~30 us per span on that
# alone and 2 s spends ~8. Acknowledgement does not wait for it; only query visibility does.
DEFAULT_LINGER_SECONDS = 2.0


class Drain:
    """Moves one signal's spool batches into ``<database>.<signal.table>`` on its own thread."""

    def __init__(
        self,
        signal: Signal,
        spool: Spool,
        connect: Callable[[], Client],
        migrate: Callable[[Client], Any],
        database: str,
        counters: Counters,
        *,
        dead_letter_dir: Path,
        max_records: int = 256,
        max_bytes: int = DRAIN_BLOCK_BYTES,
        linger: float = DEFAULT_LINGER_SECONDS,
    ) -> None:
        self._signal = signal
        self._spool = spool
        self._connect = connect
        self._migrate = migrate
        self._database = database
        self._counters = counters
        self._dead_dir = dead_letter_dir
        self._max_records = max_records
        self._max_bytes = max_bytes
        self._linger = linger
        self._writer: TraceWriter | None = None
        self._retention = RawRetention(None, signal)
        self._refusals = 0
        self._refused_path = dead_letter_dir.with_name(REFUSED_BLOCKS_FILE)
        self._progress = _Progress("")
        self._stop_at: float | None = None
        self._wake = threading.Event()
        self.status = "connecting"
        self._thread = threading.Thread(target=self._run, name=f"{signal.name} drain", daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def ready(self) -> bool:
        return self.status == "ready"

    @property
    def pending(self) -> int:
        return self._spool.pending_records

    def stop(self, timeout: float) -> bool:
        """Keeps draining for up to ``timeout`` seconds; what remains stays safe in the spool.

        False when the thread is still inside an insert (a store that stopped answering): the
        spool must then stay locked until the process exits, or a collector started meanwhile could
        have its segments removed by this thread's late commit.
        """
        self._stop_at = time.monotonic() + timeout
        self._wake.set()
        self._thread.join(timeout + 5.0)
        return not self._thread.is_alive()

    def _stopping(self) -> bool:
        if self._stop_at is None:
            return False
        return time.monotonic() >= self._stop_at or self._spool.pending_records == 0

    def _run(self) -> None:
        _yield_to_receivers()
        failures = 0
        while not self._stopping():
            try:
                done = self._step()
            except Exception:  # a bug of ours or an unreadable spool file: logged, retried, never fatal
                _log.exception("drain step failed; retrying")
                done = False
            failures = 0 if done else failures + 1
            if not done:
                self._sleep(failures)
        self._close()

    def _step(self) -> bool:
        """Writes one batch (True), or finds nothing to write (True), or fails (False)."""
        if self._writer is None and not self._open():
            return False
        linger = 0.0 if self._stop_at is not None else self._linger
        batch = self._spool.next_batch(self._max_records, self._max_bytes, timeout=0.2, linger=linger)
        return batch is None or self._write(batch)

    def _sleep(self, failures: int) -> None:
        """Backs off; ``stop`` cuts the current wait short and caps later ones at its deadline."""
        delay = _BACKOFF.delay(failures)
        if self._stop_at is not None:
            delay = min(delay, max(0.0, self._stop_at - time.monotonic()))
        self._wake.wait(delay)
        self._wake.clear()

    def _open(self) -> bool:
        client = None
        try:
            client = self._connect()
            self._migrate(client)
        except Exception as exc:  # any failure to reach or migrate the store: retried, never fatal
            if client is not None:
                client.close()
            self._counters.add("clickhouse_errors")
            # Once per outage at WARNING; the retries every few seconds would drown the log.
            level = logging.DEBUG if self.status.startswith("store unavailable") else logging.WARNING
            self.status = f"store unavailable: {type(exc).__name__}"
            _log.log(level, "ClickHouse unavailable, spooling until it returns: %s", exc)
            return False
        try:
            self._retention = RawRetention.read(client, self._database, self._signal)
        except Exception as exc:  # a count we cannot keep must not stop rows being stored
            _log.warning("cannot read %s' retention, rows past it are not counted: %s", self._signal.table, exc)
            self._retention = RawRetention(None, self._signal)
        self._writer = TraceWriter(client, self._database, self._signal.table)
        self.status = "ready"
        _log.info(
            "ClickHouse connected; draining %d spooled %s requests", self._spool.pending_records, self._signal.name
        )
        return True

    def _close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def _write(self, batch: Batch) -> bool:
        try:
            block = self._block(batch)
            self._spool.begin(batch)
            refused = RefusedRanges(self._refused_path, batch.token)
        except OSError as exc:
            return self._spool_error(exc)
        except Exception as exc:  # a bug of ours in conversion: refused like a store refusal, then set aside
            return self._failed(batch, exc)
        if self._progress.token != batch.token:
            self._progress = _Progress(batch.token)
        try:
            alone = store_isolating(
                lambda requests: self._insert(batch, block, requests),
                len(batch.payloads),
                refused,
                self._progress.stored,
            )
        except Exception as exc:  # the store away (retried), the refusal record's disk, or a bug of ours
            if not is_retryable(exc) and isinstance(exc, OSError):
                return self._spool_error(exc)
            return self._failed(batch, exc)
        if (0, len(batch.payloads)) in refused and not self._progress.split_counted:
            self._progress.split_counted = True
            self._counters.add("batches_split")
        if alone:
            self._refusals += 1
            if self._refusals < _MAX_REFUSALS:
                return False
        set_aside = sorted(block.undecodable + [(index, batch.payloads[index]) for index in alone])
        try:
            self._commit(batch, set_aside=set_aside)
        except OSError as exc:  # the blocks are in; the retry inserts them again under the same tokens
            return self._spool_error(exc)
        self._refusals = 0
        written = len(block.columns) - sum(block.rows(index, index + 1) for index in alone)
        counter = self._signal.counter
        self._counters.add(f"{counter}_written", written)
        self._counters.add(f"{counter}_impossible_time", self._progress.retimed)
        self._counters.add(f"{counter}_past_retention", self._progress.past_retention)
        try:
            refused.clear()
        except OSError as exc:  # stale once committed: the next batch's token does not match it
            _log.warning("cannot remove %s: %s", self._refused_path, exc)
        return True

    def _insert(self, batch: Batch, block: _Block, requests: Range) -> None:
        """Writes the rows of ``requests`` as one block under that range's token."""
        token = range_token(batch.token, requests, len(batch.payloads))
        columns = block.slice(*requests)
        retimed = self._writer.write(columns, token)  # type: ignore[union-attr]
        self._progress.retimed += retimed
        self._progress.past_retention += self._retention.past(columns)

    def _spool_error(self, exc: OSError) -> bool:
        """The spool's own disk (full, read-only): neither the store's fault nor the batch's, so not
        a refusal that could end with the batch set aside. Wait and try again."""
        self._counters.add("spool_errors")
        _log.warning("spool disk error, drain will retry: %s", exc)
        return False

    def _block(self, batch: Batch) -> _Block:
        """All rows of the batch, where each request's rows start, and the requests that no
        longer decode (set aside once the rest is stored: one bad request must not hold up the batch)."""
        columns = self._signal.new_block()
        add_request = self._signal.add_request
        starts = []
        undecodable = []
        for index, payload in enumerate(batch.payloads):
            starts.append(len(columns))
            try:
                add_request(columns, payload)
            except PayloadError:
                undecodable.append((index, payload))
        starts.append(len(columns))
        return _Block(columns, starts, undecodable)

    def _failed(self, batch: Batch, exc: Exception) -> bool:
        """The store away (reconnect and retry), or the whole batch failing for good (a bug of
        ours in conversion): tried ``_MAX_REFUSALS`` times, then set aside."""
        self._counters.add("clickhouse_errors")
        if is_retryable(exc):  # the store is away or overloaded, the data is fine: reconnect, retry
            _log.warning("ClickHouse insert failed, will reconnect and retry: %s", exc)
            self.status = f"store unavailable: {type(exc).__name__}"
            self._close()
            return False
        self._refusals += 1
        _log.warning("batch %s failed (try %d): %r", batch.token, self._refusals, exc)
        if self._refusals < _MAX_REFUSALS:
            return False
        try:
            self._commit(batch, set_aside=list(enumerate(batch.payloads)))
        except OSError as exc:  # the batch stays spooled until it can be set aside: never dropped unkept
            return self._spool_error(exc)
        self._refusals = 0
        return True

    def _commit(self, batch: Batch, set_aside: list[tuple[int, bytes]]) -> None:
        """Marks ``batch`` drained once the requests in ``set_aside`` (index in the batch, payload)
        are on disk in ``dead_letter_dir``, as raw OTLP protobuf replayable with curl: a power loss
        after the commit must not take a request the spool no longer holds.

        A disk that refuses a file raises before the commit, and the batch stays in the spool; its
        spans are counted as dropped only after the commit, so the retry cannot count them twice.
        """
        for index, payload in set_aside:
            write_durably(self._dead_dir / f"{batch.token}-{index}.pb", payload)
        self._spool.commit(batch)
        if set_aside:
            items = sum(_item_count(self._signal, payload) for _index, payload in set_aside)
            self._counters.add(f"{self._signal.counter}_dropped", items)
            noun = self._signal.noun
            _log.error("set aside %d spooled requests (%d %s) in %s", len(set_aside), items, noun, self._dead_dir)


class _Block:
    """A batch's rows as one set of columns, with the row where each of its requests starts."""

    def __init__(self, columns: Any, starts: list[int], undecodable: list[tuple[int, bytes]]) -> None:
        self.columns = columns
        self.undecodable = undecodable
        self._starts = starts  # one per request, plus the end

    def rows(self, first: int, end: int) -> int:
        return self._starts[end] - self._starts[first]

    def slice(self, first: int, end: int) -> Any:
        """The rows of requests ``[first, end)``; the whole batch is the block itself, not a copy."""
        if (first, end) == (0, len(self._starts) - 1):
            return self.columns
        start, stop = self._starts[first], self._starts[end]
        part = type(self.columns)()
        part.columns = [column[start:stop] for column in self.columns.columns]
        return part


class _Progress:
    """What this process has done for the batch it is writing: the ranges stored (skipped when the
    batch is tried again), the spans they held with impossible times or past retention, whether its
    split was counted."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.stored: set[Range] = set()
        self.retimed = 0
        self.past_retention = 0
        self.split_counted = False


def _item_count(signal: Signal, payload: bytes) -> int:
    try:
        return signal.count(decode_protobuf(signal, payload))
    except PayloadError:
        return 0


def _yield_to_receivers() -> None:
    """Lowers this thread's CPU priority (Linux: per thread), and with it that of the ClickHouse
    worker threads chdb starts from it: on a busy core, acknowledging a request should not wait
    behind an insert that can just as well finish a few milliseconds later."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError) as exc:  # not Linux, or not allowed: run at normal priority
        _log.debug("drain keeps its priority: %s", exc)
