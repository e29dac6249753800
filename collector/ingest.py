"""What both receivers do with a decoded request: spool it durably, then hand it to forwarders.

The order is the guarantee: the spool append (with its fsync) happens before the receiver answers,
and forwarding happens only after the spool accepted the request, so a request refused with 429 /
RESOURCE_EXHAUSTED (which the sender will retry) is not forwarded twice.

An OTLP exporter that lost our acknowledgement (timeout, reset) sends the same bytes again. The
spool's dedup tokens cover our own replays, not the sender's, so recent request digests are kept
and a byte-identical retry is acknowledged without being stored or forwarded twice. The memory is
bounded (the last ``RECENT_REQUESTS`` requests) and does not survive a restart.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from collector.forward import Forwarder
from collector.metrics import Counters
from collector.otlp import Accepted, accept
from collector.spool import Spool, SpoolFull

__all__ = ["RECENT_REQUESTS", "RETRY_AFTER_SECONDS", "Ingest", "SpoolFull"]

# The hint sent with 429 / RESOURCE_EXHAUSTED: long enough for a drain to make room, short enough
# that senders' queues (512-2048 spans by default) do not overflow meanwhile.
RETRY_AFTER_SECONDS = 5
# How many request digests are remembered to recognize a sender's retry (about 100 bytes each).
RECENT_REQUESTS = 16_384


class _RecentRequests:
    """Digests of recently stored requests, shared by the HTTP and gRPC receivers' threads.

    A retry that arrives while the original is still being spooled waits for its outcome: acking
    it at once would lose the data if the original then failed (spool full), and storing it too
    would count it twice.
    """

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._stored: OrderedDict[bytes, None] = OrderedDict()
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


class Ingest:
    def __init__(
        self,
        spool: Spool,
        forwarders: Sequence[Forwarder],
        counters: Counters,
        recent_requests: int = RECENT_REQUESTS,
    ) -> None:
        self._spool = spool
        self._forwarders = forwarders
        self._counters = counters
        self._recent = _RecentRequests(recent_requests)

    def export(self, request: ExportTraceServiceRequest, body: bytes | None) -> Accepted:
        """Returns once the request is durable; raises ``SpoolFull`` when it cannot be taken now."""
        accepted = accept(request, body)
        self._counters.add("spans_rejected", accepted.rejected)
        if accepted.spans == 0:
            return accepted
        digest = hashlib.blake2b(accepted.body, digest_size=16).digest()
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
        finally:
            self._recent.settle(digest, stored)
        self._counters.add("spans_received", accepted.spans)
        for forwarder in self._forwarders:
            forwarder.submit(accepted.body, accepted.spans)
        return accepted
