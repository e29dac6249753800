"""What a Gemini stream tells us, chunk by chunk.

Each chunk of ``streamGenerateContent`` is a whole ``GenerateContentResponse``: a piece of the
reply in ``candidates``, and a ``usage_metadata`` that is CUMULATIVE (the prompt count repeated in
every chunk, the candidates count growing, thoughts and cache counts complete only in the last).
So the last reported usage is kept, never the sum; the finish reason arrives with the last chunk.

Per chunk only references are kept (the first chunk, the last one, the last that carried a finish
reason, the last usage): the response attributes are read once at the end, from those, in that
order, so a later chunk's id, model and finish reasons win as if every chunk had been read. A
50-chunk stream then pays for two attribute reads per chunk instead of a dict per chunk.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from otel_llm import semconv
from otel_llm.instrumentation._lifecycle import LLMCall
from otel_llm.instrumentation._stream import StreamRecorder
from otel_llm.instrumentation.google_genai._extract import (
    field,
    fields_of,
    response_attributes,
    usage_from_metadata,
)
from otel_llm.instrumentation.google_genai._messages import streamed_content
from otel_llm.usage import Usage

__all__ = ["GenerateStreamRecorder"]


class GenerateStreamRecorder(StreamRecorder):
    """Accumulates the chunks of one ``generate_content_stream`` request."""

    def __init__(self, call: LLMCall, *, service_tier: str | None = None) -> None:
        super().__init__(call)
        self.service_tier = service_tier
        self._first: Any = None
        self._last: Any = None
        self._reason_chunk: Any = None  # the last chunk that named a finish reason
        self._usage_metadata: Any = None
        # Joining the reply costs work per chunk, so only when content capture is on.
        self._pieces: list[str] | None = [] if call.telemetry.content.enabled else None

    def on_chunk(self, chunk: Any) -> bool:
        if self._first is None:
            self._first = chunk
        self._last = chunk
        # Every chunk of every stream comes here: its fields are read as one mapping (``fields_of``).
        fields = fields_of(chunk)
        candidates, metadata = fields.get("candidates"), fields.get("usage_metadata")
        if candidates and _names_finish_reason(candidates):
            self._reason_chunk = chunk
        if metadata is not None:
            self._usage_metadata = metadata
        if self._pieces is not None:
            text = _chunk_text(chunk)
            if text:
                self._pieces.append(text)
        return True

    def on_end(self) -> tuple[Mapping[str, Any], Usage | None]:
        attributes: dict[str, Any] = {}
        for chunk in (self._first, self._reason_chunk, self._last):
            if chunk is not None:
                attributes.update(response_attributes(chunk))
        if self._pieces is not None:
            content = self.call.telemetry.content
            reasons = attributes.get(semconv.GEN_AI_RESPONSE_FINISH_REASONS) or [None]
            content.record(self.call.span, output_messages=streamed_content("".join(self._pieces), reasons[0]))
        return attributes, usage_from_metadata(self._usage_metadata)


def _names_finish_reason(candidates: Any) -> bool:
    try:
        for candidate in candidates:
            if candidate is not None and fields_of(candidate).get("finish_reason") is not None:
                return True
    except TypeError:  # not a list of candidates: nothing to read from it
        pass
    return False


def _chunk_text(chunk: Any) -> str:
    """The first candidate's text parts of one chunk (thoughts left out), read without the SDK's
    ``.text`` property, which logs a warning for chunks that carry non-text parts."""
    candidates = field(chunk, "candidates")
    if not candidates:
        return ""
    parts = field(field(candidates[0], "content"), "parts") or ()
    return "".join(t for p in parts if isinstance(t := field(p, "text"), str) and field(p, "thought") is not True)
