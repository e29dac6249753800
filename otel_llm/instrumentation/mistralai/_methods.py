"""The mistralai wrap table: one row per SDK method; a method this SDK version lacks is skipped.

mistralai 2.x moved the SDK under ``mistralai.client``; 1.x has the same classes at the top level,
so both module paths are listed and whichever the installed SDK has is wrapped.
"""

from __future__ import annotations

from otel_llm.instrumentation._wrapping import Row, async_call, sync_call
from otel_llm.instrumentation.mistralai._handlers import CHAT, CHAT_STREAM, EMBEDDINGS

__all__ = ["ROWS"]

_PACKAGES = ("mistralai.client", "mistralai")

ROWS: tuple[Row, ...] = tuple(
    row
    for package in _PACKAGES
    for row in (
        Row(f"{package}.chat", "Chat.complete", sync_call(CHAT)),
        Row(f"{package}.chat", "Chat.complete_async", async_call(CHAT)),
        Row(f"{package}.chat", "Chat.stream", sync_call(CHAT_STREAM)),
        Row(f"{package}.chat", "Chat.stream_async", async_call(CHAT_STREAM)),
        Row(f"{package}.embeddings", "Embeddings.create", sync_call(EMBEDDINGS)),
        Row(f"{package}.embeddings", "Embeddings.create_async", async_call(EMBEDDINGS)),
    )
)
