"""What the framework instrumentations (LangChain/LangGraph, the OpenAI Agents SDK) share.

A framework is not an inference span (``_nesting`` has the rule): around each model invocation it
opens an :class:`Invocation`, whose model scope names the work (``otel_llm.workflow``: the graph
node, chain or agent) on every provider span we trace inside. When the invocation ends and no
provider SDK of ours traced a call in it (a chat model built on an SDK we do not wrap, or an
instrumentor switched off), :func:`emit_reported_call` makes the ONE span of that request from
the usage the framework itself reports, backdated to the invocation's start.

:class:`FrameworkInstrumentor` wraps a framework's methods when the app imports the framework, not
at ``instrument()``: importing LangChain, LangGraph or the Agents SDK takes seconds, and an app that
has them installed but does not use them must not pay that under ``opentelemetry-instrument``.

Streams are stepped: :func:`iterate_within` pulls each item inside the scope and yields it outside,
so the scope covers the model's own work and never the consumer's loop body (a context variable
set across a generator's ``yield`` would leak into the caller, and could not be reset there).
"""

from __future__ import annotations

import contextvars
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import wrapt

from otel_llm import semconv
from otel_llm._env import env_bool
from otel_llm.instrumentation._guard import report_bug
from otel_llm.instrumentation._instrumentor import LLMInstrumentor
from otel_llm.instrumentation._lifecycle import Telemetry
from otel_llm.instrumentation._nesting import ModelScope, entered_scope, new_model_scope
from otel_llm.instrumentation._wrapping import Row, wrap_rows
from otel_llm.instrumentation._wrapping import _should_trace as tracing_allowed  # see Invocation.may_open
from otel_llm.usage import Usage

__all__ = [
    "FrameworkInstrumentor",
    "FrameworkSettings",
    "Invocation",
    "acall_within",
    "aiterate_within",
    "call_within",
    "emit_reported_call",
    "iterate_within",
    "tracing_allowed",
]

T = TypeVar("T")
Enter = Callable[[], AbstractContextManager[Any]]

# The framework invocation in progress: a nested one (LangChain's stream falling back to invoke,
# a chat model delegating to another) calls straight through, so one scope counts the request.
_current: contextvars.ContextVar[Invocation | None] = contextvars.ContextVar("otel_llm_invocation", default=None)


@dataclass(frozen=True)
class FrameworkSettings:
    """Read once at ``instrument()``: whether the workflow name is also the call's feature."""

    feature_from_workflow: bool = False

    @classmethod
    def from_env(cls) -> FrameworkSettings:
        return cls(feature_from_workflow=env_bool(semconv.ENV_FEATURE_FROM_WORKFLOW, False))

    def scope_attributes(self, workflow: str | None, **extra: str) -> dict[str, str]:
        """``otel_llm.workflow`` (and, when asked, the feature: the app's own tag still wins over
        it, and it wins over ``OTEL_LLM_DEFAULT_FEATURE``; see ``context.current_tag_attributes``)."""
        attrs = {key: value for key, value in extra.items() if value}
        if workflow:
            attrs[semconv.OTEL_LLM_WORKFLOW] = workflow
            if self.feature_from_workflow:
                attrs[semconv.OTEL_LLM_FEATURE] = workflow
        return attrs


class FrameworkInstrumentor(LLMInstrumentor):
    """An instrumentor whose rows are wrapped when their module is first imported.

    A subclass supplies ``framework_rows(settings)``. Rows of modules already imported are wrapped
    at once; for the others a post-import hook wraps them on import. Hooks cannot be removed, so
    each ``instrument()`` has its own epoch and a hook of an earlier one (or after
    ``uninstrument()``) does nothing.
    """

    def framework_rows(self, settings: FrameworkSettings) -> Iterable[Row]:
        raise NotImplementedError

    def wrap_table(self, **kwargs: Any) -> Iterable[Row]:
        epoch = self._epoch = object()
        ready: list[Row] = []
        later: dict[str, list[Row]] = {}
        for row in self.framework_rows(FrameworkSettings.from_env()):
            if row.module in sys.modules:
                ready.append(row)
            else:
                later.setdefault(row.module, []).append(row)
        for module, rows in later.items():
            wrapt.register_post_import_hook(partial(self._wrap_on_import, epoch, rows), module)
        return ready

    def _wrap_on_import(self, epoch: object, rows: list[Row], module: Any) -> None:
        telemetry = self.telemetry
        if epoch is not getattr(self, "_epoch", None) or telemetry is None:
            return
        try:
            self._wrapped.extend(wrap_rows(rows, telemetry))
        except Exception as exc:
            report_bug("framework.wrap_on_import", exc)

    def _uninstrument(self, **kwargs: Any) -> None:
        self._epoch = None
        super()._uninstrument(**kwargs)


