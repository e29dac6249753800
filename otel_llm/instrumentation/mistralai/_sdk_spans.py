"""Silencing the mistralai SDK's own span for the calls that otel-llm already traces.

mistralai has a tracing hook of its own (``_hooks/tracing.py``) that starts a span per request,
with ``gen_ai.usage.*`` from the response: on every request whenever a tracer provider is
registered in late 1.x (so always under ``opentelemetry-instrument``), and from 2.x when the user
opts in (``MISTRAL_SDK_TELEMETRY``, ``configure_telemetry``). Left alone, one ``chat.complete``
would be two spans carrying usage, and the ClickHouse views, which price other projects' spans
too, would count the call twice.

The hook gets its span from the module-level ``get_traced_request_and_span``; the replacement
installed here answers "no span" (the request untouched) while a call we trace is running in the
current context, and calls the SDK's function otherwise, so the SDK still traces what we do not
(agents, conversations, OCR...). Both the 1.x (``mistralai._hooks.tracing``) and the 2.x
(``mistralai.client._hooks.tracing``) module are patched, whichever is installed.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

from otel_llm.instrumentation._wrapping import inside_llm_call

__all__ = ["SdkSpanSilencer"]

_log = logging.getLogger(__name__)
_HOOK_MODULES = ("mistralai.client._hooks.tracing", "mistralai._hooks.tracing")
_FUNCTION = "get_traced_request_and_span"


def _silenced(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_traced_request_and_span(*args: Any, **kwargs: Any) -> Any:
        if inside_llm_call():
            request = kwargs["request"] if "request" in kwargs else args[4]
            return request, None
        return original(*args, **kwargs)

    get_traced_request_and_span.__wrapped__ = original  # type: ignore[attr-defined]
    return get_traced_request_and_span


class SdkSpanSilencer:
    """Installs and removes the replacement; a no-op on SDK versions without the tracing hook."""

    def __init__(self) -> None:
        self._patched: list[tuple[Any, Any]] = []

    def install(self) -> bool:
        """Returns whether the SDK has its own spans to silence."""
        for name in _HOOK_MODULES:
            try:
                module = importlib.import_module(name)
            except ImportError:
                continue
            original = getattr(module, _FUNCTION, None)
            if callable(original):
                setattr(module, _FUNCTION, _silenced(original))
                self._patched.append((module, original))
        if not self._patched:
            _log.debug("mistralai has no own spans to silence")
        return bool(self._patched)

    def uninstall(self) -> None:
        for module, original in self._patched:
            setattr(module, _FUNCTION, original)
        self._patched = []
