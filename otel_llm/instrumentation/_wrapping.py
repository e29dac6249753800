"""Table-driven wrapping: one row per SDK method, one generic wrapper for sync and async.

An SDK module declares its methods as rows::

    ROWS = (
        Row("openai.resources.chat.completions", "Completions.create", sync_call(ChatHandler())),
        Row("openai.resources.chat.completions", "AsyncCompletions.create", async_call(ChatHandler())),
    )

and a :class:`CallHandler` per kind of call, with two methods:

- ``begin(telemetry, instance, kwargs) -> (LLMCall | None, kwargs)``: extract the request,
  start the call; may return changed kwargs (e.g. stream options we inject);
- ``complete(call, result) -> (value, owned)``: record the response and return what the user
  receives. ``owned`` True means the value (a stream proxy) now ends the call; otherwise the
  wrapper ends it.

The wrapper adds everything else: it calls through untouched when OpenTelemetry's
``suppress_instrumentation`` is set, when we are already inside one of our calls (a helper
like ``parse`` calling ``create`` gives ONE span; LiteLLM calling the openai SDK too) or inside
another project's inference span (``_nesting`` has the rule); it makes the span current during the SDK call
(so HTTP spans nest under it); it records the SDK's exception and re-raises it untouched; and it
guards the handler, so a bug of ours leaves the call and its result untouched. When call
observers are registered (``_observers``; a budget is one) it shows them the call just before
sending it: an observer's refusal (an enforced budget's ``BudgetExceeded``) is raised to the user
before any request, and the call's end settles it. The ``.stream()`` helpers need no check of
their own: their ``__enter__`` calls a wrapped ``create``.

``wrap_rows`` skips a row whose module or method the installed SDK lacks (debug log), and
returns the rows it did wrap, which ``unwrap_rows`` restores exactly.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import wrapt
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.instrumentation.utils import is_instrumentation_enabled

from otel_llm.instrumentation import _observers
from otel_llm.instrumentation._content import Message, Part
from otel_llm.instrumentation._fingerprint import RequestParts, chat_request_parts
from otel_llm.instrumentation._guard import report_bug
from otel_llm.instrumentation._lifecycle import LLMCall, Telemetry
from otel_llm.instrumentation._nesting import OPENLLMETRY_SUPPRESS_KEY
from otel_llm.instrumentation._providers import ClientEndpoint
from otel_llm.instrumentation._stream import CreateOnEnterManagerProxy

__all__ = [
    "CallHandler",
    "RequestHandler",
    "Row",
    "WrappedRow",
    "async_call",
    "call_context",
    "inside_llm_call",
    "stream_manager_call",
    "sync_call",
    "unwrap_rows",
    "wrap_rows",
]

_log = logging.getLogger(__name__)
_INSIDE_KEY = otel_context.create_key("otel_llm.inside_call")
# The keys OpenTelemetry's ``suppress_instrumentation()`` sets: the context's own, and the plain
# string older instrumentations read. ``is_instrumentation_enabled`` checks both; they are read here
# from the one context read per call instead. The first is private: an API without it is asked
# through that public function.
try:
    from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY as _SUPPRESS_KEY
except ImportError:  # pragma: no cover - every opentelemetry-api this package accepts has it
    _SUPPRESS_KEY = None
_SUPPRESS_KEY_PLAIN = "suppress_instrumentation"

Wrapper = Callable[[Any, Any, tuple[Any, ...], dict[str, Any]], Any]
WrapperFactory = Callable[[Telemetry], Wrapper]


class CallHandler:
    """What an SDK module supplies for one kind of call; see the module docstring."""

    def begin(
        self, telemetry: Telemetry, instance: Any, kwargs: dict[str, Any]
    ) -> tuple[LLMCall | None, dict[str, Any]]:
        raise NotImplementedError

    def complete(self, call: LLMCall, result: Any) -> tuple[Any, bool]:
        raise NotImplementedError


class RequestHandler(CallHandler):
    """A handler whose ``begin`` is the usual one, written once: name the endpoint, start the
    call with the request's attributes, keep the kwargs in ``call.state``, record the prompt when
    content capture is on. A subclass supplies ``operation`` and the three readers."""

    operation: str

    def endpoint(self, instance: Any, kwargs: Mapping[str, Any]) -> ClientEndpoint:
        raise NotImplementedError

    def request_attributes(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def request_content(self, kwargs: Mapping[str, Any]) -> tuple[list[Part], list[Message]]:
        """(system instructions, input messages); called only when content capture is on."""
        raise NotImplementedError

    def request_parts(self, kwargs: Mapping[str, Any]) -> RequestParts:
        """The request's parts for its shape (fingerprints, sizes; never content): an OpenAI-style
        chat request unless the subclass knows better."""
        return chat_request_parts(kwargs)

    def begin(
        self, telemetry: Telemetry, instance: Any, kwargs: dict[str, Any]
    ) -> tuple[LLMCall | None, dict[str, Any]]:
        provider, host, port = self.endpoint(instance, kwargs)
        model = kwargs.get("model")
        call = telemetry.start_call(
            operation=self.operation,
            provider=provider,
            request_model=model if isinstance(model, str) else None,
            attributes=self.request_attributes(kwargs),
            server_address=host,
            server_port=port,
            request=self.request_parts(kwargs),
        )
        if call is None:
            return None, kwargs
        call.state = kwargs
        if telemetry.content.enabled:
            system, inputs = self.request_content(kwargs)
            telemetry.content.record(call.span, input_messages=inputs, system_instructions=system)
        return call, kwargs


@dataclass(frozen=True)
class Row:
    module: str
    target: str  # "Class.method"
    factory: WrapperFactory


@dataclass(frozen=True)
class WrappedRow:
    owner: Any
    attribute: str
    original: Any
    wrapper: Any


def inside_llm_call() -> bool:
    """True inside the SDK call of one of our spans: nested calls of ours are not traced again."""
    return bool(otel_context.get_value(_INSIDE_KEY))


def _should_trace(context: otel_context.Context | None = None) -> bool:
    """Not when instrumentation is suppressed, inside one of our calls, or inside another
    project's inference span that asked the layers below to stay silent (``_nesting``).
    ``context``: the current context when the caller has read it already (read once per call)."""
    if context is None:
        context = otel_context.get_current()
    if _SUPPRESS_KEY is None:
        if not is_instrumentation_enabled():
            return False
    elif context.get(_SUPPRESS_KEY) or context.get(_SUPPRESS_KEY_PLAIN):
        return False
    return not (context.get(_INSIDE_KEY) or context.get(OPENLLMETRY_SUPPRESS_KEY))


def _context_of(call: LLMCall, context: otel_context.Context | None = None) -> otel_context.Context:
    """``context`` (default: the current one) with the call's span and both "inside" marks: two
    copies of it where ``set_value`` per key would make three (a context is an immutable dict)."""
    if context is None:
        context = otel_context.get_current()
    marked = otel_context.Context({**context, _INSIDE_KEY: True, OPENLLMETRY_SUPPRESS_KEY: True})
    return trace.set_span_in_context(call.span, marked)


@contextmanager
def call_context(call: LLMCall) -> Iterator[None]:
    """The call's context for SDK work done after the wrapped method returned.

    A stream manager (anthropic ``messages.stream()``) sends its request only on ``__enter__``;
    running that inside this block makes the call's span current (HTTP spans nest under it) and
    marks the context as inside our call, exactly as during the wrapped method itself.
    """
    token = otel_context.attach(_context_of(call))
    try:
        yield
    finally:
        _detach(token)


def _begin(
    handler: CallHandler, telemetry: Telemetry, instance: Any, kwargs: dict[str, Any]
) -> tuple[LLMCall | None, dict[str, Any], object | None]:
    """Start the call (unless ``_should_trace`` says no) and make its context current;
    (None, kwargs, None): call through untraced. The current context is read once for both."""
    try:
        context = otel_context.get_current()
        if not _should_trace(context):
            return None, kwargs, None
        call, call_kwargs = handler.begin(telemetry, instance, kwargs)
        if call is None:
            return None, kwargs, None
        return call, call_kwargs, otel_context.attach(_context_of(call, context))
    except Exception as exc:
        report_bug(f"{type(handler).__name__}.begin", exc)
        return None, kwargs, None


def _detach(token: object) -> None:
    try:
        otel_context.detach(token)  # type: ignore[arg-type]
    except Exception as exc:
        report_bug("wrapping.detach", exc)


def _observe(call: LLMCall, kwargs: dict[str, Any]) -> None:
    """Show the call to the registered observers before anything is sent.

    Runs inside the wrapper's ``try`` on purpose: an observer's refusal (an enforced budget's
    ``BudgetExceeded``, documented) is the one exception that reaches the user from our side, so
    it marks the span failed and is re-raised before the request goes out.
    """
    call.observed = _observers.notify_before_request(call.tags, call.request_model, call.provider, kwargs)


def _fail(call: LLMCall, exc: BaseException) -> None:
    call.record_error(exc)
    call.end()


def _complete(handler: CallHandler, call: LLMCall, result: Any) -> Any:
    try:
        value, owned = handler.complete(call, result)
    except Exception as exc:
        report_bug(f"{type(handler).__name__}.complete", exc)
        call.end()
        return result
    if not owned:
        call.end()
    return value


def sync_call(handler: CallHandler) -> WrapperFactory:
    def factory(telemetry: Telemetry) -> Wrapper:
        def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            if not telemetry.active:
                return wrapped(*args, **kwargs)
            call, call_kwargs, token = _begin(handler, telemetry, instance, kwargs)
            if call is None:
                return wrapped(*args, **kwargs)
            try:
                if _observers._registered:  # one attribute read when no observer is registered
                    _observe(call, call_kwargs)
                result = wrapped(*args, **call_kwargs)
            except BaseException as exc:
                _fail(call, exc)
                raise
            finally:
                _detach(token)
            return _complete(handler, call, result)

        return wrapper

    return factory


def async_call(handler: CallHandler) -> WrapperFactory:
    def factory(telemetry: Telemetry) -> Wrapper:
        async def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            if not telemetry.active:
                return await wrapped(*args, **kwargs)
            call, call_kwargs, token = _begin(handler, telemetry, instance, kwargs)
            if call is None:
                return await wrapped(*args, **kwargs)
            try:
                if _observers._registered:  # one attribute read when no observer is registered
                    _observe(call, call_kwargs)
                result = await wrapped(*args, **call_kwargs)
            except BaseException as exc:
                _fail(call, exc)
                raise
            finally:
                _detach(token)
            return _complete(handler, call, result)

        return wrapper

    return factory


def stream_manager_call() -> WrapperFactory:
    """For helpers returning a stream manager that calls a wrapped method on ``__enter__``.

    No span of its own: the wrapped method it calls makes the span; see ``CreateOnEnterManagerProxy``.
    """

    def factory(telemetry: Telemetry) -> Wrapper:
        def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            manager = wrapped(*args, **kwargs)
            if not telemetry.active or not _should_trace():
                return manager
            return CreateOnEnterManagerProxy(manager)

        return wrapper

    return factory


def _resolve(row: Row) -> tuple[Any, str] | None:
    try:
        owner: Any = importlib.import_module(row.module)
    except ImportError:
        _log.debug("otel-llm: module %s not installed; skipping %s", row.module, row.target)
        return None
    *path, attribute = row.target.split(".")
    for name in path:
        owner = getattr(owner, name, None)
        if owner is None:
            break
    if owner is None or not hasattr(owner, attribute):
        _log.debug("otel-llm: %s.%s not in this SDK version; skipping", row.module, row.target)
        return None
    return owner, attribute


def wrap_rows(rows: Iterable[Row], telemetry: Telemetry) -> list[WrappedRow]:
    done: list[WrappedRow] = []
    for row in rows:
        try:
            resolved = _resolve(row)
            if resolved is None:
                continue
            owner, attribute = resolved
            original = owner.__dict__.get(attribute, getattr(owner, attribute))
            wrapt.wrap_function_wrapper(owner, attribute, row.factory(telemetry))
            done.append(WrappedRow(owner, attribute, original, owner.__dict__.get(attribute)))
        except Exception as exc:
            report_bug(f"wrap {row.module}:{row.target}", exc)
    return done


def unwrap_rows(wrapped: Iterable[WrappedRow]) -> None:
    """Restore exactly what ``wrap_rows`` replaced.

    If another instrumentor wrapped the same method after us, its wrapper sits on top of ours;
    restoring the original would silently remove it, so that method is left as is (logged), and
    our wrapper inside it calls straight through because the instrumentor sets
    ``telemetry.active = False``.
    """
    for row in wrapped:
        current = row.owner.__dict__.get(row.attribute)
        if current is row.wrapper:
            setattr(row.owner, row.attribute, row.original)
        else:
            _log.warning(
                "otel-llm: %s.%s was re-wrapped by another instrumentation; leaving it in place",
                getattr(row.owner, "__name__", row.owner),
                row.attribute,
            )
