"""The budget: check a call against its limits before it is sent, settle it after.

A check reserves the estimate on every counter the call is charged to, in the same critical
section that compared it with the cap; the settle replaces the reservation by the actual usage
(or releases it when the call failed). Reserving is what makes concurrent calls honest: with
100 tokens left and fifty 10-token calls racing, exactly ten get through.

An installed budget is one of the instrumentation's call observers (``before_request`` /
``after_call``): the instrumentation knows that protocol, not budgets.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from opentelemetry import trace

from otel_llm import semconv
from otel_llm.budget._estimate import estimate_or_zero, estimate_request
from otel_llm.budget._ledger import ZERO, Amount, CounterKey, Ledger
from otel_llm.budget._limits import CallInfo, Limit, TierOf
from otel_llm.budget._types import BudgetExceeded, Estimate
from otel_llm.instrumentation import add_call_observer, remove_call_observer
from otel_llm.usage import Usage

__all__ = ["Budget", "Ticket"]

_log = logging.getLogger("otel_llm.budget")


@dataclass(frozen=True, slots=True)
class Ticket:
    """What a check reserved, handed back to :meth:`Budget.settle` after the call."""

    budget: Budget
    charges: tuple[tuple[CounterKey, Amount], ...]
    exceeded: tuple[Limit, ...]

    @property
    def span_attributes(self) -> dict[str, bool]:
        """Attributes the instrumentation puts on the call's span (soft limits that were passed)."""
        return {semconv.OTEL_LLM_BUDGET_EXCEEDED: True} if self.exceeded else {}


def _over(limit: Limit, spent: Amount, wanted: Amount) -> bool:
    after = spent + wanted
    if limit.max_tokens is not None and (spent.tokens >= limit.max_tokens or after.tokens > limit.max_tokens):
        return True
    return limit.max_usd is not None and (spent.usd >= limit.max_usd or after.usd > limit.max_usd)


class Budget:
    """Limits per user, feature, tier or in total, counted in this process.

    Use ``with Budget([...]):`` (or :meth:`install`) so the instrumentation checks every LLM call
    against it; :meth:`check` and :meth:`settle` can also be called directly around any call.
    ``tiers`` maps a user id to its tier (a mapping or a function). ``clock`` is a seam for tests.
    """

    def __init__(
        self,
        limits: Iterable[Limit],
        *,
        tiers: TierOf | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limits: tuple[Limit, ...] = tuple(limits)
        self.tiers = tiers
        self.clock = clock
        self._ledger = Ledger()
        self._warned: set[CounterKey] = set()

    def check(self, attributes: Mapping[str, object], estimate: Estimate) -> Ticket:
        """Reserve ``estimate`` on every applicable limit, or raise :class:`BudgetExceeded`."""
        call = CallInfo.from_attributes(attributes, self.tiers)
        now = self.clock()
        wanted = estimate.amount()
        charges: list[tuple[CounterKey, Amount]] = []
        exceeded: list[Limit] = []
        warn: list[tuple[Limit, str, Amount]] = []
        with self._ledger.lock:
            for index, limit in enumerate(self.limits):
                key = limit.key_for(call)
                if key is None:
                    continue
                counter = (index, key, limit.window_start(now))
                spent = self._ledger.spent(counter)
                if _over(limit, spent, wanted):
                    if limit.enforce:
                        raise BudgetExceeded(limit, key, spent, estimate)
                    exceeded.append(limit)
                    if counter not in self._warned:
                        self._warned.add(counter)
                        warn.append((limit, key, spent))
                charges.append((counter, wanted))
            for counter, amount in charges:
                self._ledger.add(counter, amount)
        for limit, key, spent in warn:  # logging happens outside the lock
            _log.warning("soft budget %s exceeded for %r: spent %s tokens / $%s",
                         limit.label, key, spent.tokens, spent.usd)
        return Ticket(self, tuple(charges), tuple(exceeded))

    def reserve(self, attributes: Mapping[str, object], estimate: Estimate) -> Ticket | None:
        """:meth:`check`, except that a failure of ours lets the call through (logged, None):
        :class:`BudgetExceeded` is the only exception a budget raises into a user's call."""
        try:
            return self.check(attributes, estimate)
        except BudgetExceeded:
            raise
        except Exception:
            _log.warning("budget: checking the call failed; letting it through", exc_info=True)
            return None

    def settle(self, ticket: Ticket, usage: Usage | None, cost_usd: Decimal | None) -> None:
        """Replace the reservation by what the call really used (``usage`` None: nothing was billed).

        The actual tokens are input (cache included) plus output (reasoning included), the same
        totals the rollups sum. An unpriced call adds no USD: we do not invent a price.
        """
        actual = Amount()
        if usage is not None and not usage.is_empty:
            actual = Amount((usage.input_tokens or 0) + (usage.output_tokens or 0),
                            cost_usd if cost_usd is not None else ZERO)
        with self._ledger.lock:
            for counter, reserved in ticket.charges:
                self._ledger.add(counter, actual - reserved)

    def spent(self, limit: Limit, key: str = "") -> Amount:
        """What ``limit`` has counted for ``key`` in its current window."""
        index = self.limits.index(limit)
        with self._ledger.lock:
            return self._ledger.spent((index, key, limit.window_start(self.clock())))

    def set_store_totals(self, limit: Limit, totals: Mapping[str, Amount], *, at: float | None = None) -> None:
        """Record totals the store reports for ``limit``'s window at ``at`` (default now); a key the
        store does not list keeps its local count (see the ledger's doc)."""
        index = self.limits.index(limit)
        window = limit.window_start(self.clock() if at is None else at)
        with self._ledger.lock:
            for key, amount in totals.items():
                self._ledger.set_store((index, key, window), amount)

    def install(self) -> Budget:
        """Make the instrumentation check every LLM call of this process against this budget."""
        add_call_observer(self)
        return self

    def uninstall(self) -> None:
        remove_call_observer(self)

    # --- the instrumentation's call observer ---------------------------------------------------
    def before_request(
        self, tags: Mapping[str, str], model: str | None, provider: str, request: Mapping[str, Any]
    ) -> Ticket | None:
        """Reserve the request's estimate; a passed soft limit marks the call's span (current here).

        Each installed budget estimates the call itself (tiktoken, a price lookup): one budget
        holding every limit costs one estimate per call.
        """
        ticket = self.reserve(tags, estimate_or_zero(lambda: estimate_request(model, provider, request)))
        if ticket is not None and ticket.exceeded:
            trace.get_current_span().set_attributes(ticket.span_attributes)
        return ticket

    def after_call(self, token: object, usage: Usage | None, cost_usd: Decimal | None) -> None:
        """The call ended: settle the ticket ``before_request`` returned. Never raises."""
        if not isinstance(token, Ticket):
            return
        try:
            self.settle(token, usage, cost_usd)
        except Exception:
            _log.warning("budget: settling the call failed", exc_info=True)

    def __enter__(self) -> Budget:
        return self.install()

    def __exit__(self, *exc_info: object) -> None:
        self.uninstall()
