"""The groq wrap table. ``with_raw_response``/``with_streaming_response`` call these same methods."""

from __future__ import annotations

from otel_llm.instrumentation._wrapping import Row, async_call, sync_call
from otel_llm.instrumentation.groq._handlers import ChatHandler

__all__ = ["ROWS"]

_CHAT = "groq.resources.chat.completions"
_HANDLER = ChatHandler()

ROWS: tuple[Row, ...] = (
    Row(_CHAT, "Completions.create", sync_call(_HANDLER)),
    Row(_CHAT, "AsyncCompletions.create", async_call(_HANDLER)),
)
