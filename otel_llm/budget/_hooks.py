"""The two calls the instrumentation makes around every LLM request, and the installed budgets.

The registry is a tuple swapped under a lock and read without one, so a process with no budget
pays one attribute read per call, and the estimate (tiktoken, price lookup) is computed lazily
only when some budget is installed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from otel_llm.budget._estimate import estimate_request
from otel_llm.budget._types import BudgetExceeded, Estimate
from otel_llm.usage import Usage

if TYPE_CHECKING:
    from otel_llm.budget._budget import Budget, Ticket

__all__ = ["Reservation", "after_call", "before_call", "before_request", "install", "installed", "uninstall"]

_log = logging.getLogger("otel_llm.budget")
_lock = threading.Lock()
_installed: tuple[Budget, ...] = ()


def install(budget: Budget) -> None:
    global _installed
    with _lock:
        if budget not in _installed:
            _installed = (*_installed, budget)


def uninstall(budget: Budget) -> None:
    global _installed
    with _lock:
        _installed = tuple(b for b in _installed if b is not budget)


def installed() -> tuple[Budget, ...]:
    return _installed


@dataclass(frozen=True, slots=True)
class Reservation:
    """The tickets one call holds on the installed budgets, until :func:`after_call` settles them."""

    tickets: tuple[Ticket, ...]

    @property
    def span_attributes(self) -> dict[str, bool]:
        attrs: dict[str, bool] = {}
        for ticket in self.tickets:
            attrs.update(ticket.span_attributes)
        return attrs


def _release(tickets: list[Ticket]) -> None:
    for ticket in tickets:
        ticket.budget.settle(ticket, None, None)


def before_call(attributes: Mapping[str, object], estimate: Callable[[], Estimate]) -> Reservation | None:
    """Check the call against every installed budget; raises BudgetExceeded, never anything else.

    ``estimate`` is only called when a budget is installed. If it fails (a bug of ours, say an
    unknown tokenizer), the call is checked with a zero estimate: a budget already spent still
    refuses, and the settle counts the real usage.
    """
    budgets = _installed
    if not budgets:
        return None
    try:
        guess = estimate()
    except Exception:
        _log.warning("budget: estimating the call failed; checking with a zero estimate", exc_info=True)
        guess = Estimate(0)
    tickets: list[Ticket] = []
    for budget in budgets:
        try:
            tickets.append(budget.check(attributes, guess))
        except BudgetExceeded:
            _release(tickets)  # a refused call must not keep what other budgets reserved
            raise
        except Exception:
            _log.warning("budget: checking the call failed; letting it through", exc_info=True)
    return Reservation(tuple(tickets))


def before_request(
    attributes: Mapping[str, object], model: str | None, provider: str | None, request: Mapping[str, Any]
) -> Reservation | None:
    """:func:`before_call` with the estimate built from the SDK call's keyword arguments: the one
    line an instrumentation adds before sending a request."""
    if not _installed:
        return None
    return before_call(attributes, lambda: estimate_request(model, provider, request))


def after_call(reservation: Reservation | None, usage: Usage | None, cost_usd: Decimal | None) -> None:
    """Settle a call: count its real usage (None when it failed or reported nothing). Never raises."""
    if reservation is None:
        return
    for ticket in reservation.tickets:
        try:
            ticket.budget.settle(ticket, usage, cost_usd)
        except Exception:
            _log.warning("budget: settling the call failed", exc_info=True)
