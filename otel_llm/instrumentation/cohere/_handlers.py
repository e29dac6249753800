"""The cohere call handler: chat (v2 and v1), ``chat_stream`` and v2 ``embed``, sync and async.

``chat_stream`` is a generator function (an async generator on the async client): calling it
returns the stream at once and the request goes out on the first iteration, so the wrap table
wraps it with ``sync_call`` for both clients and this handler hands back a stream proxy; an HTTP
error (after the SDK's own retries) then surfaces from that first iteration and is recorded on
the call's span by the proxy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from otel_llm import semconv
from otel_llm.instrumentation._content import Message, Part
from otel_llm.instrumentation._lifecycle import LLMCall
from otel_llm.instrumentation._providers import ClientEndpoint
from otel_llm.instrumentation._stream import AsyncStreamProxy, SyncStreamProxy
from otel_llm.instrumentation._wrapping import RequestHandler
from otel_llm.instrumentation.cohere._extract import (
    endpoint,
    request_attributes,
    response_attributes,
    usage_from_response,
)
from otel_llm.instrumentation.cohere._messages import request_content, response_content
from otel_llm.instrumentation.cohere._streams import ChatEventRecorder

__all__ = ["CHAT", "CHAT_STREAM", "EMBED", "CohereHandler"]


@dataclass(frozen=True)
class CohereHandler(RequestHandler):
    operation: str
    streaming: bool = False

    def endpoint(self, instance: Any, kwargs: Mapping[str, Any]) -> ClientEndpoint:
        return endpoint(instance)

    def request_attributes(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        return request_attributes(kwargs, streaming=self.streaming)

    def request_content(self, kwargs: Mapping[str, Any]) -> tuple[list[Part], list[Message]]:
        return request_content(kwargs)

    def complete(self, call: LLMCall, result: Any) -> tuple[Any, bool]:
        if self.streaming:
            proxy_type = AsyncStreamProxy if hasattr(result, "__aiter__") else SyncStreamProxy
            return proxy_type(result, ChatEventRecorder(call)), True
        call.record_response(response_attributes(result), usage_from_response(result))
        if call.telemetry.content.enabled:
            call.telemetry.content.record(call.span, output_messages=response_content(result))
        return result, False


CHAT = CohereHandler(semconv.OP_CHAT)
CHAT_STREAM = CohereHandler(semconv.OP_CHAT, streaming=True)
EMBED = CohereHandler(semconv.OP_EMBEDDINGS)
