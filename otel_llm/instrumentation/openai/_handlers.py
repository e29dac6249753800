"""The OpenAI call handler: request -> span, response (plain, streamed or raw) -> attributes.

One handler class serves every OpenAI operation; a row of the wrap table picks the operation
and the stream recorder, and every handler carries the ``instrument()`` call's settings. This
module imports ``openai``, so the package ``__init__`` imports it only when instrumenting (a
missing SDK must not break entry-point loading).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import openai

from otel_llm import semconv
from otel_llm.instrumentation._lifecycle import LLMCall, Telemetry
from otel_llm.instrumentation._providers import client_endpoint
from otel_llm.instrumentation._raw import is_raw_response, raw_response_proxy
from otel_llm.instrumentation._stream import AsyncStreamProxy, StreamRecorder, SyncStreamProxy
from otel_llm.instrumentation._wrapping import CallHandler
from otel_llm.instrumentation.openai._extract import (
    request_attributes,
    request_parts,
    response_attributes,
    usage_from_response,
    with_stream_usage,
)
from otel_llm.instrumentation.openai._messages import request_content, response_content
from otel_llm.instrumentation.openai._settings import OpenAISettings
from otel_llm.instrumentation.openai._streams import ChatStreamRecorder, ResponsesStreamRecorder

__all__ = ["OpenAIHandler"]


class _Request(NamedTuple):
    """What ``complete`` needs from ``begin``: the kwargs actually sent, and whether we added usage."""

    kwargs: Mapping[str, Any]
    injected_usage: bool


@dataclass(frozen=True)
class OpenAIHandler(CallHandler):
    operation: str
    settings: OpenAISettings
    stream_kind: str | None = None  # "chat" (chunks with choices) or "responses" (events)

    def begin(
        self, telemetry: Telemetry, instance: Any, kwargs: dict[str, Any]
    ) -> tuple[LLMCall | None, dict[str, Any]]:
        provider, host, port = client_endpoint(getattr(instance, "_client", None), semconv.PROVIDER_OPENAI)
        model = kwargs.get("model")
        sent = kwargs
        injected = False
        if self.stream_kind == "chat" and kwargs.get("stream") is True and self.settings.inject_stream_usage:
            changed = with_stream_usage(kwargs)
            if changed is not None:
                sent, injected = changed, True
        call = telemetry.start_call(
            operation=self.operation,
            provider=provider,
            request_model=model if isinstance(model, str) else None,
            attributes=request_attributes(kwargs),
            server_address=host,
            server_port=port,
            request=request_parts(kwargs, provider, responses_api=self.stream_kind == "responses"),
        )
        if call is None:
            return None, kwargs
        call.state = _Request(sent, injected)
        if telemetry.content.enabled:
            system, inputs = request_content(kwargs)
            telemetry.content.record(call.span, input_messages=inputs, system_instructions=system)
        return call, sent

    def complete(self, call: LLMCall, result: Any) -> tuple[Any, bool]:
        if is_raw_response(result):
            return raw_response_proxy(result, call, self._complete_parsed), True
        return self._complete_parsed(call, result)

    def _complete_parsed(self, call: LLMCall, result: Any) -> tuple[Any, bool]:
        if isinstance(result, openai.Stream):
            return SyncStreamProxy(result, self._recorder(call)), True
        if isinstance(result, openai.AsyncStream):
            return AsyncStreamProxy(result, self._recorder(call)), True
        call.record_response(response_attributes(result), usage_from_response(result))
        content = call.telemetry.content
        if content.enabled:
            content.record(call.span, output_messages=response_content(result))
        return result, False

    def _recorder(self, call: LLMCall) -> StreamRecorder:
        request: _Request = call.state
        content = call.telemetry.content
        if self.stream_kind == "responses":
            return ResponsesStreamRecorder(call, content)
        return ChatStreamRecorder(call, content, request.kwargs, hide_usage_chunk=request.injected_usage)

