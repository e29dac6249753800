"""Anthropic prompts and replies in the GenAI semconv message shape, for opt-in content capture.

Only called when content capture is on (``telemetry.content.enabled``). Anthropic content is a
list of typed blocks; text, tool calls, tool results and thinking map to semconv parts. Images
and documents are recorded by their type only: their base64 payload is data, not a prompt, and
would only be truncated noise in a span.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from otel_llm.instrumentation._content import Message, Part, message, text_part, tool_call_part, tool_response_part
from otel_llm.instrumentation.anthropic._extract import field

__all__ = ["StreamedContent", "request_content", "response_content"]


def _part(block: Any) -> Part:
    kind = field(block, "type")
    if kind == "text":
        return text_part(str(field(block, "text")))
    if kind in ("tool_use", "server_tool_use"):
        return tool_call_part(field(block, "id"), field(block, "name"), field(block, "input"))
    if kind == "tool_result":
        return tool_response_part(field(block, "tool_use_id"), field(block, "content"))
    if kind == "thinking":
        return {"type": "reasoning", "content": str(field(block, "thinking"))}
    return {"type": str(kind)}


def _parts(content: Any) -> list[Part]:
    if isinstance(content, str):
        return [text_part(content)]
    if isinstance(content, Sequence):
        return [_part(block) for block in content]
    return []


def request_content(kwargs: Mapping[str, Any]) -> tuple[list[Part], list[Message]]:
    """(system instructions, input messages) of a Messages request."""
    messages = kwargs.get("messages")
    inputs = (
        [message(str(field(m, "role") or "user"), _parts(field(m, "content"))) for m in messages]
        if isinstance(messages, Sequence)
        else []
    )
    return _parts(kwargs.get("system")), inputs


def response_content(response: Any) -> list[Message]:
    """The assistant message of a complete ``Message``."""
    parts = _parts(field(response, "content"))
    reason = field(response, "stop_reason")
    return [message("assistant", parts, reason if isinstance(reason, str) else None)] if parts else []


class StreamedContent:
    """Rebuilds the reply's blocks from stream events: text, thinking and tool-call input deltas."""

    _DELTA_FIELDS = {"text_delta": "text", "thinking_delta": "thinking", "input_json_delta": "partial_json"}

    def __init__(self) -> None:
        self._blocks: dict[int, dict[str, Any]] = {}

    def add(self, event: Any) -> None:
        kind = field(event, "type")
        if kind == "content_block_start":
            block = field(event, "content_block")
            self._blocks[field(event, "index") or 0] = {
                "type": field(block, "type"),
                "id": field(block, "id"),
                "name": field(block, "name"),
                "pieces": [],
            }
        elif kind == "content_block_delta":
            delta = field(event, "delta")
            piece = field(delta, self._DELTA_FIELDS.get(field(delta, "type"), ""))
            block = self._blocks.get(field(event, "index") or 0)
            if block is not None and isinstance(piece, str):
                block["pieces"].append(piece)

    def messages(self, stop_reason: str | None) -> list[Message]:
        parts: list[Part] = []
        for _, block in sorted(self._blocks.items()):
            joined = "".join(block["pieces"])
            field_name = {"text": "text", "thinking": "thinking"}.get(block["type"], "input")
            parts.append(_part({**block, field_name: joined}))
        return [message("assistant", parts, stop_reason)] if parts else []
