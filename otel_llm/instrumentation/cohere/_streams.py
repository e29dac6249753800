"""The recorder of a Cohere chat stream: typed events, the facts spread over them.

``message-start`` carries the id; ``content-delta`` events the text; ``message-end`` the finish
reason and the usage (its ``billed_units`` are what is charged). A stream left before
``message-end`` has no usage: the span then carries none (no cost, never a guess), since Cohere's
tokenizer is not tiktoken's. An in-stream failure arrives as ``message-end`` with an ``error``
and finish reason ``ERROR``; the SDK raises nothing, so the span records that reason as reported.
A v1 stream (``Client.chat_stream``) names its events ``event_type`` and ends with ``stream-end``,
which carries the whole reply: id, finish reason and ``meta.billed_units``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from otel_llm import semconv
from otel_llm.instrumentation._lifecycle import LLMCall
from otel_llm.instrumentation._stream import StreamRecorder
from otel_llm.instrumentation.cohere._extract import response_attributes, usage_from_billed
from otel_llm.instrumentation.cohere._messages import streamed_content
from otel_llm.instrumentation.openai._extract import field
from otel_llm.usage import Usage

__all__ = ["ChatEventRecorder"]


class ChatEventRecorder(StreamRecorder):
    def __init__(self, call: LLMCall) -> None:
        super().__init__(call)
        self._attributes: dict[str, Any] = {}
        self._billed: Any = None
        # Text is kept only when content capture is on: joining it costs work per event.
        self._pieces: list[str] | None = [] if call.telemetry.content.enabled else None

    def on_chunk(self, chunk: Any) -> bool:
        kind = field(chunk, "type")
        if kind == "content-delta":
            if self._pieces is not None:
                text = field(field(field(field(chunk, "delta"), "message"), "content"), "text")
                if isinstance(text, str):
                    self._pieces.append(text)
        elif kind is None:  # a v1 stream: ``event_type``, and the whole reply in ``stream-end``
            self._on_v1_event(chunk)
        elif kind == "message-start":
            chunk_id = field(chunk, "id")
            if isinstance(chunk_id, str) and chunk_id:
                self._attributes[semconv.GEN_AI_RESPONSE_ID] = chunk_id
        elif kind == "message-end":
            delta = field(chunk, "delta")
            reason = field(delta, "finish_reason")
            if isinstance(reason, str) and reason:
                self._attributes[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = [reason]
            self._billed = field(field(delta, "usage"), "billed_units")
        return True

    def _on_v1_event(self, event: Any) -> None:
        kind = field(event, "event_type")
        if kind == "text-generation":
            text = field(event, "text")
            if self._pieces is not None and isinstance(text, str):
                self._pieces.append(text)
        elif kind == "stream-end":
            response = field(event, "response")
            self._attributes.update(response_attributes(response))
            self._billed = field(field(response, "meta"), "billed_units")

    def on_end(self) -> tuple[Mapping[str, Any], Usage | None]:
        if self._pieces is not None:
            reasons = self._attributes.get(semconv.GEN_AI_RESPONSE_FINISH_REASONS) or [None]
            output = streamed_content("".join(self._pieces), reasons[0])
            self.call.telemetry.content.record(self.call.span, output_messages=output)
        return self._attributes, usage_from_billed(self._billed)
