"""The LiteLLM call handler: one span for ``completion``, ``embedding`` and ``text_completion``.

The span is the call LiteLLM makes to one provider: LiteLLM's routing names the provider, its
normalized response carries the usage, and while LiteLLM runs, the context is marked as inside
our call (``_wrapping``), so the openai SDK that LiteLLM drives underneath, even instrumented,
calls straight through: one usage-carrying span per provider request. Sync and async share this
handler; ``asynchronous`` only picks the stream proxy. This module imports ``litellm``, so the
package ``__init__`` imports it only when instrumenting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from litellm.main import CustomStreamWrapper, TextCompletionStreamWrapper  # where every version has both

from otel_llm import semconv
from otel_llm.instrumentation._lifecycle import LLMCall, Telemetry
from otel_llm.instrumentation._stream import AsyncStreamProxy, SyncStreamProxy
from otel_llm.instrumentation._wrapping import CallHandler
from otel_llm.instrumentation.litellm._extract import (
    answers_without_request,
    hashed_request,
    reported_cost,
    route_of,
    served_from_cache,
    stream_usage_asked,
    usage_from_litellm,
)
from otel_llm.instrumentation.litellm._streams import LiteLLMStreamRecorder
from otel_llm.instrumentation.openai._extract import request_attributes, response_attributes
from otel_llm.instrumentation.openai._messages import request_content, response_content

__all__ = ["LiteLLMHandler"]

_STREAMS = (CustomStreamWrapper, TextCompletionStreamWrapper)


class _Request(NamedTuple):
    """What ``complete`` needs from ``begin``: the user's kwargs, and whether we asked for stream usage
    (the usage-only chunk LiteLLM then adds is ours, hidden from the user's code)."""

    kwargs: dict[str, Any]
    usage_asked: bool


@dataclass(frozen=True)
class LiteLLMHandler(CallHandler):
    operation: str
    asynchronous: bool = False

    def begin(
        self, telemetry: Telemetry, instance: Any, kwargs: dict[str, Any]
    ) -> tuple[LLMCall | None, dict[str, Any]]:
        if answers_without_request(kwargs):
            return None, kwargs
        model = kwargs.get("model")
        base = kwargs.get("api_base") or kwargs.get("base_url") or kwargs.get("aws_bedrock_runtime_endpoint")
        route = route_of(model, kwargs.get("custom_llm_provider"), base)
        call = telemetry.start_call(
            operation=self.operation,
            provider=route.provider,
            request_model=model if isinstance(model, str) else None,
            attributes=request_attributes(kwargs),
            server_address=route.host,
            server_port=route.port,
            request=hashed_request(kwargs, route.provider),
        )
        if call is None:
            return None, kwargs
        asked = stream_usage_asked(kwargs, route.provider)
        call.state = _Request(kwargs, asked is not None)
        if telemetry.content.enabled and self.operation != semconv.OP_EMBEDDINGS:
            system, inputs = request_content(kwargs)
            telemetry.content.record(call.span, input_messages=inputs, system_instructions=system)
        return call, kwargs if asked is None else asked

    def complete(self, call: LLMCall, result: Any) -> tuple[Any, bool]:
        if isinstance(result, _STREAMS):
            request: _Request = call.state
            recorder = LiteLLMStreamRecorder(
                call, call.telemetry.content, request.kwargs, hide_usage_chunk=request.usage_asked
            )
            proxy = AsyncStreamProxy if self.asynchronous else SyncStreamProxy
            return proxy(result, recorder), True
        attributes = response_attributes(result)
        if served_from_cache(result):  # the cached response repeats usage that was billed once already
            attributes[semconv.OTEL_LLM_GATEWAY_CACHE_HIT] = True
            call.record_response(attributes, None)
            return result, False
        cost = reported_cost(result)
        if cost is not None:
            attributes[semconv.OTEL_LLM_COST_REPORTED_USD] = cost
        call.record_response(attributes, usage_from_litellm(getattr(result, "usage", None)))
        content = call.telemetry.content
        if content.enabled and self.operation != semconv.OP_EMBEDDINGS:
            content.record(call.span, output_messages=response_content(result))
        return result, False
