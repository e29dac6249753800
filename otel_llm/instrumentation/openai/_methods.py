"""The OpenAI wrap table: one row per SDK method; a method this SDK version lacks is skipped.

``chat.completions.parse`` lived under ``client.beta`` in openai 1.x; both places are listed.
The ``.stream()`` helpers make their request through ``create`` on ``__enter__``, so ``create``
traces them and the helper row only ties the span's end to the helper's ``with`` block.
``with_raw_response``/``with_streaming_response`` call these same methods and need no row.
"""

from __future__ import annotations

from otel_llm import semconv
from otel_llm.instrumentation._wrapping import Row, async_call, stream_manager_call, sync_call
from otel_llm.instrumentation.openai._handlers import OpenAIHandler
from otel_llm.instrumentation.openai._settings import OpenAISettings

__all__ = ["rows"]

_CHAT = "openai.resources.chat.completions"
_BETA_CHAT = "openai.resources.beta.chat.completions"
_RESPONSES = "openai.resources.responses"
_EMBEDDINGS = "openai.resources.embeddings"
_COMPLETIONS = "openai.resources.completions"


def rows(settings: OpenAISettings) -> tuple[Row, ...]:
    """The table, with handlers that carry this ``instrument()``'s settings."""
    chat = OpenAIHandler(semconv.OP_CHAT, settings, stream_kind="chat")
    completions = OpenAIHandler(semconv.OP_TEXT_COMPLETION, settings, stream_kind="chat")
    responses = OpenAIHandler(semconv.OP_CHAT, settings, stream_kind="responses")
    embeddings = OpenAIHandler(semconv.OP_EMBEDDINGS, settings)
    return (
        Row(_CHAT, "Completions.create", sync_call(chat)),
        Row(_CHAT, "AsyncCompletions.create", async_call(chat)),
        Row(_CHAT, "Completions.parse", sync_call(chat)),
        Row(_CHAT, "AsyncCompletions.parse", async_call(chat)),
        Row(_CHAT, "Completions.stream", stream_manager_call()),
        Row(_CHAT, "AsyncCompletions.stream", stream_manager_call()),
        Row(_BETA_CHAT, "Completions.parse", sync_call(chat)),
        Row(_BETA_CHAT, "AsyncCompletions.parse", async_call(chat)),
        Row(_BETA_CHAT, "Completions.stream", stream_manager_call()),
        Row(_BETA_CHAT, "AsyncCompletions.stream", stream_manager_call()),
        Row(_RESPONSES, "Responses.create", sync_call(responses)),
        Row(_RESPONSES, "AsyncResponses.create", async_call(responses)),
        Row(_RESPONSES, "Responses.parse", sync_call(responses)),
        Row(_RESPONSES, "AsyncResponses.parse", async_call(responses)),
        Row(_RESPONSES, "Responses.stream", stream_manager_call()),
        Row(_RESPONSES, "AsyncResponses.stream", stream_manager_call()),
        Row(_EMBEDDINGS, "Embeddings.create", sync_call(embeddings)),
        Row(_EMBEDDINGS, "AsyncEmbeddings.create", async_call(embeddings)),
        Row(_COMPLETIONS, "Completions.create", sync_call(completions)),
        Row(_COMPLETIONS, "AsyncCompletions.create", async_call(completions)),
    )
