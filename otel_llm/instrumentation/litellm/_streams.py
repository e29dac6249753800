"""The LiteLLM stream recorder: OpenAI's chat chunks, with LiteLLM's usage chunk.

LiteLLM hands back a ``CustomStreamWrapper`` of OpenAI-shaped chunks for every provider; the
stream's usage is exact only in the chunk LiteLLM adds when asked with
``stream_options={"include_usage": True}``. Where that ask changes nothing on the wire (Anthropic,
Bedrock, Gemini: ``_extract.stream_usage_asked``) the handler asks, and this recorder hides the
chunk it adds from the app: a chunk that carries usage and nothing else (no choice on LiteLLM
1.110, one empty choice on earlier versions). LiteLLM's other usage report, the hidden ``usage``
of the finishing chunk, is not read: on some versions it is LiteLLM's own tokenizer estimate or
lacks the cache counts, and nothing tells which. An OpenAI-compatible route not asked for usage
by the app reports none: its tokens are estimated with tiktoken and flagged
``otel_llm.usage.estimated``, as for the openai SDK.
"""

from __future__ import annotations

from typing import Any

from otel_llm.instrumentation.litellm._extract import usage_from_litellm
from otel_llm.instrumentation.openai._streams import ChatStreamRecorder
from otel_llm.usage import Usage

__all__ = ["LiteLLMStreamRecorder"]


def _usage_only(chunk: Any) -> bool:
    """A chunk with usage and no content, tool call or finish reason in any choice."""
    if getattr(chunk, "usage", None) is None:
        return False
    for choice in chunk.choices:
        delta = choice.delta
        if choice.finish_reason or delta.content or delta.tool_calls or delta.function_call:
            return False
    return True


class LiteLLMStreamRecorder(ChatStreamRecorder):
    def on_chunk(self, chunk: Any) -> bool:
        shown = super().on_chunk(chunk)
        return shown and not (self._hide_usage_chunk and _usage_only(chunk))

    def _usage_in(self, chunk: Any) -> Any:
        return getattr(chunk, "usage", None)  # not every LiteLLM version declares the field

    def _normalized(self, usage: Any) -> Usage | None:
        return usage_from_litellm(usage)
