"""Converse prompts and replies in the GenAI semconv message shape, for opt-in content capture.

Only called when content capture is on (``telemetry.content.enabled``). Converse content is a
list of single-key blocks (``text``, ``toolUse``, ``toolResult``, ``reasoningContent``, ``image``,
``document``...); images, documents and videos are recorded by their kind only (their bytes are
data, not a prompt). InvokeModel bodies and streams are captured for Anthropic models (the
Messages format, read by the anthropic package's readers); other vendors' bodies are not (yet).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from otel_llm.instrumentation._content import Message, Part, message, text_part, tool_call_part, tool_response_part
from otel_llm.instrumentation.anthropic import _messages as anthropic_messages

__all__ = [
    "ConverseStreamText",
    "converse_request_content",
    "converse_response_content",
    "invoke_request_content",
    "invoke_response_content",
]


def _part(block: Any) -> Part:
    if not isinstance(block, Mapping):
        return {"type": "unknown"}
    if isinstance(block.get("text"), str):
        return text_part(block["text"])
    use = block.get("toolUse")
    if isinstance(use, Mapping):
        return tool_call_part(use.get("toolUseId"), use.get("name"), use.get("input"))
    result = block.get("toolResult")
    if isinstance(result, Mapping):
        return tool_response_part(result.get("toolUseId"), result.get("content"))
    reasoning = block.get("reasoningContent")
    if isinstance(reasoning, Mapping):
        text = (reasoning.get("reasoningText") or {}).get("text")
        return {"type": "reasoning", "content": str(text or "")}
    kind = next(iter(block), "unknown")
    return {"type": str(kind)}


def _parts(content: Any) -> list[Part]:
    return [_part(block) for block in content] if isinstance(content, Sequence) and not isinstance(content, str) else []


def converse_request_content(params: Mapping[str, Any]) -> tuple[list[Part], list[Message]]:
    """(system instructions, input messages) of a Converse request."""
    messages = params.get("messages")
    inputs = (
        [message(str(m.get("role") or "user"), _parts(m.get("content"))) for m in messages if isinstance(m, Mapping)]
        if isinstance(messages, Sequence)
        else []
    )
    return _parts(params.get("system")), inputs


def converse_response_content(response: Mapping[str, Any]) -> list[Message]:
    output = response.get("output")
    reply = output.get("message") if isinstance(output, Mapping) else None
    if not isinstance(reply, Mapping):
        return []
    stop = response.get("stopReason")
    return [message("assistant", _parts(reply.get("content")), stop if isinstance(stop, str) else None)]


def invoke_request_content(body: Mapping[str, Any] | None) -> tuple[list[Part], list[Message]]:
    """An Anthropic Messages body's system and messages; nothing for other vendors' bodies."""
    if body is None or "anthropic_version" not in body:
        return [], []
    return anthropic_messages.request_content(body)


def invoke_response_content(body: Mapping[str, Any] | None) -> list[Message]:
    if body is None or body.get("type") != "message":
        return []
    return anthropic_messages.response_content(body)


class ConverseStreamText:
    """The streamed reply's text, joined at the end."""

    def __init__(self) -> None:
        self._pieces: list[str] = []

    def add(self, delta: Any) -> None:
        text = delta.get("text") if isinstance(delta, Mapping) else None
        if isinstance(text, str):
            self._pieces.append(text)

    def messages(self, stop_reason: str | None) -> list[Message]:
        return [message("assistant", [text_part("".join(self._pieces))], stop_reason)] if self._pieces else []
