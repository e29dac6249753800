"""Forwarding to upstream OTLP/HTTP receivers (Jaeger, Tempo, another collector).

Traces go to the target's ``/v1/traces`` and logs to its ``/v1/logs``, each signal through a
forwarder of its own. A target that takes no logs (Jaeger, Tempo: HTTP 404) refuses them; that
is logged once a minute, counted as dropped, and costs the traces nothing.

Each target gets its own bounded queue and its own thread, so a slow or dead Jaeger only fills
its own queue: it never delays ClickHouse writes or another target. The queue holds the request
as OTLP protobuf bytes, sent unchanged. The queue is bounded by requests and by bytes (requests
go up to the body limit, so a count alone would let one stuck target hold gigabytes). When a new
request would pass either bound the OLDEST requests are dropped and counted, like the SDK's batch
processor: the newest spans are the ones an operator looks for.

Forwarding is best effort by design: the queue lives in memory, so a crash loses what had not
yet been forwarded. ClickHouse, not the tracing backend, is the store of record; making every
forward target durable would multiply the spool by the number of targets.
"""

from __future__ import annotations

import http.client
import logging
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from otel_llm.exporter import RetryPolicy
from otel_llm.log_interval import IntervalLog
from otel_llm_collector.metrics import Counters
from otel_llm_collector.otlp import Signal
from otel_llm_collector.signals import TRACES

__all__ = ["Forwarder", "signal_url"]

_log = logging.getLogger(__name__)

_RETRYABLE_STATUS = frozenset({429, 502, 503, 504})
_MAX_ATTEMPTS = 8
_POLICY = RetryPolicy(initial_backoff_s=0.5)


