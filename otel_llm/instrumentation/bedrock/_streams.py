"""Recorders for Bedrock's two event streams, on the shared stream proxies.

``converse_stream`` returns ``{"stream": EventStream}`` whose events are single-key dicts
(``messageStart``, ``contentBlockDelta``, ``messageStop``, ``metadata``...);
``invoke_model_with_response_stream`` returns ``{"body": EventStream}`` of
``{"chunk": {"bytes": b"<vendor JSON>"}}``. The handler puts a ``SyncStreamProxy`` (a
``wrapt.ObjectProxy``: ``isinstance(..., EventStream)`` holds, ``close()`` and every other
attribute work) in place of the EventStream, so the span ends exactly once on exhaustion,
``break``, ``close()``, an in-stream error (``EventStreamError``, recorded and re-raised) or GC.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from otel_llm import semconv
from otel_llm.instrumentation._lifecycle import LLMCall
from otel_llm.instrumentation._stream import StreamRecorder
from otel_llm.instrumentation.anthropic._messages import StreamedContent
from otel_llm.instrumentation.bedrock._extract import InvokeReport, converse_usage
from otel_llm.instrumentation.bedrock._messages import ConverseStreamText
from otel_llm.usage import Usage

__all__ = ["ConverseStreamRecorder", "InvokeStreamRecorder"]

# A chunk is decoded only if it may carry usage or a finish reason: text deltas (most chunks)
# are skipped with one substring test each instead of a JSON parse.
_WORTH_DECODING = (b"usage", b"Metrics", b"stop", b"token_count", b"finish_reason", b"message_start")


class ConverseStreamRecorder(StreamRecorder):
    def __init__(self, call: LLMCall) -> None:
        super().__init__(call)
        self._usage: Usage | None = None
        self._stop: str | None = None
        # The reply's text, kept only when content capture is on.
        self._text = ConverseStreamText() if call.telemetry.content.enabled else None

    def on_chunk(self, chunk: Any) -> bool:
        # botocore's event parser yields plain dicts: ``dict`` is checked, not the slower Mapping ABC,
        # since this runs for every event of the stream.
        if not isinstance(chunk, dict):
            return True
        block = chunk.get("contentBlockDelta")
        if block is not None:
            if self._text is not None and isinstance(block, Mapping):
                self._text.add(block.get("delta"))
            return True
        stop = chunk.get("messageStop")
        if isinstance(stop, Mapping) and isinstance(stop.get("stopReason"), str):
            self._stop = stop["stopReason"]
        metadata = chunk.get("metadata")
        if isinstance(metadata, Mapping):
            self._usage = converse_usage(metadata.get("usage"))
        return True

    def on_end(self) -> tuple[Mapping[str, Any], Usage | None]:
        if self._text is not None:
            self.call.telemetry.content.record(self.call.span, output_messages=self._text.messages(self._stop))
        attrs = {semconv.GEN_AI_RESPONSE_FINISH_REASONS: [self._stop]} if self._stop else {}
        return attrs, self._usage


class InvokeStreamRecorder(StreamRecorder):
    def __init__(self, call: LLMCall) -> None:
        super().__init__(call)
        self._report = InvokeReport()
        # An Anthropic model's streamed reply, rebuilt only when content capture is on.
        self._content = StreamedContent() if call.telemetry.content.enabled else None

    def on_chunk(self, chunk: Any) -> bool:
        part = chunk.get("chunk") if isinstance(chunk, dict) else None  # botocore's events: plain dicts
        data = part.get("bytes") if isinstance(part, dict) else None
        if not isinstance(data, bytes):
            return True
        if self._content is None and not any(marker in data for marker in _WORTH_DECODING):
            return True
        try:
            decoded = json.loads(data)
        except ValueError:
            return True
        if isinstance(decoded, Mapping):
            self._report.add(decoded)
            if self._content is not None:
                self._content.add(decoded)
        return True

    def on_end(self) -> tuple[Mapping[str, Any], Usage | None]:
        attributes = self._report.attributes()
        if self._content is not None:
            reasons = attributes.get(semconv.GEN_AI_RESPONSE_FINISH_REASONS)
            output = self._content.messages(reasons[0] if reasons else None)
            self.call.telemetry.content.record(self.call.span, output_messages=output)
        return attributes, self._report.usage()
