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
providers are used. ``span_silencer(**kwargs)`` is the hook for switching off another tracer's
spans for the calls we trace (an SDK's own, an official instrumentation's), so a call is counted
once: it returns a :class:`SpanSilencer`, installed after the rows are wrapped and removed before
they are unwrapped, or None to keep those spans. :func:`other_spans_off` reads the ``off`` |
``keep`` choice every such setting shares.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Protocol

from opentelemetry import _logs, metrics, trace
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor

from otel_llm._env import env_choice
from otel_llm.instrumentation._content import ContentPolicy
from otel_llm.instrumentation._lifecycle import Telemetry
from otel_llm.instrumentation._usage_record import event_logger
from otel_llm.instrumentation._wrapping import Row, WrappedRow, unwrap_rows, wrap_rows

__all__ = [
    "OTHER_SPANS_KEEP", "OTHER_SPANS_OFF", "LLMInstrumentor", "SpanSilencer", "measurement_consumer", "other_spans_off",
]

_SCHEMA_URL = "https://opentelemetry.io/schemas/1.37.0"
OTHER_SPANS_OFF = "off"
OTHER_SPANS_KEEP = "keep"


class SpanSilencer(Protocol):
    """Keeps another tracer's spans off the calls we trace; ``install`` says whether there were any."""

    def install(self) -> bool: ...

    def uninstall(self) -> None: ...


def other_spans_off(kwargs: Mapping[str, Any], argument: str, env_var: str) -> bool:
    """The ``instrument(argument=...)`` choice, else ``env_var``: ``off`` (the default) or ``keep``."""
    mode = kwargs.get(argument) or env_choice(env_var, OTHER_SPANS_OFF, (OTHER_SPANS_OFF, OTHER_SPANS_KEEP))
    return mode == OTHER_SPANS_OFF


def measurement_consumer(meter_provider: Any) -> Any:
    """What tells whether anyone reads ``meter_provider``'s points right now, or None: always read.

    The SDK's ``MeterProvider`` hands every point to its measurement consumer, which keeps one
    storage per metric reader in ``_reader_storages``, a dict it replaces whole when a reader is
    added or removed. ``opentelemetry-instrument`` with ``OTEL_METRICS_EXPORTER=none`` (the
    README's commands) builds it with no reader: until one is added (``add_metric_reader``),
    every point goes nowhere, and the four of every call cost 25-35 µs in situ
    (benchmarks/instrumentation/RESULTS.md). So a call records its points only while that dict
    is not empty. Anything else (the API's proxy before the SDK is set up, another
    implementation, an SDK whose internals differ) gives None, and every point is recorded.
    """
    if not type(meter_provider).__module__.startswith("opentelemetry.sdk.metrics"):
        return None
    consumer = getattr(meter_provider, "_measurement_consumer", None)
    return consumer if isinstance(getattr(consumer, "_reader_storages", None), dict) else None


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
        meter_provider = kwargs.get("meter_provider") or metrics.get_meter_provider()
        meter = metrics.get_meter(self.scope, _our_version(), meter_provider, schema_url=_SCHEMA_URL)
        logger = _logs.get_logger(self.scope, _our_version(), kwargs.get("logger_provider"), schema_url=_SCHEMA_URL)
        content = ContentPolicy.from_env(kwargs.get("content_redactor"))
        self._telemetry: Telemetry | None = Telemetry(
            tracer, meter, content, event_logger(logger), readers=measurement_consumer(meter_provider)
        )
        self._wrapped: list[WrappedRow] = wrap_rows(self.wrap_table(**kwargs), self._telemetry)
        self._silencer = self.span_silencer(**kwargs)
        if self._silencer is not None:
            self._silencer.install()

    def _uninstrument(self, **kwargs: Any) -> None:
        silencer: SpanSilencer | None = getattr(self, "_silencer", None)
        if silencer is not None:
            silencer.uninstall()
        self._silencer = None
        if self._telemetry is not None:
            self._telemetry.active = False
        unwrap_rows(getattr(self, "_wrapped", ()))
        self._wrapped = []
        self._telemetry = None

    def span_silencer(self, **kwargs: Any) -> SpanSilencer | None:
        """What keeps another tracer's spans off our calls (see the module docstring); None: nothing."""
        return None

    @property
    def wrapped_targets(self) -> list[str]:
        """``Class.method`` of every method currently wrapped (skipped rows are absent)."""
        return [f"{getattr(r.owner, '__qualname__', r.owner)}.{r.attribute}" for r in getattr(self, "_wrapped", ())]
