"""The two kinds of Anthropic call: a message (``create``/``parse``) and a stream helper (``stream``).

Both start the call the same way; they differ only in what the user gets back. Everything that
is the same for sync and async lives here once; the wrap table picks ``sync_call`` or
``async_call`` around the same handler.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from otel_llm import semconv
from otel_llm.instrumentation._lifecycle import LLMCall, Telemetry
from otel_llm.instrumentation._providers import client_endpoint
from otel_llm.instrumentation._raw import is_raw_response, raw_response_proxy
from otel_llm.instrumentation._stream import AsyncStreamProxy, SyncStreamProxy
from otel_llm.instrumentation._wrapping import CallHandler
from otel_llm.instrumentation.anthropic._extract import (
    request_attributes,
    request_parts,
    response_attributes,
    usage_from_message,
)
from otel_llm.instrumentation.anthropic._messages import request_content, response_content
from otel_llm.instrumentation.anthropic._streams import MessageEventRecorder, MessageStreamManagerProxy

__all__ = ["MessageHandler", "StreamHelperHandler"]

@lru_cache(maxsize=1)
def _stream_types() -> tuple[type, type]:
    # Imported late (this module must import without the SDK) and once: a repeated
    # ``from anthropic import`` costs about a microsecond on every call.
    from anthropic import AsyncStream, Stream

    return Stream, AsyncStream


class MessageHandler(CallHandler):
    """``messages.create`` (streamed or not) and ``messages.parse``, first-party and beta."""

    def begin(
        self, telemetry: Telemetry, instance: Any, kwargs: dict[str, Any]
    ) -> tuple[LLMCall | None, dict[str, Any]]:
        # Bedrock and Vertex clients share these resource classes: client_endpoint names them.
        provider, host, port = client_endpoint(getattr(instance, "_client", None), semconv.PROVIDER_ANTHROPIC)
        attributes = request_attributes(kwargs)
        call = telemetry.start_call(
            operation=semconv.OP_CHAT,
            provider=provider,
            request_model=attributes.get(semconv.GEN_AI_REQUEST_MODEL),
            attributes=attributes,
            server_address=host,
            server_port=port,
            request=request_parts(kwargs),
        )
        if call is not None and telemetry.content.enabled:
            system, inputs = request_content(kwargs)
            telemetry.content.record(call.span, input_messages=inputs, system_instructions=system)
        return call, kwargs

    def complete(self, call: LLMCall, result: Any) -> tuple[Any, bool]:
        if is_raw_response(result):  # with_raw_response / with_streaming_response
            return raw_response_proxy(result, call, self._complete_parsed), True
        return self._complete_parsed(call, result)

    def _complete_parsed(self, call: LLMCall, result: Any) -> tuple[Any, bool]:
        stream_type, async_stream_type = _stream_types()
        if isinstance(result, stream_type):
            return SyncStreamProxy(result, MessageEventRecorder(call)), True
        if isinstance(result, async_stream_type):
            return AsyncStreamProxy(result, MessageEventRecorder(call)), True
        call.record_response(response_attributes(result), usage_from_message(result))
        if call.telemetry.content.enabled:
            call.telemetry.content.record(call.span, output_messages=response_content(result))
        return result, False


class StreamHelperHandler(MessageHandler):
    """``messages.stream()``: nothing is sent yet; the returned manager sends it on enter."""

    def begin(
        self, telemetry: Telemetry, instance: Any, kwargs: dict[str, Any]
    ) -> tuple[LLMCall | None, dict[str, Any]]:
        # The helper always streams but takes no ``stream`` argument: record it, pass the original on.
        call, _ = super().begin(telemetry, instance, {**kwargs, "stream": True})
        return call, kwargs

    def complete(self, call: LLMCall, result: Any) -> tuple[Any, bool]:
        return MessageStreamManagerProxy(result, MessageEventRecorder(call)), True
