"""The mistralai stream recorder: the SDK's ``CompletionEvent`` wraps an OpenAI-shaped chunk.

Each event's ``data`` is a chat chunk with OpenAI's fields, so the OpenAI chat recorder reads it;
Mistral reports usage in the last chunk of EVERY stream (no option to ask for it), so the span
gets the provider's counts, and tiktoken estimates only if a stream is cut before its end.
"""

from __future__ import annotations

from typing import Any

from otel_llm.instrumentation.openai._streams import ChatStreamRecorder

__all__ = ["CompletionEventRecorder"]


class CompletionEventRecorder(ChatStreamRecorder):
    def on_chunk(self, chunk: Any) -> bool:
        super().on_chunk(chunk.data)
        return True  # Mistral's usage chunk is one the user asked for too: never hidden
