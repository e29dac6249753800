"""What both receivers do with a decoded request: spool it durably, then hand it to forwarders.

The order is the guarantee: the spool append (with its fsync) happens before the receiver answers,
and forwarding happens only after the spool accepted the request, so a request refused with 429 /
RESOURCE_EXHAUSTED (which the sender will retry) is not forwarded twice.

An OTLP exporter that lost our acknowledgement (timeout, reset, our crash) sends the same bytes
again. The spool's dedup tokens cover our own replays, not the sender's, so the digests of the last
``RECENT_REQUESTS`` requests are kept and a byte-identical retry is acknowledged without being
stored or forwarded twice. A restart rebuilds them from the requests still undrained in the spool
(hashed at start; nothing is written for them on the acknowledgement path). That covers a
``kill -9`` that cut an acknowledgement off, as the answer leaves right after the fsync and a
request counts as drained only after a whole ClickHouse insert. A retry of a request drained before
the restart (its acknowledgement lost another way) is stored again: the spool deletes drained records.

A disk that refuses writes (full, read-only, failing) is an outage like a full spool: requests are
refused with a retry hint, counted, and reported once when it starts and once when it ends.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

from otel_llm_collector.forward import Forwarder
from otel_llm_collector.metrics import Counters
from otel_llm_collector.otlp import Accepted, Signal, accept
from otel_llm_collector.spool import Spool, SpoolFull, SpoolUnavailable

__all__ = ["RECENT_REQUESTS", "RETRY_AFTER_SECONDS", "Ingest", "SpoolFull", "SpoolUnavailable"]

_log = logging.getLogger(__name__)

# The hint sent with every retryable refusal (429 / 503, RESOURCE_EXHAUSTED / UNAVAILABLE): long
# enough for a drain to make room, short enough that senders' queues (512-2048 spans by default)
# do not overflow meanwhile.
RETRY_AFTER_SECONDS = 5
# How many request digests are remembered to recognize a sender's retry (about 100 bytes each).
RECENT_REQUESTS = 16_384


def _request_digest(body: bytes) -> bytes:
    """What identifies a sender's retry: the same bytes. The one hash both the acknowledgement
    path and a restart's rebuild use, so a digest from before the restart matches one after."""
    return hashlib.blake2b(body, digest_size=16).digest()


class _RecentRequests:
    """Digests of recently stored requests, shared by the HTTP and gRPC receivers' threads.

    A retry that arrives while the original is still being spooled waits for its outcome: acking
    it at once would lose the data if the original then failed (spool full), and storing it too
    would count it twice.
    """

    def __init__(self, capacity: int, stored: Iterable[bytes]) -> None:
        """``stored``: digests of requests already stored (by the previous process), oldest first."""
        self._capacity = capacity
        self._stored: OrderedDict[bytes, None] = OrderedDict.fromkeys(stored)
        self._pending: dict[bytes, threading.Event] = {}
        self._lock = threading.Lock()

    def claim(self, digest: bytes) -> bool:
        """True: the caller stores the request, then calls ``settle``. False: it is stored already."""
        while True:
            with self._lock:
                if digest in self._stored:
                    self._stored.move_to_end(digest)
                    return False
                pending = self._pending.get(digest)
                if pending is None:
                    self._pending[digest] = threading.Event()
                    return True
            pending.wait()

    def settle(self, digest: bytes, stored: bool) -> None:
        with self._lock:
            event = self._pending.pop(digest)
            if stored:
                self._stored[digest] = None
                if len(self._stored) > self._capacity:
                    self._stored.popitem(last=False)
        event.set()


class _DiskHealth:
    """Whether the spool's disk takes writes: for ``/readyz``, and for one log line per outage.

    Every refused sender retries within seconds, so a line per refusal would bury the log: the
    first failure of an outage is logged, and the first success after it says how many failed.
    Readiness comes back by itself ``RETRY_AFTER_SECONDS`` after the last failure: a balancer
    that stops sending to an unready collector would otherwise never send the append that shows
    the disk is back.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures = 0
        self._last_failure = 0.0

    def failed(self, exc: SpoolUnavailable) -> None:
        with self._lock:
            self._failures += 1
            self._last_failure = time.monotonic()
            first = self._failures == 1
        if first:
            _log.warning("spool cannot store requests; refusing them with 503 / UNAVAILABLE until it can: %s", exc)

    def succeeded(self) -> None:
        if not self._failures:  # the usual case, decided without the lock
            return
        with self._lock:
            failures, self._failures = self._failures, 0
        if failures:
            _log.info("spool stores requests again, after refusing %d", failures)

    @property
    def writable(self) -> bool:
        return not self._failures or time.monotonic() - self._last_failure > RETRY_AFTER_SECONDS


class Ingest:
    """One signal's way in: each signal has its own spool, so its own recent requests and disk health."""

    def __init__(
        self,
        signal: Signal,
        spool: Spool,
        forwarders: Sequence[Forwarder],
        counters: Counters,
        recent_requests: int = RECENT_REQUESTS,
    ) -> None:
        self.signal = signal
        self._spool = spool
        self._forwarders = forwarders
        self._counters = counters
        # Before a receiver runs: the sender of a request the previous process stored but did
        # not get to acknowledge will retry it, and the retry must find it.
        undrained = spool.undrained_payloads(recent_requests)
        self._recent = _RecentRequests(recent_requests, map(_request_digest, undrained))
        self._disk = _DiskHealth()

    @property
    def spool_writable(self) -> bool:
        return self._disk.writable

    def export(self, request: Any, body: bytes | None) -> Accepted:
        """Returns once the request (of this ingest's signal) is durable; raises ``SpoolFull`` or
        ``SpoolUnavailable`` when it cannot be taken now (both leave nothing stored, so the
        sender's retry is not a copy)."""
        accepted = accept(self.signal, request, body)
        self._counters.add(f"{self.signal.counter}_rejected", accepted.rejected)
        if accepted.items == 0:
            return accepted
        digest = _request_digest(accepted.body)
        if not self._recent.claim(digest):
            self._counters.add("requests_duplicate")
            return accepted
        stored = False
        try:
            self._spool.append(accepted.body)
            stored = True
        except SpoolFull:
            self._counters.add("requests_refused_full")
            raise
        except SpoolUnavailable as exc:
            self._counters.add("spool_errors")
            self._disk.failed(exc)
            raise
        finally:
            self._recent.settle(digest, stored)
        self._disk.succeeded()
        self._counters.add(f"{self.signal.counter}_received", accepted.items)
        for forwarder in self._forwarders:
            forwarder.submit(accepted.body, accepted.items)
        return accepted
