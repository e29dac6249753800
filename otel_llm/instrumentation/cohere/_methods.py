"""The cohere wrap table: one row per SDK method; a method this SDK version lacks is skipped.

``ClientV2`` inherits from both the v2 client and the v1 ``Client`` (v2 first), so the v2 rows
cover ``ClientV2.chat``/``chat_stream``/``embed`` and the v1 rows ``Client.chat``/``chat_stream``.
The v1 ``Client.embed`` (batched over a thread pool) is not traced yet. The clients bind ``chat`` and
``chat_stream`` into instance attributes when constructed: a client built before ``instrument()``
keeps the untraced methods.
"""

from __future__ import annotations

from otel_llm.instrumentation._wrapping import Row, async_call, sync_call
from otel_llm.instrumentation.cohere._handlers import CHAT, CHAT_STREAM, EMBED

__all__ = ["ROWS"]

_V2 = "cohere.v2.client"
_V1 = "cohere.base_client"

ROWS: tuple[Row, ...] = (
    Row(_V2, "V2Client.chat", sync_call(CHAT)),
    Row(_V2, "AsyncV2Client.chat", async_call(CHAT)),
    # Generator functions: calling one returns the stream (sync or async) without awaiting.
    Row(_V2, "V2Client.chat_stream", sync_call(CHAT_STREAM)),
    Row(_V2, "AsyncV2Client.chat_stream", sync_call(CHAT_STREAM)),
    Row(_V2, "V2Client.embed", sync_call(EMBED)),
    Row(_V2, "AsyncV2Client.embed", async_call(EMBED)),
    Row(_V1, "BaseCohere.chat", sync_call(CHAT)),
    Row(_V1, "AsyncBaseCohere.chat", async_call(CHAT)),
    Row(_V1, "BaseCohere.chat_stream", sync_call(CHAT_STREAM)),
    Row(_V1, "AsyncBaseCohere.chat_stream", sync_call(CHAT_STREAM)),
)
