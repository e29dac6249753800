"""Silencing the anthropic SDK's own span for the calls that otel-llm already traces.

anthropic 1.x/2.x starts a CLIENT span of its own (scope ``com.anthropic.sdk.python``) for every
API call whenever a tracer provider is registered. Left alone, one ``messages.create`` would be
two spans with overlapping ``gen_ai.*`` usage, and any backend summing tokens would count the
call twice. Enriching the SDK's span instead was rejected: it does not exist on anthropic 0.x or
with ``ANTHROPIC_OPEN_TELEMETRY=false``, and the SDK ends it on its own schedule (stream body
end), so the cost could not be written reliably before it ends.

So, for the duration of a call we trace, the client's tracer is swapped for a no-op tracer. The
client resolves its tracer per call through the ``BaseClient._tracer`` property (the same from
1.17 to 2.12); our replacement of that property returns ``NoOpTracer`` while a traced call is
running in the current context, and the SDK's own tracer otherwise, so the SDK's spans for calls
we do not trace (``count_tokens``, files, batches, ...) are untouched. A no-op tracer's span is a
non-recording span carrying our span's context, so the SDK still injects ``traceparent`` with
OUR span as the parent, and HTTP-client instrumentation still nests under our span.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from opentelemetry.trace import NoOpTracer

from otel_llm.instrumentation._wrapping import inside_llm_call

__all__ = ["SdkSpanSilencer"]

_log = logging.getLogger(__name__)
_NO_OP_TRACER = NoOpTracer()


def _silenced(original: Callable[[Any], Any]) -> property:
    def _tracer(client: Any) -> Any:
        tracer = original(client)
        if tracer is not None and inside_llm_call():
            return _NO_OP_TRACER
        return tracer

    return property(_tracer, doc="The SDK's tracer, or a no-op tracer while otel-llm traces the call.")


class SdkSpanSilencer:
    """Installs and removes the ``BaseClient._tracer`` replacement; a no-op on SDKs without it."""

    def __init__(self) -> None:
        self._owner: type | None = None
        self._original: property | None = None

    def install(self) -> bool:
        """Returns whether the SDK has its own spans to silence."""
        try:
            from anthropic._base_client import BaseClient
        except ImportError:
            return False
        original = BaseClient.__dict__.get("_tracer")
        if not isinstance(original, property) or original.fget is None:
            _log.debug("anthropic %s has no own spans to silence", getattr(BaseClient, "__module__", "?"))
            return False
        self._owner, self._original = BaseClient, original
        BaseClient._tracer = _silenced(original.fget)  # type: ignore[attr-defined]
        return True

    def uninstall(self) -> None:
        if self._owner is not None and self._original is not None:
            self._owner._tracer = self._original  # type: ignore[attr-defined]
        self._owner = self._original = None
