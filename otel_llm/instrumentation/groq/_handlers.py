"""The groq call handler: ``chat.completions.create``, plain, streamed or raw, sync and async.

The groq SDK is generated like openai's (Stainless): same request arguments, same response and
chunk shapes, same ``with_raw_response`` mechanism. So it is the OpenAI-shape handler; what is
Groq's own is the provider default, the SDK's stream classes and where a stream's usage is
(``_streams``). This module imports ``groq``, so the package ``__init__`` imports it only when
instrumenting.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import groq

from otel_llm import semconv
from otel_llm.instrumentation._lifecycle import LLMCall
from otel_llm.instrumentation._providers import ClientEndpoint, client_endpoint
from otel_llm.instrumentation._raw import is_raw_response, raw_response_proxy
from otel_llm.instrumentation._stream import AsyncStreamProxy, SyncStreamProxy
from otel_llm.instrumentation.groq._streams import GroqChunkRecorder
from otel_llm.instrumentation.openai._shape import OpenAIShapeHandler

__all__ = ["ChatHandler"]


class ChatHandler(OpenAIShapeHandler):
    operation = semconv.OP_CHAT

    def endpoint(self, instance: Any, kwargs: Mapping[str, Any]) -> ClientEndpoint:
        return client_endpoint(getattr(instance, "_client", None), semconv.PROVIDER_GROQ)

    def complete(self, call: LLMCall, result: Any) -> tuple[Any, bool]:
        if is_raw_response(result):  # with_raw_response / with_streaming_response
            return raw_response_proxy(result, call, self._complete_parsed), True
        return self._complete_parsed(call, result)

    def _complete_parsed(self, call: LLMCall, result: Any) -> tuple[Any, bool]:
        if isinstance(result, groq.Stream):
            return SyncStreamProxy(result, self._recorder(call)), True
        if isinstance(result, groq.AsyncStream):
            return AsyncStreamProxy(result, self._recorder(call)), True
        return self.record(call, result)

    def _recorder(self, call: LLMCall) -> GroqChunkRecorder:
        return GroqChunkRecorder(call, call.telemetry.content, call.state, hide_usage_chunk=False)
