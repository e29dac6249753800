"""The wrap table: the model calls of the Agents SDK's OpenAI models (Responses and Chat Completions)."""

from __future__ import annotations

from otel_llm.instrumentation._framework import FrameworkSettings
from otel_llm.instrumentation._wrapping import Row
from otel_llm.instrumentation.openai_agents._handlers import get_response_call, stream_response_call

__all__ = ["rows"]

_RESPONSES = "agents.models.openai_responses"
_CHAT = "agents.models.openai_chatcompletions"


def rows(settings: FrameworkSettings) -> tuple[Row, ...]:
    return (
        Row(_RESPONSES, "OpenAIResponsesModel.get_response", get_response_call(settings)),
        Row(_RESPONSES, "OpenAIResponsesModel.stream_response", stream_response_call(settings)),
        Row(_CHAT, "OpenAIChatCompletionsModel.get_response", get_response_call(settings)),
        Row(_CHAT, "OpenAIChatCompletionsModel.stream_response", stream_response_call(settings)),
    )
