"""The base every SDK instrumentor subclasses: providers in, wrap table applied, all undone.

An SDK module subclasses :class:`LLMInstrumentor` and supplies three things::

    class OpenAIInstrumentor(LLMInstrumentor):
        scope = "otel_llm.instrumentation.openai"
        def instrumentation_dependencies(self): return _instruments
        def wrap_table(self, **kwargs): return ROWS   # rows of _wrapping.Row

``instrument(tracer_provider=..., meter_provider=..., logger_provider=..., content_redactor=fn)``
builds the tracer, the meter, the logger (usage records of sampled-out calls) and the
:class:`Telemetry` ONCE (never per call) and wraps the rows the installed SDK
has; ``uninstrument()`` unwraps exactly those. ``wrap_table`` gets ``instrument()``'s keyword
arguments, so an SDK module reads its settings once there and hands them to its handlers
(typed, frozen). Under ``opentelemetry-instrument`` no argument is passed and the global
providers are used. ``_after_instrument``/``_before_uninstrument`` are
hooks for SDK-specific setup (e.g. switching off an SDK's own spans).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from opentelemetry import _logs, metrics, trace
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor

from otel_llm.instrumentation._content import ContentPolicy
from otel_llm.instrumentation._lifecycle import Telemetry
from otel_llm.instrumentation._usage_record import event_logger
from otel_llm.instrumentation._wrapping import Row, WrappedRow, unwrap_rows, wrap_rows

__all__ = ["LLMInstrumentor"]

_SCHEMA_URL = "https://opentelemetry.io/schemas/1.37.0"


def _our_version() -> str:
    try:
        return version("otel-llm")
    except PackageNotFoundError:
        return "0.0.0"


class LLMInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    scope: str = "otel_llm.instrumentation"

    def instrumentation_dependencies(self) -> Collection[str]:
        raise NotImplementedError

    def wrap_table(self, **kwargs: Any) -> Iterable[Row]:
        raise NotImplementedError

    @property
    def telemetry(self) -> Telemetry | None:
        """The active instruments, or None when not instrumented (for SDK-specific hooks and tests)."""
        return getattr(self, "_telemetry", None)

    def _instrument(self, **kwargs: Any) -> None:
        tracer = trace.get_tracer(self.scope, _our_version(), kwargs.get("tracer_provider"), schema_url=_SCHEMA_URL)
        meter = metrics.get_meter(self.scope, _our_version(), kwargs.get("meter_provider"), schema_url=_SCHEMA_URL)
        logger = _logs.get_logger(self.scope, _our_version(), kwargs.get("logger_provider"), schema_url=_SCHEMA_URL)
        content = ContentPolicy.from_env(kwargs.get("content_redactor"))
        self._telemetry: Telemetry | None = Telemetry(tracer, meter, content, event_logger(logger))
        self._wrapped: list[WrappedRow] = wrap_rows(self.wrap_table(**kwargs), self._telemetry)
        self._after_instrument(self._telemetry, **kwargs)

    def _uninstrument(self, **kwargs: Any) -> None:
        self._before_uninstrument(**kwargs)
        if self._telemetry is not None:
            self._telemetry.active = False
        unwrap_rows(getattr(self, "_wrapped", ()))
        self._wrapped = []
        self._telemetry = None

    def _after_instrument(self, telemetry: Telemetry, **kwargs: Any) -> None:
        """Hook for SDK-specific setup after the rows are wrapped."""

    def _before_uninstrument(self, **kwargs: Any) -> None:
        """Hook for SDK-specific teardown before the rows are unwrapped."""

    @property
    def wrapped_targets(self) -> list[str]:
        """``Class.method`` of every method currently wrapped (skipped rows are absent)."""
        return [f"{getattr(r.owner, '__qualname__', r.owner)}.{r.attribute}" for r in getattr(self, "_wrapped", ())]
