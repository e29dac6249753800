"""Checking a call by hand against every installed budget, for code the instrumentation does not
wrap: ``reservation = before_call(...)`` before the request, ``after_call(reservation, ...)`` after.

Installed budgets are the instrumentation's call observers that are budgets, so an instrumented
call and a hand-checked one see the same set. The estimate is computed lazily, once per call, and
only when some budget is installed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from otel_llm.budget._budget import Budget, Ticket
from otel_llm.budget._estimate import estimate_or_zero, estimate_request
from otel_llm.budget._types import BudgetExceeded, Estimate
from otel_llm.instrumentation import call_observers
from otel_llm.usage import Usage

__all__ = ["Reservation", "after_call", "before_call", "before_request", "installed"]


def installed() -> tuple[Budget, ...]:
    """The budgets installed in this process (``Budget.install()`` / ``with budget:``)."""
    return tuple(observer for observer in call_observers() if isinstance(observer, Budget))


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


def before_call(attributes: Mapping[str, object], estimate: Callable[[], Estimate]) -> Reservation | None:
    """Check the call against every installed budget; raises BudgetExceeded, never anything else.

    ``estimate`` is only called when a budget is installed; if it fails, the call is checked with
    a zero estimate. A refused call keeps nothing that other budgets had reserved for it.
    """
    budgets = installed()
    if not budgets:
        return None
    guess = estimate_or_zero(estimate)
    tickets: list[Ticket] = []
    for budget in budgets:
        try:
            ticket = budget.reserve(attributes, guess)
        except BudgetExceeded:
            after_call(Reservation(tuple(tickets)), None, None)
            raise
        if ticket is not None:
            tickets.append(ticket)
    return Reservation(tuple(tickets))


def before_request(
    attributes: Mapping[str, object], model: str | None, provider: str | None, request: Mapping[str, Any]
) -> Reservation | None:
    """:func:`before_call` with the estimate built from the SDK call's keyword arguments."""
    return before_call(attributes, lambda: estimate_request(model, provider, request))


def after_call(reservation: Reservation | None, usage: Usage | None, cost_usd: Decimal | None) -> None:
    """Settle a call: count its real usage (None when it failed or reported nothing). Never raises."""
    if reservation is None:
        return
    for ticket in reservation.tickets:
        ticket.budget.after_call(ticket, usage, cost_usd)
