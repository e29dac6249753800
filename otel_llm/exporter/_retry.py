"""When to try a failed insert again: a policy that is plain data, and a wait that can be cut short.

Why data: the delays are then unit-testable without a clock, and the collector can reuse the same
policy for its spool. Why an interruptible wait: ``shutdown()`` and ``force_flush()`` must not sit
out a 30 s backoff, and tests must not sleep; they pass a :class:`Waiter` whose clock is fake.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RetryPolicy", "Waiter"]


@dataclass(frozen=True)
class RetryPolicy:
    """Jittered exponential backoff, the OTLP exporters' shape: 1 s, 2 s, 4 s ... capped at 30 s."""

    initial_backoff_s: float = 1.0
    max_backoff_s: float = 30.0
    multiplier: float = 2.0
    jitter: float = 0.2  # +/- this fraction, so many processes do not retry in lockstep

    def __post_init__(self) -> None:
        if self.initial_backoff_s < 0 or self.max_backoff_s < self.initial_backoff_s:
            raise ValueError("need 0 <= initial_backoff_s <= max_backoff_s")
        if self.multiplier < 1 or not 0 <= self.jitter < 1:
            raise ValueError("need multiplier >= 1 and 0 <= jitter < 1")

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after the ``attempt``-th consecutive failure (1-based)."""
        base = min(self.initial_backoff_s * self.multiplier ** max(attempt - 1, 0), self.max_backoff_s)
        spread = (rng or random).uniform(-self.jitter, self.jitter)
        return base * (1 + spread)


class Waiter:
    """A clock plus a wait on the worker's condition; the seam tests replace.

    ``wait`` must be called with ``condition`` held; it returns early when the condition is
    notified (new spans, a flush, shutdown), which is what makes a backoff interruptible.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.now = clock

    def wait(self, condition: threading.Condition, timeout: float | None) -> None:
        condition.wait(timeout)
