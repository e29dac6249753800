"""The OpenTelemetry SDK's own floor under otel-llm's span: a contender that does only the SDK work.

``SdkFloor`` wraps one SDK method and, around each call, starts a CLIENT span with as many
attributes as otel-llm's span starts with, makes it current during the call, sets as many response
attributes as otel-llm sets, records otel-llm's four metric points (duration, input and output
tokens, cost, with as many attributes each) and ends the span. It reads nothing from the request
or the response, prices nothing and fingerprints nothing: the difference between otel-llm's row
and this one is otel-llm's own code (request and response reading, usage normalization, pricing,
the request shape, tags, guards), the rest is what any instrumentation recording that much pays
to the SDK. Values are of the types otel-llm records (strings, ints, floats, booleans, a tuple).
"""

from __future__ import annotations

import importlib
import time
from typing import Any

import wrapt
from opentelemetry import context, trace
from opentelemetry.trace import SpanKind

__all__ = ["SdkFloor"]

_VALUES: tuple[Any, ...] = ("gemini-2.5-flash", 1, False, 0.0000256, "none", 37199, ("stop",), "exact")
# otel-llm's metric points: duration (6 attributes), input and output tokens (7), cost (4).
_POINTS = (("duration", 6), ("tokens", 7), ("tokens", 7), ("cost", 4))


def _attributes(prefix: str, count: int) -> dict[str, Any]:
    return {f"floor.{prefix}.{i}": _VALUES[i % len(_VALUES)] for i in range(count)}


class SdkFloor:
    """An instrumentor (the harness's interface) for ``module``'s ``target`` ("Class.method")."""

    def __init__(self, module: str, target: str, start_attributes: int, end_attributes: int) -> None:
        self._module, self._target = module, target
        self._start = _attributes("start", start_attributes)
        self._end = _attributes("end", end_attributes)
        self._original: Any = None
        self.is_instrumented_by_opentelemetry = False

    def instrument(self, tracer_provider: Any = None, meter_provider: Any = None, **_: Any) -> None:
        tracer = tracer_provider.get_tracer("floor")
        meter = meter_provider.get_meter("floor")
        instruments = {"duration": meter.create_histogram("floor.duration"),
                       "tokens": meter.create_histogram("floor.tokens"), "cost": meter.create_counter("floor.cost")}
        points = [(instruments[kind], _attributes(kind, count)) for kind, count in _POINTS]
        start, end, name = self._start, self._end, f"floor {self._target}"

        def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            span = tracer.start_span(name, kind=SpanKind.CLIENT, attributes=start)
            started = time.perf_counter()
            token = context.attach(trace.set_span_in_context(span))
            try:
                result = wrapped(*args, **kwargs)
            finally:
                context.detach(token)
            span.set_attributes(end)
            elapsed = time.perf_counter() - started
            for instrument, attributes in points:
                if hasattr(instrument, "record"):
                    instrument.record(elapsed, attributes)
                else:
                    instrument.add(elapsed, attributes)
            span.end()
            return result

        owner_name, method = self._target.split(".")
        owner = getattr(importlib.import_module(self._module), owner_name)
        self._original = owner.__dict__[method]
        wrapt.wrap_function_wrapper(self._module, self._target, wrapper)
        self.is_instrumented_by_opentelemetry = True

    def uninstrument(self) -> None:
        owner_name, method = self._target.split(".")
        setattr(getattr(importlib.import_module(self._module), owner_name), method, self._original)
        self.is_instrumented_by_opentelemetry = False