class Invocation:
    """One framework model invocation: its scope, its start, and whether it made no request."""

    __slots__ = ("replayed", "scope", "start_ns")

    def __init__(self, attributes: Mapping[str, str]) -> None:
        self.scope: ModelScope = new_model_scope(attributes)
        self.start_ns = time.time_ns()
        # Answered from the framework's own response cache: no provider request, nothing to count.
        self.replayed = False

    @staticmethod
    def current() -> Invocation | None:
        return _current.get()

    @staticmethod
    def may_open() -> bool:
        """False inside another invocation of ours, or where no span of ours may be made: the
        provider wrappers' own test (suppressed, inside a call of ours, under another project's
        inference span), since a framework that would emit its own span must stay silent then too."""
        return _current.get() is None and tracing_allowed()

    @contextmanager
    def entered(self) -> Iterator[Invocation]:
        token = _current.set(self)
        try:
            with entered_scope(self.scope):
                yield self
        finally:
            _current.reset(token)

    @property
    def needs_own_span(self) -> bool:
        """No provider SDK of ours traced a request in it, and it was not a cache replay."""
        return self.scope.traced_calls == 0 and not self.replayed


def emit_reported_call(
    telemetry: Telemetry,
    invocation: Invocation,
    *,
    provider: str,
    request_model: str | None,
    response_attributes: Mapping[str, Any],
    usage: Usage | None,
    error: BaseException | None,
) -> None:
    """The one span of a request no provider SDK of ours saw, from the framework's reported usage.

    Started inside the invocation's scope (so it carries the workflow and the tags exactly as a
    provider span would) and backdated to the invocation's start.
    """
    with invocation.entered():
        call = telemetry.start_call(
            operation=semconv.OP_CHAT,
            provider=provider,
            request_model=request_model,
            attributes={},
            start_time_ns=invocation.start_ns,
        )
    if call is None:
        return
    if error is not None:
        call.record_error(error)
    else:
        call.record_response(response_attributes, usage)
    call.end()


Settle = Callable[[Any, BaseException | None], None]


def call_within(invocation: Invocation, settle: Settle, wrapped: Any, *args: Any, **kwargs: Any) -> Any:
    """Run the framework's model call inside the invocation; ``settle(result, error)`` after it
    (the framework's own span, if needed); the call's result or exception reaches the user untouched."""
    try:
        with invocation.entered():
            result = wrapped(*args, **kwargs)
    except BaseException as exc:
        settle(None, exc)
        raise
    settle(result, None)
    return result


async def acall_within(invocation: Invocation, settle: Settle, wrapped: Any, *args: Any, **kwargs: Any) -> Any:
    """:func:`call_within` for a coroutine."""
    try:
        with invocation.entered():
            result = await wrapped(*args, **kwargs)
    except BaseException as exc:
        settle(None, exc)
        raise
    settle(result, None)
    return result


def _close(iterator: Any) -> None:
    close = getattr(iterator, "close", None)
    if close is not None:
        close()


def iterate_within(
    enter: Enter,
    iterator: Iterator[T],
    on_item: Callable[[T], None] | None = None,
    on_end: Callable[[BaseException | None], None] | None = None,
) -> Iterator[T]:
    """``iterator``'s items, each pulled inside ``enter()``; ``on_end(error)`` once at the end
    (None when exhausted or closed early by the consumer). Closing this closes ``iterator``."""
    failure: BaseException | None = None
    try:
        while True:
            with enter():
                try:
                    item = next(iterator)
                except StopIteration:
                    return
            if on_item is not None:
                _observe(on_item, item)
            yield item
    except GeneratorExit:
        raise
    except BaseException as exc:
        failure = exc
        raise
    finally:
        with enter():
            _close(iterator)
        if on_end is not None:
            _finish(on_end, failure)


async def aiterate_within(
    enter: Enter,
    iterator: AsyncIterator[T],
    on_item: Callable[[T], None] | None = None,
    on_end: Callable[[BaseException | None], None] | None = None,
) -> AsyncIterator[T]:
    """:func:`iterate_within` for an async iterator."""
    failure: BaseException | None = None
    try:
        while True:
            with enter():
                try:
                    item = await iterator.__anext__()
                except StopAsyncIteration:
                    return
            if on_item is not None:
                _observe(on_item, item)
            yield item
    except GeneratorExit:
        raise
    except BaseException as exc:
        failure = exc
        raise
    finally:
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            with enter():
                await aclose()
        if on_end is not None:
            _finish(on_end, failure)


def _observe(on_item: Callable[[T], None], item: T) -> None:
    try:
        on_item(item)
    except Exception as exc:  # our bug must not break the user's stream
        report_bug("framework.stream_item", exc)


def _finish(on_end: Callable[[BaseException | None], None], failure: BaseException | None) -> None:
    try:
        on_end(failure)
    except Exception as exc:
        report_bug("framework.stream_end", exc)
