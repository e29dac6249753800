"""Containment of otel-llm's own bugs: log once per site, swallow, carry on.

Every SDK module and the core call their own code (extraction, pricing, metrics) through these
helpers. An exception raised by OUR code must never reach the user's application, never turn
the user's span into an error and never flood the log: the first failure of each distinct site
is logged with its traceback at WARNING, later ones at DEBUG. The SDK's own exceptions never
pass through here; the wrappers re-raise them untouched.

Usage::

    with guarded("openai.extract_response"):
        attrs = response_attributes(result)

    @guard("lifecycle.record_first_chunk")
    def record_first_chunk(...): ...   # returns None instead of raising
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, cast

__all__ = ["guard", "guarded", "report_bug"]

_log = logging.getLogger("otel_llm.instrumentation")
_F = TypeVar("_F", bound=Callable[..., Any])

# A log-deduplication set, not configuration: nothing reads it back except report_bug.
_reported: set[str] = set()
_lock = threading.Lock()


def report_bug(site: str, exc: BaseException) -> None:
    """Log an internal failure: fully the first time ``site`` fails, quietly afterwards."""
    with _lock:
        first = site not in _reported
        _reported.add(site)
    if first:
        _log.warning("otel-llm internal error in %s (the LLM call is unaffected)", site, exc_info=exc)
    else:
        _log.debug("otel-llm internal error in %s again: %r", site, exc)


@contextmanager
def guarded(site: str) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        report_bug(site, exc)


def guard(site: str) -> Callable[[_F], _F]:
    """Decorate one of our functions so a failure returns None instead of raising."""

    def decorate(func: _F) -> _F:
        @functools.wraps(func)
        def guarded_call(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except Exception as exc:
                report_bug(site, exc)
                return None

        return cast(_F, guarded_call)

    return decorate
