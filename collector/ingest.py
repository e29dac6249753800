"""What both receivers do with a decoded request: spool it durably, then hand it to forwarders.

The order is the guarantee: the spool append (with its fsync) happens before the receiver answers,
and forwarding happens only after the spool accepted the request, so a request refused with 429 /
RESOURCE_EXHAUSTED (which the sender will retry) is not forwarded twice.
"""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from collector.forward import Forwarder
from collector.metrics import Counters
from collector.otlp import Accepted, accept
from collector.spool import Spool, SpoolFull

__all__ = ["RETRY_AFTER_SECONDS", "Ingest", "SpoolFull"]

# The hint sent with 429 / RESOURCE_EXHAUSTED: long enough for a drain to make room, short enough
# that senders' queues (512-2048 spans by default) do not overflow meanwhile.
RETRY_AFTER_SECONDS = 5


class Ingest:
    def __init__(self, spool: Spool, forwarders: Sequence[Forwarder], counters: Counters) -> None:
        self._spool = spool
        self._forwarders = forwarders
        self._counters = counters

    def export(self, request: ExportTraceServiceRequest, body: bytes | None) -> Accepted:
        """Returns once the request is durable; raises ``SpoolFull`` when it cannot be taken now."""
        accepted = accept(request, body)
        self._counters.add("spans_rejected", accepted.rejected)
        if accepted.spans == 0:
            return accepted
        try:
            self._spool.append(accepted.body)
        except SpoolFull:
            self._counters.add("requests_refused_full")
            raise
        self._counters.add("spans_received", accepted.spans)
        for forwarder in self._forwarders:
            forwarder.submit(accepted.body, accepted.spans)
        return accepted
