"""The mistralai call handler: chat (complete or stream) and embeddings, sync and async.

Mistral's bodies are OpenAI's shape, so the handler is the OpenAI-shape one with Mistral's
endpoint, request names and event stream. The wrap table picks the operation and whether the
method streams. ``chat.parse``/``parse_stream`` call ``complete``/``stream`` on the same object,
so they are traced by those rows, once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from otel_llm import semconv
from otel_llm.instrumentation._lifecycle import LLMCall
from otel_llm.instrumentation._providers import ClientEndpoint
from otel_llm.instrumentation._stream import AsyncStreamProxy, SyncStreamProxy
from otel_llm.instrumentation.mistralai._extract import endpoint, request_attributes
from otel_llm.instrumentation.mistralai._streams import CompletionEventRecorder
from otel_llm.instrumentation.openai._shape import OpenAIShapeHandler

__all__ = ["CHAT", "CHAT_STREAM", "EMBEDDINGS", "MistralHandler"]


@dataclass(frozen=True)
class MistralHandler(OpenAIShapeHandler):
    operation: str
    streaming: bool = False

    def endpoint(self, instance: Any, kwargs: Mapping[str, Any]) -> ClientEndpoint:
        return endpoint(instance, kwargs)

    def request_attributes(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        return request_attributes(kwargs, streaming=self.streaming)

    def complete(self, call: LLMCall, result: Any) -> tuple[Any, bool]:
        if not self.streaming:
            return self.record(call, result)
        recorder = CompletionEventRecorder(call, call.telemetry.content, call.state, hide_usage_chunk=False)
        proxy_type = AsyncStreamProxy if hasattr(result, "__aiter__") else SyncStreamProxy
        return proxy_type(result, recorder), True


CHAT = MistralHandler(semconv.OP_CHAT)
CHAT_STREAM = MistralHandler(semconv.OP_CHAT, streaming=True)
EMBEDDINGS = MistralHandler(semconv.OP_EMBEDDINGS)
