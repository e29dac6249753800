"""The wrappers: a model scope around each chat model invocation, names around graphs and chains.

A chat model's request leaves LangChain in one of four places of ``BaseChatModel``, whatever the
integration: ``_generate_with_cache`` / ``_agenerate_with_cache`` (``invoke``, ``ainvoke``,
``batch``, ``generate``: once per request, after the response cache was consulted) and
``stream`` / ``astream``. Each becomes one :class:`~otel_llm.instrumentation._framework.Invocation`
whose scope the provider SDK's span (openai, anthropic, ...) picks up; when none did, the
invocation's own span is made from ``usage_metadata`` (``_extract``). A response replayed from
LangChain's cache (``_convert_cached_generations``) made no request and gets no span.

Callbacks could not do this: LangChain runs async callbacks in copied contexts, so a callback
cannot make a context variable current around the model's own work; a wrapper's ``with`` can.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from otel_llm.instrumentation._framework import (
    FrameworkSettings,
    Invocation,
    acall_within,
    aiterate_within,
    call_within,
    emit_reported_call,
    iterate_within,
)
from otel_llm.instrumentation._guard import report_bug
from otel_llm.instrumentation._lifecycle import Telemetry
from otel_llm.instrumentation._wrapping import Wrapper, WrapperFactory
from otel_llm.instrumentation.langchain._extract import (
    add_usage,
    provider_name,
    response_attributes,
    usage_of,
    workflow_name,
)
from otel_llm.instrumentation.langchain._workflow import chain_named, current_names, graph_named

__all__ = [
    "agenerate_call",
    "astream_call",
    "cache_replay",
    "chain_call",
    "chain_stream",
    "generate_call",
    "graph_stream",
    "stream_call",
]

_NOT_MODEL_KWARGS = ("run_manager", "config")


class _Reported:
    """What the model reported for one request: usage (chunk deltas added up) and response metadata."""

    __slots__ = ("message_id", "response", "usage")

    def __init__(self) -> None:
        self.usage: Mapping[str, Any] | None = None
        self.response: dict[str, Any] = {}
        self.message_id: object = None

    def add(self, message: Any) -> None:
        self.usage = add_usage(self.usage, getattr(message, "usage_metadata", None))
        metadata = getattr(message, "response_metadata", None)
        if isinstance(metadata, Mapping):
            self.response.update((key, value) for key, value in metadata.items() if value)
        self.message_id = self.message_id or getattr(message, "id", None)

    def add_result(self, result: Any) -> _Reported:
        generations = getattr(result, "generations", None)
        if generations:  # n > 1 choices share one request: its usage is on the first message
            self.add(getattr(generations[0], "message", None))
        return self


def _open(settings: FrameworkSettings, metadata: Callable[[], Mapping[str, Any] | None]) -> Invocation | None:
    try:
        graph, chain = current_names()
        return Invocation(settings.scope_attributes(workflow_name(graph, chain, metadata())))
    except Exception as exc:
        report_bug("langchain.open", exc)
        return None


def _settle(
    telemetry: Telemetry,
    invocation: Invocation,
    model: Any,
    kwargs: Mapping[str, Any],
    reported: _Reported | None,
    error: BaseException | None,
) -> None:
    """The invocation's own span, only when no provider span of ours counted its request."""
    if not invocation.needs_own_span or not telemetry.active:
        return
    try:
        params = model._get_ls_params(**{k: v for k, v in kwargs.items() if k not in _NOT_MODEL_KWARGS})
        reported = reported or _Reported()
        emit_reported_call(
            telemetry,
            invocation,
            provider=provider_name(params.get("ls_provider")),
            request_model=params.get("ls_model_name"),
            response_attributes=response_attributes(reported.response, reported.message_id),
            usage=usage_of(reported.usage),
            error=error,
        )
    except Exception as exc:
        report_bug("langchain.settle", exc)


