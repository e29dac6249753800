"""A write-ahead spool on local disk: what makes an acknowledged span survive ``kill -9``.

Requests are appended to segment files as length-prefixed, checksummed records and fsynced
before the receiver acknowledges them. A drain takes records in batches; before it inserts a
batch it records the batch's exact range (the "intent") in a small state file, so after a crash
the same records are re-inserted as the same block with the same dedup token, and ClickHouse
drops the repeat. That is the whole exactly-once argument: fsync before ack gives "nothing
lost", a durable intent plus a deterministic token gives "nothing twice".

Layout of ``directory``::

    lock                       flock-ed by the collector using the spool; holds its pid
    state.json                 {"spool_id": uuid, "committed": last id drained, "intent": [a, b] | null}
    00000000000000000001.seg   records with ids from 1 on, appended in id order
    ...

The record format and crash-safe writes are ``spool_log``, the directory lock ``spool_lock``;
this module is the queue. A torn tail (the process died mid-write) is truncated on open; nothing
after it was ever acknowledged, because the ack waits for the fsync. A write the disk refuses
while the process lives (full, a file size limit, an I/O error) is cut back at once, so the next
record never lands behind garbage that the next open would truncate, taking acknowledged records
with it.

The size bound applies to records not yet drained (what grows while ClickHouse is down); disk use
is that plus at most one segment of drained records awaiting deletion.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby, islice
from pathlib import Path

from otel_llm_collector.spool_lock import lock_directory
from otel_llm_collector.spool_log import (
    HEADER_SIZE,
    SEGMENT_SUFFIX,
    encode_record,
    fsync_dir,
    read_segment,
    segment_name,
    write_all,
    write_durably,
)

__all__ = ["Batch", "Spool", "SpoolFull", "SpoolUnavailable"]

_log = logging.getLogger(__name__)

_STATE = "state.json"


class SpoolFull(Exception):
    """The undrained backlog would pass ``max_bytes``; the sender should back off and retry."""


class SpoolUnavailable(Exception):
    """The disk refused the append; the spool is as before it, so the sender may simply retry."""


@dataclass(frozen=True)
class Batch:
    """Consecutive records taken together; ``token`` names the ClickHouse block they become."""

    first_id: int
    last_id: int
    payloads: list[bytes]
    token: str


@dataclass
class _Record:
    record_id: int
    segment: Path
    offset: int
    length: int


class Spool:
    """Receivers append from many threads; ONE drain thread calls ``next_batch``, ``begin`` and
    ``commit`` (the intent protocol assumes a single reader)."""

    def __init__(self, directory: str | os.PathLike[str], max_bytes: int, *, segment_bytes: int = 8 << 20) -> None:
        self._dir = Path(directory)
        self._dir.mkdir(parents=True, exist_ok=True)
        self._max_bytes = max_bytes
        self._segment_bytes = segment_bytes
        self._lock = threading.Lock()
        self._appended = threading.Condition(self._lock)
        self._pending: deque[_Record] = deque()
        self._pending_bytes = 0
        self._lock_fd: int | None = lock_directory(self._dir)  # before the recovery deletes anything
        try:
            state = self._read_state()
            self.spool_id: str = state["spool_id"]
            self._committed: int = state["committed"]
            self._intent: tuple[int, int] | None = tuple(state["intent"]) if state["intent"] else None  # type: ignore[assignment]
            last_id = self._recover()
        except BaseException:
            self._unlock()
            raise
        self._next_id = max(last_id, self._committed) + 1
        self._active: Path | None = None
        self._active_fd: int | None = None  # unbuffered: a failed write leaves nothing queued to retry
        self._active_size = 0

    # --- recovery --------------------------------------------------------------------------
    def _read_state(self) -> dict:
        path = self._dir / _STATE
        if path.exists():
            return json.loads(path.read_text())
        state = {"spool_id": uuid.uuid4().hex, "committed": 0, "intent": None}
        self._write_state(state)
        return state

    def _write_state(self, state: dict) -> None:
        write_durably(self._dir / _STATE, json.dumps(state).encode())

    def _segments(self) -> list[Path]:
        return sorted(self._dir.glob("*" + SEGMENT_SUFFIX))

    def _recover(self) -> int:
        """Indexes undrained records, truncates a torn tail, deletes drained segments."""
        last_id = 0
        for segment in self._segments():
            kept = 0
            for place in read_segment(segment):
                last_id = max(last_id, place.record_id)
                if place.record_id > self._committed:
                    self._pending.append(_Record(place.record_id, segment, place.offset, place.length))
                    self._pending_bytes += HEADER_SIZE + place.length
                    kept += 1
            if kept == 0:
                segment.unlink()
        if self._pending:
            _log.info("spool: %d undrained records (%d bytes) recovered", len(self._pending), self._pending_bytes)
        return last_id

    # --- append (receivers) ----------------------------------------------------------------
    def append(self, payload: bytes) -> int:
        """Durably stores ``payload``; returns only after fsync, so the caller may acknowledge.

        Raises ``SpoolUnavailable`` when the disk refuses (full, file too large, read-only, I/O
        error) after putting the spool back as it was: nothing half-written stays before the next
        record, the record id is not used up and the bytes are not counted.
        """
        size = HEADER_SIZE + len(payload)
        with self._lock:
            if self._pending_bytes + size > self._max_bytes:
                raise SpoolFull(f"spool holds {self._pending_bytes} undrained bytes (limit {self._max_bytes})")
            record_id = self._next_id
            try:
                fd = self._writable(size)
            except OSError as exc:
                raise SpoolUnavailable(f"cannot open a spool segment: {exc}") from exc
            offset = self._active_size
            try:
                write_all(fd, encode_record(record_id, payload))
                os.fsync(fd)
            except OSError as exc:
                self._undo_failed_append(fd, offset)
                raise SpoolUnavailable(f"cannot write the spool: {exc}") from exc
            self._next_id += 1
            self._active_size += size
            self._pending.append(_Record(record_id, self._active, offset + HEADER_SIZE, len(payload)))  # type: ignore[arg-type]
            self._pending_bytes += size
            self._appended.notify_all()
        return record_id

    def _undo_failed_append(self, fd: int, good_size: int) -> None:
        """Cuts the active segment back to its last whole record, durably, so the next append (and
        a restart) finds no half-written or unacknowledged record in front of it.

        Shrinking a file needs no free space, so this normally works on a full disk. If it fails
        too, the segment is left for the restart's torn-tail scan and never written again; the
        refused record may have reached the disk whole, so its id is given up rather than reused
        (a restart might then store it, and the sender's retry too: a duplicate, never a loss).
        """
        try:
            os.ftruncate(fd, good_size)
            os.fsync(fd)
        except OSError as exc:
            _log.warning(
                "spool: cannot cut %s back after a failed write; starting a new segment: %s", self._active, exc
            )
            self._close_active()
            self._next_id += 1

    def _writable(self, size: int) -> int:
        """The open segment to append ``size`` bytes to, starting a new one when it is full."""
        if self._active_fd is not None and self._active_size + size <= self._segment_bytes:
            return self._active_fd
        self._close_active()
        path = self._dir / segment_name(self._next_id)
        # No record numbered _next_id was ever stored, so a file of this name can only hold a
        # write that failed: it starts empty. O_APPEND puts every write at the (cut-back) end.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
        try:
            fsync_dir(self._dir)  # the name must be durable before a record in it is acknowledged
        except OSError:
            os.close(fd)
            raise
        self._active, self._active_fd, self._active_size = path, fd, 0
        return fd

    def _close_active(self) -> None:
        fd, self._active, self._active_fd = self._active_fd, None, None
        if fd is None:
            return
        try:
            os.close(fd)
        except OSError as exc:  # the descriptor is released anyway; every record in it was fsynced
            _log.warning("spool: closing a segment failed: %s", exc)

    # --- drain -----------------------------------------------------------------------------
    def next_batch(self, max_records: int, max_bytes: int, timeout: float, linger: float = 0.0) -> Batch | None:
        """The next records to insert, waiting up to ``timeout`` for some to arrive.

        Once something is pending, waits up to ``linger`` more for a full batch: one insert of
        many requests costs ClickHouse (and its views) far less than many small ones. After a
        crash the first batch is exactly the recorded intent, so its token matches the block
        that may already be in ClickHouse.
        """
        with self._lock:
            if not self._pending:
                self._appended.wait(timeout)
            if not self._pending:
                return None
            deadline = time.monotonic() + linger
            while (
                self._intent is None
                and len(self._pending) < max_records
                and self._pending_bytes < max_bytes
                and (left := deadline - time.monotonic()) > 0
            ):
                self._appended.wait(left)
            if self._intent is not None:
                first, last = self._intent
                chosen = [r for r in self._pending if first <= r.record_id <= last]
            else:
                chosen, size = [], 0
                for record in self._pending:
                    if chosen and (len(chosen) >= max_records or size + record.length > max_bytes):
                        break
                    chosen.append(record)
                    size += record.length
        payloads = [self._read(record) for record in chosen]
        first_id = self._intent[0] if self._intent else chosen[0].record_id
        last_id = self._intent[1] if self._intent else chosen[-1].record_id
        return Batch(first_id, last_id, payloads, f"{self.spool_id}-{first_id}-{last_id}")

    @staticmethod
    def _read(record: _Record) -> bytes:
        with open(record.segment, "rb") as fh:
            fh.seek(record.offset)
            return fh.read(record.length)

    # The intent and the committed id belong to the drain thread alone, so their state file is
    # written outside the lock: its three fsyncs must not hold up the appends that acknowledge.
    def begin(self, batch: Batch) -> None:
        """Records durably that ``batch`` is about to be inserted as one block."""
        intent = (batch.first_id, batch.last_id)
        if self._intent == intent:
            return
        # On disk first: if the write fails, memory must not claim an intent a restart would not see.
        self._write_state({"spool_id": self.spool_id, "committed": self._committed, "intent": list(intent)})
        self._intent = intent

    def commit(self, batch: Batch) -> None:
        """Marks ``batch`` drained; deletes segments that hold nothing undrained any more.

        If the state cannot be written, nothing changes: the batch stays the intent, and the drain
        inserts it again under the same token (ClickHouse drops the copy) before committing again.
        """
        self._write_state({"spool_id": self.spool_id, "committed": batch.last_id, "intent": None})
        self._committed = batch.last_id
        self._intent = None
        with self._lock:
            while self._pending and self._pending[0].record_id <= batch.last_id:
                record = self._pending.popleft()
                self._pending_bytes -= HEADER_SIZE + record.length
            live = {r.segment for r in self._pending}
            for segment in self._segments():
                if segment not in live and segment != self._active:
                    segment.unlink()

    def undrained_payloads(self, limit: int) -> Iterator[bytes]:
        """The payloads of the last ``limit`` undrained records, oldest first, each segment read once.

        All a restart can offer about what the previous process stored: a segment is deleted once
        it holds nothing undrained, so drained records are not offered even where they survive.
        Meant for start-up, before the drain runs: a commit meanwhile may delete a segment mid-read.
        """
        with self._lock:
            records = list(islice(reversed(self._pending), limit))
        records.reverse()
        for segment, group in groupby(records, key=lambda record: record.segment):
            data = segment.read_bytes()
            for record in group:
                yield data[record.offset : record.offset + record.length]

    # --- introspection ---------------------------------------------------------------------
    @property
    def pending_bytes(self) -> int:
        return self._pending_bytes

    @property
    def pending_records(self) -> int:
        return len(self._pending)

    @property
    def max_bytes(self) -> int:
        return self._max_bytes

    def close(self) -> None:
        """Closes the open segment and hands the spool directory to the next process."""
        with self._lock:
            self._close_active()
            self._unlock()

    def _unlock(self) -> None:
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None:
            os.close(fd)  # releases the flock
