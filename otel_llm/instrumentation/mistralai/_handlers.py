"""The mistralai call handler: chat (complete or stream) and embeddings, sync and async.

The wrap table picks the operation and whether the method streams; everything else is the same
for every row. ``chat.parse``/``parse_stream`` call ``complete``/``stream`` on the same object,
so they are traced by those rows, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from otel_llm import semconv
from otel_llm.instrumentation._lifecycle import LLMCall, Telemetry
from otel_llm.instrumentation._stream import AsyncStreamProxy, SyncStreamProxy
from otel_llm.instrumentation._wrapping import CallHandler
from otel_llm.instrumentation.mistralai._extract import endpoint, request_attributes
from otel_llm.instrumentation.mistralai._streams import CompletionEventRecorder
from otel_llm.instrumentation.openai._extract import response_attributes, usage_from_response
from otel_llm.instrumentation.openai._messages import request_content, response_content

__all__ = ["MistralHandler"]


@dataclass(frozen=True)
class MistralHandler(CallHandler):
    operation: str
    streaming: bool = False

    def begin(
        self, telemetry: Telemetry, instance: Any, kwargs: dict[str, Any]
    ) -> tuple[LLMCall | None, dict[str, Any]]:
        provider, host, port = endpoint(instance, kwargs)
        model = kwargs.get("model")
        call = telemetry.start_call(
            operation=self.operation,
            provider=provider,
            request_model=model if isinstance(model, str) else None,
            attributes=request_attributes(kwargs, streaming=self.streaming),
            server_address=host,
            server_port=port,
        )
        if call is None:
            return None, kwargs
        call.state = kwargs
        if telemetry.content.enabled:
            system, inputs = request_content(kwargs)
            telemetry.content.record(call.span, input_messages=inputs, system_instructions=system)
        return call, kwargs

    def complete(self, call: LLMCall, result: Any) -> tuple[Any, bool]:
        if self.streaming:
            recorder = CompletionEventRecorder(call, call.telemetry.content, call.state, hide_usage_chunk=False)
            proxy_type = AsyncStreamProxy if hasattr(result, "__aiter__") else SyncStreamProxy
            return proxy_type(result, recorder), True
        call.record_response(response_attributes(result), usage_from_response(result))
        if call.telemetry.content.enabled:
            call.telemetry.content.record(call.span, output_messages=response_content(result))
        return result, False


CHAT = MistralHandler(semconv.OP_CHAT)
CHAT_STREAM = MistralHandler(semconv.OP_CHAT, streaming=True)
EMBEDDINGS = MistralHandler(semconv.OP_EMBEDDINGS)
