"""The Groq stream recorder: OpenAI's chat chunks, with the usage in ``x_groq.usage``.

Groq reports a stream's usage in the ``x_groq`` object of the chunk that carries the finish
reason, without being asked (and in OpenAI's ``usage`` too when ``stream_options.include_usage``
is sent). Everything else about the chunks is OpenAI's, so the OpenAI chat recorder reads them.
"""

from __future__ import annotations

from typing import Any

from otel_llm.instrumentation.openai._streams import ChatStreamRecorder

__all__ = ["GroqChunkRecorder"]


class GroqChunkRecorder(ChatStreamRecorder):
    def _usage_in(self, chunk: Any) -> Any:
        usage = chunk.usage
        if usage is None:
            usage = getattr(getattr(chunk, "x_groq", None), "usage", None)
        return usage
