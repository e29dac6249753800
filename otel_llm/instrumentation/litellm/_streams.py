"""The LiteLLM stream recorder: OpenAI's chat chunks, with the usage wherever LiteLLM reports it.

LiteLLM hands back a ``CustomStreamWrapper`` of OpenAI-shaped chunks for every provider. With
``stream_options={"include_usage": True}`` its last chunk carries the usage; without it LiteLLM
still records the usage the provider reported (Anthropic, Gemini and Bedrock always report it)
as the hidden ``usage`` of its finishing chunk, so those streams are priced from the provider's
own counts with the request left unchanged. An OpenAI-compatible route not asked for usage
reports none (LiteLLM marks that ``UnreportedUsage``): its tokens are then estimated with
tiktoken and flagged ``otel_llm.usage.estimated``, as for the openai SDK.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from otel_llm.instrumentation.litellm._extract import usage_from_litellm
from otel_llm.instrumentation.openai._streams import ChatStreamRecorder
from otel_llm.usage import Usage

__all__ = ["LiteLLMStreamRecorder"]


class LiteLLMStreamRecorder(ChatStreamRecorder):
    def _usage_in(self, chunk: Any) -> Any:
        usage = getattr(chunk, "usage", None)
        if usage is None:
            hidden = getattr(chunk, "_hidden_params", None)
            usage = hidden.get("usage") if isinstance(hidden, Mapping) else None
            if type(usage).__name__ == "UnreportedUsage":
                return None
        return usage

    def _normalized(self, usage: Any) -> Usage | None:
        return usage_from_litellm(usage)
