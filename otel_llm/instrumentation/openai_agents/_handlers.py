"""The wrappers: a model scope around each model call of an agent run.

``Model.get_response`` / ``stream_response`` of the SDK's OpenAI models are where a run's request
leaves the SDK (through the openai SDK, whose span otel-llm makes and this scope names). When no
span of ours counted the request (the openai instrumentor switched off, the websocket transport),
the call's own span is made from the usage the SDK reports.
"""

from __future__ import annotations

from typing import Any

from otel_llm import semconv
from otel_llm.instrumentation._framework import (
    FrameworkSettings,
    Invocation,
    acall_within,
    aiterate_within,
    emit_reported_call,
)
from otel_llm.instrumentation._guard import report_bug
from otel_llm.instrumentation._lifecycle import Telemetry
from otel_llm.instrumentation._providers import client_endpoint
from otel_llm.instrumentation._wrapping import Wrapper, WrapperFactory
from otel_llm.instrumentation.openai_agents._extract import current_agent, usage_of

__all__ = ["get_response_call", "stream_response_call"]


def _open(settings: FrameworkSettings) -> Invocation | None:
    try:
        agent = current_agent()
        return Invocation(settings.scope_attributes(agent, **{semconv.GEN_AI_AGENT_NAME: agent or ""}))
    except Exception as exc:
        report_bug("openai_agents.open", exc)
        return None


def _settle(
    telemetry: Telemetry, invocation: Invocation, model: Any, response: Any, error: BaseException | None
) -> None:
    """The call's own span, only when no provider span of ours counted its request."""
    if not invocation.needs_own_span or not telemetry.active:
        return
    try:
        client = getattr(model, "_client", None)
        provider = client_endpoint(client, semconv.PROVIDER_OPENAI).provider if client else semconv.PROVIDER_OPENAI
        name = getattr(model, "model", None)
        attrs: dict[str, Any] = {}
        response_model = getattr(response, "model", None)
        if isinstance(response_model, str):
            attrs[semconv.GEN_AI_RESPONSE_MODEL] = response_model
        response_id = getattr(response, "response_id", None) or getattr(response, "id", None)
        if isinstance(response_id, str):
            attrs[semconv.GEN_AI_RESPONSE_ID] = response_id
        emit_reported_call(
            telemetry,
            invocation,
            provider=provider,
            request_model=name if isinstance(name, str) else None,
            response_attributes=attrs,
            usage=usage_of(getattr(response, "usage", None)),
            error=error,
        )
    except Exception as exc:
        report_bug("openai_agents.settle", exc)


def get_response_call(settings: FrameworkSettings) -> WrapperFactory:
    def factory(telemetry: Telemetry) -> Wrapper:
        def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            invocation = _open(settings) if telemetry.active and Invocation.may_open() else None
            if invocation is None:
                return wrapped(*args, **kwargs)

            def settle(response: Any, error: BaseException | None) -> None:
                _settle(telemetry, invocation, instance, response, error)

            return acall_within(invocation, settle, wrapped, *args, **kwargs)

        return wrapper

    return factory


class _Completed:
    """The stream's ``response.completed`` event carries the final response and its usage."""

    __slots__ = ("response",)

    def __init__(self) -> None:
        self.response: Any = None

    def see(self, event: Any) -> None:
        if getattr(event, "type", None) == "response.completed":
            self.response = getattr(event, "response", None)


def stream_response_call(settings: FrameworkSettings) -> WrapperFactory:
    def factory(telemetry: Telemetry) -> Wrapper:
        def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            invocation = _open(settings) if telemetry.active and Invocation.may_open() else None
            if invocation is None:
                return wrapped(*args, **kwargs)
            completed = _Completed()

            def on_end(error: BaseException | None) -> None:
                _settle(telemetry, invocation, instance, completed.response, error)

            return aiterate_within(invocation.entered, wrapped(*args, **kwargs), completed.see, on_end)

        return wrapper

    return factory
