"""OpenAI request/response content converted to the GenAI semconv message shape.

Only called when content capture is on (``telemetry.content.enabled``): converting messages
costs time on every call, and content is off by default. Unknown shapes are rendered as text
via ``str`` rather than dropped, so what was sent stays visible, redactor and truncation included.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from otel_llm.instrumentation._content import Message, Part, message, text_part, tool_call_part, tool_response_part
from otel_llm.instrumentation.openai._extract import field

__all__ = ["request_content", "response_content", "streamed_content"]

_SYSTEM_ROLES = ("system", "developer")


def _content_parts(content: Any) -> list[Part]:
    if content is None:
        return []
    if isinstance(content, str):
        return [text_part(content)]
    if isinstance(content, Sequence):
        parts: list[Part] = []
        for item in content:
            text = field(item, "text")
            parts.append(text_part(text if isinstance(text, str) else str(item)))
        return parts
    return [text_part(str(content))]


def _chat_message(raw: Any) -> Message:
    role = field(raw, "role") or "user"
    parts = _content_parts(field(raw, "content"))
    for call in field(raw, "tool_calls") or ():
        function = field(call, "function")
        parts.append(tool_call_part(field(call, "id"), field(function, "name"), field(function, "arguments")))
    if role == "tool":
        parts = [tool_response_part(field(raw, "tool_call_id"), field(raw, "content"))]
    return message(str(role), parts)


def request_content(kwargs: Mapping[str, Any]) -> tuple[list[Part], list[Message]]:
    """(system instructions, input messages) of a chat, responses, completions or embeddings call."""
    system: list[Part] = []
    inputs: list[Message] = []
    messages = kwargs.get("messages")
    if isinstance(messages, Sequence):
        for raw in messages:
            if field(raw, "role") in _SYSTEM_ROLES:
                system.extend(_content_parts(field(raw, "content")))
            else:
                inputs.append(_chat_message(raw))
    instructions = kwargs.get("instructions")
    if isinstance(instructions, str):
        system.append(text_part(instructions))
    for key in ("input", "prompt"):
        value = kwargs.get(key)
        if isinstance(value, str):
            inputs.append(message("user", [text_part(value)]))
        elif isinstance(value, Sequence):
            inputs.extend(
                _chat_message(item) if field(item, "role") else message("user", _content_parts(item)) for item in value
            )
    return system, inputs


def response_content(response: Any) -> list[Message]:
    """Output messages of a complete chat completion, legacy completion or Responses API response."""
    choices = field(response, "choices")
    if isinstance(choices, Sequence):
        out: list[Message] = []
        for choice in choices:
            msg = field(choice, "message")
            if msg is not None:
                converted = _chat_message(msg)
            else:
                converted = message("assistant", _content_parts(field(choice, "text")))
            converted["role"] = "assistant"
            reason = field(choice, "finish_reason")
            if isinstance(reason, str):
                converted["finish_reason"] = reason
            out.append(converted)
        return out
    text = field(response, "output_text")
    if isinstance(text, str) and text:
        return [message("assistant", [text_part(text)])]
    return []


def streamed_content(text: str, finish_reason: str | None) -> list[Message]:
    return [message("assistant", [text_part(text)], finish_reason)] if text else []