def signal_url(url: str, signal: Signal = TRACES) -> str | None:
    """The URL ``signal`` is sent to at target ``url``; None for logs at a target named by a path
    of its own (not ``/v1/traces``), where no logs endpoint can be inferred.

    ``http://jaeger:4318`` and ``http://jaeger:4318/v1/traces`` both mean ``/v1/traces`` for
    traces and ``/v1/logs`` for logs; any other path is the traces endpoint, as given.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"forward target must be an http(s) URL, got {url!r}")
    path = parts.path
    if path in ("", "/"):
        path = f"/v1/{signal.name}"
    elif signal is not TRACES:
        if not path.endswith(f"/v1/{TRACES.name}"):
            return None
        path = path[: -len(TRACES.name)] + signal.name
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


@dataclass
class _Item:
    body: bytes
    items: int


class Forwarder:
    """One signal to one upstream target: a bounded queue drained by a daemon thread."""

    def __init__(
        self,
        url: str,
        counters: Counters,
        *,
        signal: Signal = TRACES,
        max_queue: int = 1000,
        max_queue_bytes: int = 256 << 20,
        timeout: float = 10.0,
        policy: RetryPolicy = _POLICY,
    ) -> None:
        target = signal_url(url, signal)
        if target is None:
            raise ValueError(f"no {signal.name} endpoint can be inferred from forward target {url!r}")
        self.url = target
        self._counters = counters
        self._dropped = f"{signal.counter}_dropped"
        self._forwarded = f"{signal.counter}_forwarded"
        self._noun = signal.noun
        self._refusal_log = IntervalLog(_log, logging.WARNING)  # a target refusing logs refuses every request
        self._timeout = timeout
        self._policy = policy
        self._queue: deque[_Item] = deque()
        self._max_queue = max_queue
        self._max_queue_bytes = max_queue_bytes
        self._queued_bytes = 0
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._busy = False
        self._thread = threading.Thread(target=self._run, name=f"forward {self.url}", daemon=True)
        self._thread.start()

    @property
    def queued(self) -> int:
        return len(self._queue)

    @property
    def queued_bytes(self) -> int:
        """Bytes waiting in the queue (the request being sent is no longer counted)."""
        return self._queued_bytes

    def submit(self, body: bytes, items: int) -> None:
        """Queues a request; never blocks the receiver."""
        with self._cond:
            if len(body) > self._max_queue_bytes:
                # Dropping the whole queue would not make room for it: lose this one request only.
                self._counters.add(self._dropped, items)
                _log.warning("dropped a %d-byte request, larger than the forward queue for %s", len(body), self.url)
                return
            self._make_room(len(body))
            self._queue.append(_Item(body, items))
            self._queued_bytes += len(body)
            self._cond.notify()

    def _make_room(self, size: int) -> None:
        """Drops the oldest requests until one more of ``size`` bytes fits both bounds."""
        dropped = 0
        while self._queue and (
            len(self._queue) >= self._max_queue or self._queued_bytes + size > self._max_queue_bytes
        ):
            self._counters.add(self._dropped, self._pop().items)
            dropped += 1
        if dropped:
            _log.warning("forward queue for %s is full; dropped the %d oldest requests", self.url, dropped)

    def _pop(self) -> _Item:
        item = self._queue.popleft()
        self._queued_bytes -= len(item.body)
        return item

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping.is_set():
                    self._cond.wait()
                if self._stopping.is_set():
                    self._drop_all()
                    return
                item = self._pop()
                self._busy = True
            try:
                self._deliver(item)
            except Exception:
                # A bug or an error nobody foresaw must cost one request, not the whole target:
                # a dead thread would stop forwarding silently and make shutdown wait its full grace.
                _log.exception(
                    "unexpected error forwarding %d %s to %s; dropped them", item.items, self._noun, self.url
                )
                self._counters.add("forward_errors")
                self._counters.add(self._dropped, item.items)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _drop_all(self) -> None:
        if self._queue:
            _log.warning("shutting down with %d requests not forwarded to %s", len(self._queue), self.url)
        while self._queue:
            self._counters.add(self._dropped, self._pop().items)

    def _deliver(self, item: _Item) -> None:
        for attempt in range(1, _MAX_ATTEMPTS + 1):
            retry_after = self._post(item.body)
            if retry_after is None:
                self._counters.add(self._forwarded, item.items)
                return
            self._counters.add("forward_errors")
            # A Retry-After from the target wins over our backoff, within the same cap.
            delay = min(retry_after, self._policy.max_backoff_s) if retry_after > 0 else self._policy.delay(attempt)
            if retry_after < 0 or self._stopping.wait(delay):
                break
        self._counters.add(self._dropped, item.items)
        _log.warning("gave up forwarding %d %s to %s", item.items, self._noun, self.url)

    def _post(self, body: bytes) -> float | None:
        """None on success; else seconds to wait (0: use backoff) or -1 for a permanent failure."""
        request = urllib.request.Request(
            self.url, data=body, method="POST", headers={"Content-Type": "application/x-protobuf"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                response.read()
            return None
        except urllib.error.HTTPError as exc:
            if exc.code not in _RETRYABLE_STATUS:
                self._refusal_log.log("forward target %s refused a request: HTTP %d", self.url, exc.code)
                return -1
            header = exc.headers.get("Retry-After")
            return float(header) if header and header.isdigit() else 0.0
        except (urllib.error.URLError, OSError) as exc:
            _log.debug("forward target %s unreachable: %s", self.url, exc)
            return 0.0
        except http.client.HTTPException as exc:
            # Not HTTP back (BadStatusLine) or a cut-off answer (IncompleteRead): a proxy or a
            # restarting target, worth retrying like a refused connection.
            _log.debug("forward target %s sent a broken answer: %r", self.url, exc)
            return 0.0

    def close(self, timeout: float) -> None:
        """Delivers what is queued for up to ``timeout`` seconds, then stops retrying."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while (self._queue or self._busy) and time.monotonic() < deadline:
                self._cond.wait(max(0.0, deadline - time.monotonic()))
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        self._thread.join(max(0.0, deadline - time.monotonic()) + 1.0)
