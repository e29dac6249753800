"""Switching the official google-genai instrumentation off for the calls otel-llm traces.

``opentelemetry-bootstrap`` installs ``opentelemetry-instrumentation-google-genai`` whenever
google-genai is present, and ``opentelemetry-instrument`` then runs it next to ours. It wraps the
PUBLIC ``generate_content``, ``generate_content_stream`` and ``embed_content`` and puts
``gen_ai.usage.*`` on its own span; ours are the per-request spans below it (see ``_methods``).
Left alone, every call would be counted twice by anything that sums tokens.

So, for the methods we trace, its wrappers are removed: that instrumentor keeps each set of
wrappers in a snapshot object on itself (``_generate_content_snapshot``,
``_embedding_snapshot``) whose ``restore()`` puts the SDK's methods back, and we call it. Its
``interactions`` wrappers (an API we do not trace) stay. Both load orders are covered: if it
instrumented before us, its wrappers are removed at our ``instrument()``; if after, a wrapper on
its ``_instrument`` removes them as soon as it has set them. Anything unexpected (another version
of that package without these snapshots) is logged once and leaves it as it is: two spans then,
as the README says, never a broken call.

Our ``uninstrument()`` removes the hook but does not bring its wrappers back: it has no public
way to re-wrap one API alone. Re-instrument it (``uninstrument()`` then ``instrument()``) for that.
"""

from __future__ import annotations

import logging
from typing import Any

import wrapt

from otel_llm.instrumentation._guard import report_bug

__all__ = ["OfficialSpanSilencer"]

_log = logging.getLogger(__name__)
# The snapshots of the APIs we trace; ``_interactions_snapshot`` is left alone on purpose.
_SNAPSHOTS = ("_generate_content_snapshot", "_embedding_snapshot")


def _official_class() -> type | None:
    try:
        from opentelemetry.instrumentation.google_genai.instrumentor import GoogleGenAiSdkInstrumentor
    except ImportError:
        return None
    return GoogleGenAiSdkInstrumentor


def release_official_wrappers(official: Any) -> bool:
    """Put back the SDK methods the official instrumentor wrapped for the APIs we trace."""
    released = False
    for name in _SNAPSHOTS:
        snapshot = getattr(official, name, None)
        if snapshot is None:
            continue
        try:
            snapshot.restore()
        except Exception as exc:  # a version of theirs we do not know: two spans, not a broken call
            report_bug(f"google_genai.official_spans.{name}", exc)
            continue
        setattr(official, name, None)
        released = True
    if released:
        _log.debug("otel-llm: the official google-genai instrumentation is off for generate_content/embed_content")
    return released


def _after_their_instrument(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    result = wrapped(*args, **kwargs)
    release_official_wrappers(instance)
    return result


class OfficialSpanSilencer:
    """Installs and removes the hook on the official instrumentor; a no-op when it is not installed."""

    def __init__(self) -> None:
        self._owner: type | None = None
        self._original: Any = None

    def install(self) -> bool:
        """Returns whether the official instrumentation is installed (and is now kept off our calls)."""
        owner = _official_class()
        if owner is None:
            return False
        instance = owner.__dict__.get("_instance")  # BaseInstrumentor is a singleton; never create it here
        if instance is not None:
            release_official_wrappers(instance)
        self._owner, self._original = owner, owner.__dict__.get("_instrument")
        wrapt.wrap_function_wrapper(owner, "_instrument", _after_their_instrument)
        return True

    def uninstall(self) -> None:
        if self._owner is not None and self._original is not None:
            self._owner._instrument = self._original  # type: ignore[attr-defined]
        self._owner = self._original = None
