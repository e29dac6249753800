"""Counters of what each limit has spent in its current window, behind one lock.

One ``threading.Lock`` guards everything and no code awaits while holding it, so the same
ledger is safe from threads and asyncio tasks alike: a check-and-reserve is one critical
section, which is what stops fifty concurrent calls from all seeing the same headroom.

Refreshing from the store: each counter keeps what this process counted (``local``), the total
the store reported at the last refresh (``store``) and what this process counted since
(``since``). Spent is ``max(local, store + since)``: this process's own calls are never counted
twice, and other processes' calls are known up to the refresh interval plus the exporter's
batch delay (the staleness a multi-process budget accepts).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from decimal import Decimal

__all__ = ["Amount", "CounterKey", "Ledger"]

ZERO = Decimal(0)
# (index of the limit in its budget, the user/feature/"" the counter belongs to, window start)
CounterKey = tuple[int, str, int]


@dataclass(frozen=True, slots=True)
class Amount:
    """Tokens and USD together, since every limit may cap either or both."""

    tokens: int = 0
    usd: Decimal = ZERO

    def __add__(self, other: Amount) -> Amount:
        return Amount(self.tokens + other.tokens, self.usd + other.usd)

    def __sub__(self, other: Amount) -> Amount:
        return Amount(self.tokens - other.tokens, self.usd - other.usd)

    def at_least(self, other: Amount) -> Amount:
        return Amount(max(self.tokens, other.tokens), max(self.usd, other.usd))


@dataclass(slots=True)
class _Counter:
    local: Amount = Amount()
    store: Amount | None = None
    since: Amount = Amount()

    @property
    def spent(self) -> Amount:
        if self.store is None:
            return self.local
        return self.local.at_least(self.store + self.since)

    def add(self, amount: Amount) -> None:
        self.local = self.local + amount
        self.since = self.since + amount


class Ledger:
    """Per-window counters; old windows are dropped as soon as a newer one is touched."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._counters: dict[CounterKey, _Counter] = {}
        self._newest_window: dict[int, int] = {}

    # Every method below expects the caller to hold ``self.lock``: the budget composes several
    # of them into one atomic check-and-reserve.

    def spent(self, key: CounterKey) -> Amount:
        counter = self._counters.get(key)
        return counter.spent if counter else Amount()

    def add(self, key: CounterKey, amount: Amount) -> None:
        self._prune(key)
        counter = self._counters.get(key)
        if counter is None:
            if key[2] < self._newest_window[key[0]]:
                return  # settling a call whose window has already closed and been dropped
            counter = self._counters[key] = _Counter()
        counter.add(amount)

    def set_store(self, key: CounterKey, amount: Amount) -> None:
        self._prune(key)
        counter = self._counters.setdefault(key, _Counter())
        counter.store = amount
        counter.since = Amount()

    def _prune(self, key: CounterKey) -> None:
        limit_index, _, window = key
        newest = self._newest_window.get(limit_index)
        if newest is not None and window <= newest:
            return
        self._newest_window[limit_index] = window
        if newest is not None:
            for old in [k for k in self._counters if k[0] == limit_index and k[2] < window]:
                del self._counters[old]
