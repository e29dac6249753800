"""Call observers: code that sees every instrumented LLM call before its request and after its end.

A budget is the first one (``Budget.install()`` registers itself), but the instrumentation knows
only this protocol, so it imports nothing above it::

    class Observer:
        def before_request(self, tags, model, provider, request):
            return token            # handed back to after_call; None: nothing to settle
        def after_call(self, token, usage, cost_usd):
            ...                     # usage None: the call failed or reported nothing

    from otel_llm.instrumentation import add_call_observer
    add_call_observer(Observer())

``before_request`` runs in the wrapper just before the SDK sends the request, with the call's
span current (``opentelemetry.trace.get_current_span()`` is the call's span, so an observer may
annotate it). An exception it raises refuses the call: the span records it, the observers that
already accepted the call get ``after_call(token, None, None)``, and it reaches the user before
any byte is sent. It must therefore raise only on purpose (``BudgetExceeded``) and contain its
own bugs. ``after_call`` runs once when the call's span ends; what it raises is logged, never
passed on.

The registry is a tuple replaced under a lock and read without one: a process without observers
pays one truthiness test per call, and a call sees one consistent set of observers.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Protocol

from otel_llm.instrumentation._guard import report_bug
from otel_llm.usage import Usage

__all__ = [
    "CallObserver",
    "Observed",
    "add_call_observer",
    "call_observers",
    "notify_after_call",
    "notify_before_request",
    "remove_call_observer",
]

# The observers that accepted one call, each with its token for ``after_call``.
Observed = tuple[tuple["CallObserver", object], ...]


class CallObserver(Protocol):
    def before_request(
        self, tags: Mapping[str, str], model: str | None, provider: str, request: Mapping[str, Any]
    ) -> object | None:
        """See the call before it is sent: ``tags`` are its ``otel_llm.tag`` attributes and
        ``request`` the SDK call's keyword arguments. Return a token for ``after_call``."""

    def after_call(self, token: object, usage: Usage | None, cost_usd: Decimal | None) -> None:
        """The call ended: its usage and cost (None: failed, unreported or unpriced)."""


_lock = threading.Lock()
_registered: tuple[CallObserver, ...] = ()


def add_call_observer(observer: CallObserver) -> None:
    """Show every instrumented call of this process to ``observer`` (once, however often added)."""
    global _registered
    with _lock:
        if not any(o is observer for o in _registered):
            _registered = (*_registered, observer)


def remove_call_observer(observer: CallObserver) -> None:
    global _registered
    with _lock:
        _registered = tuple(o for o in _registered if o is not observer)


def call_observers() -> tuple[CallObserver, ...]:
    return _registered


def notify_before_request(
    tags: Mapping[str, str], model: str | None, provider: str, request: Mapping[str, Any]
) -> Observed:
    """Ask every registered observer; an observer's refusal is re-raised after releasing the others."""
    accepted: list[tuple[CallObserver, object]] = []
    for observer in _registered:
        try:
            token = observer.before_request(tags, model, provider, request)
        except BaseException:
            notify_after_call(tuple(accepted), None, None)
            raise
        if token is not None:
            accepted.append((observer, token))
    return tuple(accepted)


def notify_after_call(observed: Observed, usage: Usage | None, cost_usd: Decimal | None) -> None:
    """Tell each observer that accepted the call how it ended. Never raises."""
    for observer, token in observed:
        try:
            observer.after_call(token, usage, cost_usd)
        except Exception as exc:
            report_bug(f"{type(observer).__name__}.after_call", exc)
