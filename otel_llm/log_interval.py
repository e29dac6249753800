"""A log line that repeats at most once per interval, saying how many it stood for.

Why: some conditions recur at the rate of the traffic (a sender's clock bug in every span, a flood
of failed accepts, an exporter retrying against the wrong port). One line per occurrence buries
the log (a line per failed accept once filled 306 MB of stderr in a minute); none hides the
problem. The first occurrence is logged at once, later ones within ``interval`` seconds are only
counted, and the next line says how many were not shown.
"""

from __future__ import annotations

import logging
import threading
import time

__all__ = ["IntervalLog"]


class IntervalLog:
    """``log(msg, *args)`` writes at most one line per ``interval`` seconds to ``logger``."""

    def __init__(self, logger: logging.Logger, level: int, interval: float = 60.0) -> None:
        self._logger = logger
        self._level = level
        self._interval = interval
        self._lock = threading.Lock()
        self._next = 0.0  # monotonic time from which the next line may be written
        self._suppressed = 0

    def log(self, msg: str, *args: object) -> bool:
        """Logs now, or counts the occurrence for the next line; True when a line was written."""
        now = time.monotonic()
        with self._lock:
            if now < self._next:
                self._suppressed += 1
                return False
            self._next = now + self._interval
            suppressed, self._suppressed = self._suppressed, 0
        if suppressed:
            msg += f" ({suppressed} more like it in the last {self._interval:g} s not shown)"
        self._logger.log(self._level, msg, *args)
        return True