def _run_metadata(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """``_generate_with_cache(messages, stop, run_manager)``: the LLM run's metadata (LangGraph's included)."""
    run_manager = kwargs.get("run_manager", args[2] if len(args) > 2 else None)
    return getattr(run_manager, "metadata", None)


def _config_metadata(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """``stream(input, config)``: the config's metadata, the running node's when none is passed."""
    from langchain_core.runnables.config import ensure_config

    config = kwargs.get("config", args[1] if len(args) > 1 else None)
    return ensure_config(config).get("metadata")


def _generate_factory(settings: FrameworkSettings, call: Callable[..., Any]) -> WrapperFactory:
    def factory(telemetry: Telemetry) -> Wrapper:
        def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            invocation = None
            if telemetry.active and Invocation.may_open():
                invocation = _open(settings, partial(_run_metadata, args, kwargs))
            if invocation is None:
                return wrapped(*args, **kwargs)

            def settle(result: Any, error: BaseException | None) -> None:
                reported = None if result is None else _Reported().add_result(result)
                _settle(telemetry, invocation, instance, kwargs, reported, error)

            return call(invocation, settle, wrapped, *args, **kwargs)

        return wrapper

    return factory


def generate_call(settings: FrameworkSettings) -> WrapperFactory:
    """``_generate_with_cache``: a coroutine-free call, settled when it returns."""
    return _generate_factory(settings, call_within)


def agenerate_call(settings: FrameworkSettings) -> WrapperFactory:
    """``_agenerate_with_cache``: the wrapper returns the coroutine of :func:`acall_within`."""
    return _generate_factory(settings, acall_within)


def _stream_factory(settings: FrameworkSettings, iterate: Callable[..., Any]) -> WrapperFactory:
    def factory(telemetry: Telemetry) -> Wrapper:
        def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            if not telemetry.active or not Invocation.may_open():
                return wrapped(*args, **kwargs)
            invocation = _open(settings, partial(_config_metadata, args, kwargs))
            if invocation is None:
                return wrapped(*args, **kwargs)
            reported = _Reported()

            def on_end(error: BaseException | None) -> None:
                _settle(telemetry, invocation, instance, kwargs, reported, error)

            return iterate(invocation.entered, wrapped(*args, **kwargs), reported.add, on_end)

        return wrapper

    return factory


def stream_call(settings: FrameworkSettings) -> WrapperFactory:
    return _stream_factory(settings, iterate_within)


def astream_call(settings: FrameworkSettings) -> WrapperFactory:
    return _stream_factory(settings, aiterate_within)


def cache_replay() -> WrapperFactory:
    """``_convert_cached_generations``: the invocation was answered from LangChain's cache."""

    def factory(telemetry: Telemetry) -> Wrapper:
        def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            invocation = Invocation.current()
            if invocation is not None:
                invocation.replayed = True
            return wrapped(*args, **kwargs)

        return wrapper

    return factory


def _run_name(args: tuple[Any, ...], kwargs: Mapping[str, Any], instance: Any) -> str | None:
    config = kwargs.get("config", args[1] if len(args) > 1 else None)
    name = config.get("run_name") if isinstance(config, Mapping) else None
    name = name or getattr(instance, "name", None)
    return name if isinstance(name, str) and name else None


def _within(enter: Callable[[], Any], wrapped: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    with enter():
        return wrapped(*args, **kwargs)


async def _awithin(enter: Callable[[], Any], wrapped: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    with enter():
        return await wrapped(*args, **kwargs)


def _stepped(enter: Callable[[], Any], wrapped: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return iterate_within(enter, wrapped(*args, **kwargs))


def _astepped(enter: Callable[[], Any], wrapped: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return aiterate_within(enter, wrapped(*args, **kwargs))


def _named_factory(naming: Callable[[str], Any], run: Callable[..., Any]) -> WrapperFactory:
    """A graph's or a named chain's entry point: its name is current while it works (``run`` is
    one of the four runners above: a call, a coroutine, a stream, an async stream)."""

    def factory(telemetry: Telemetry) -> Wrapper:
        def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            name = _run_name(args, kwargs, instance) if telemetry.active else None
            if name is None:
                return wrapped(*args, **kwargs)
            return run(partial(naming, name), wrapped, args, kwargs)

        return wrapper

    return factory


def graph_stream(is_async: bool) -> WrapperFactory:
    """``Pregel.stream`` / ``astream`` (``invoke`` / ``ainvoke`` run through them)."""
    return _named_factory(graph_named, _astepped if is_async else _stepped)


def chain_call(is_async: bool) -> WrapperFactory:
    """``RunnableSequence.invoke`` / ``ainvoke`` of a chain given a name."""
    return _named_factory(chain_named, _awithin if is_async else _within)


def chain_stream(is_async: bool) -> WrapperFactory:
    """``RunnableSequence.transform`` / ``atransform`` (``stream`` / ``astream`` run through them)."""
    return _named_factory(chain_named, _astepped if is_async else _stepped)
