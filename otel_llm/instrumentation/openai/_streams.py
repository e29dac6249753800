"""Recorders for OpenAI streams: chat/legacy-completion chunks and Responses API events.

They plug into the core stream proxies (``_stream.SyncStreamProxy``/``AsyncStreamProxy``), which
own the end-exactly-once logic. ``on_chunk`` runs once per streamed chunk, so it only does plain
attribute reads and list appends; everything else waits for ``on_end``.

Chat streams carry no usage unless the request set ``stream_options.include_usage``. By default
we do not change the request: the tokens are estimated with tiktoken from the request messages
and the streamed text, and marked ``otel_llm.usage.estimated``. With
``OTEL_LLM_OPENAI_STREAM_USAGE=inject`` the handler asks for usage and this recorder hides the
extra usage-only chunk, so user code sees exactly the chunks it would have seen.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from otel_llm import semconv, tokens
from otel_llm.instrumentation._content import ContentPolicy
from otel_llm.instrumentation._lifecycle import LLMCall
from otel_llm.instrumentation._stream import StreamRecorder
from otel_llm.instrumentation.openai._extract import (
    response_attributes,
    usage_from_response,
    usage_from_usage_object,
)
from otel_llm.instrumentation.openai._messages import streamed_content
from otel_llm.usage import Usage

__all__ = ["ChatStreamRecorder", "ResponsesStreamRecorder"]

_TEXT_DELTA = "response.output_text.delta"
# Responses API events whose ``response`` field holds the response so far (final on the last three).
_CARRY_RESPONSE = frozenset(
    f"response.{s}" for s in ("created", "queued", "in_progress", "completed", "incomplete", "failed")
)
_FINISH_REASONS = semconv.GEN_AI_RESPONSE_FINISH_REASONS


class _TextRecorder(StreamRecorder):
    def __init__(self, call: LLMCall, content: ContentPolicy) -> None:
        super().__init__(call)
        self._content = content
        self._pieces: list[str] = []

    def _record_output_content(self, finish_reason: str | None) -> None:
        if self._content.enabled:
            self._content.record(self.call.span, output_messages=streamed_content("".join(self._pieces), finish_reason))


class ChatStreamRecorder(_TextRecorder):
    """``chat.completions.create(stream=True)`` chunks, and legacy ``completions`` chunks (``text``)."""

    def __init__(
        self, call: LLMCall, content: ContentPolicy, kwargs: Mapping[str, Any], *, hide_usage_chunk: bool
    ) -> None:
        super().__init__(call, content)
        self._kwargs = kwargs
        self._chat = "messages" in kwargs
        self._hide_usage_chunk = hide_usage_chunk
        self._first: Any = None
        self._usage: Any = None
        self._finish: dict[int, str] = {}
        self._tool_pieces: list[str] = []

    def on_chunk(self, chunk: Any) -> bool:
        # Plain attribute reads: every name read here is a declared field of the SDK's chunk
        # models (``delta`` only on chat choices, ``text`` only on legacy ones), so none takes
        # pydantic's slow absent-attribute path; a malformed chunk lands in the stream guard.
        if self._first is None:
            self._first = chunk
        usage = self._usage_in(chunk)
        if usage is not None:
            self._usage = usage
        choices = chunk.choices
        if not choices:
            return not (self._hide_usage_chunk and usage is not None)
        for choice in choices:
            if self._chat:
                delta = choice.delta
                text = delta.content
                if delta.tool_calls:
                    self._add_tool_call_pieces(delta.tool_calls)
            else:
                text = choice.text
            if isinstance(text, str):
                self._pieces.append(text)
            reason = choice.finish_reason
            if reason:
                self._finish[choice.index or 0] = reason
        return True

    def _usage_in(self, chunk: Any) -> Any:
        """The usage object a chunk carries, or None; OpenAI-compatible vendors that report
        stream usage elsewhere (Groq's ``x_groq.usage``) override this."""
        return chunk.usage

    def _normalized(self, usage: Any) -> Usage | None:
        """The reported usage object, normalized; gateways with richer usage (LiteLLM) override this."""
        return usage_from_usage_object(usage)

    def _add_tool_call_pieces(self, tool_calls: Any) -> None:
        """Streamed tool-call names and arguments are output tokens too (for the estimate only)."""
        for call in tool_calls:
            function = call.function
            if function is not None:
                self._tool_pieces.extend(p for p in (function.name, function.arguments) if isinstance(p, str))

    def on_end(self) -> tuple[Mapping[str, Any], Usage | None]:
        attrs = response_attributes(self._first) if self._first is not None else {}
        reasons = [str(self._finish[i]) for i in sorted(self._finish, key=lambda i: (not isinstance(i, int), i))]
        if reasons:
            attrs[_FINISH_REASONS] = reasons
        usage = self._normalized(self._usage) if self._usage is not None else self._estimate()
        self._record_output_content(reasons[0] if reasons else None)
        return attrs, usage

    def _estimate(self) -> Usage | None:
        """tiktoken counts of the prompt and the streamed text; None rather than a guess."""
        model = self.call.request_model
        messages = self._kwargs.get("messages")
        prompt = self._kwargs.get("prompt")
        if isinstance(messages, (list, tuple)):
            input_tokens = tokens.count_message_tokens(messages, model)
        elif isinstance(prompt, str):
            input_tokens = tokens.count_text_tokens(prompt, model)
        else:
            return None
        output_tokens = tokens.count_text_tokens("".join(self._pieces + self._tool_pieces), model)
        if input_tokens is None or output_tokens is None:
            return None
        return Usage(input_tokens=input_tokens, output_tokens=output_tokens, estimated=True)


class ResponsesStreamRecorder(_TextRecorder):
    """Responses API events: the ``response`` carried by created/completed/incomplete/failed events."""

    def __init__(self, call: LLMCall, content: ContentPolicy) -> None:
        super().__init__(call, content)
        self._response: Any = None

    def on_chunk(self, chunk: Any) -> bool:
        kind = chunk.type
        if kind == _TEXT_DELTA:
            delta = chunk.delta
            if isinstance(delta, str):
                self._pieces.append(delta)
        elif kind in _CARRY_RESPONSE:
            self._response = chunk.response
        return True

    def on_end(self) -> tuple[Mapping[str, Any], Usage | None]:
        if self._response is None:
            return {}, None
        attrs = response_attributes(self._response)
        reasons = attrs.get(_FINISH_REASONS)
        self._record_output_content(reasons[0] if reasons else None)
        return attrs, usage_from_response(self._response)
