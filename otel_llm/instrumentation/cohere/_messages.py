"""Cohere prompts and replies in the GenAI semconv message shape, for opt-in content capture.

Only called when content capture is on. A v2 request's messages are OpenAI's shape (roles
``system``/``user``/``assistant``/``tool``, content a string or a list of ``{"type": "text"}``
parts), so the OpenAI package converts them; a v1 request is a ``message`` plus a ``preamble``.
Replies: v2 ``message.content`` parts, v1 ``text``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from otel_llm.instrumentation._content import Message, Part, message, text_part
from otel_llm.instrumentation.openai._extract import field
from otel_llm.instrumentation.openai._messages import request_content as openai_request_content

__all__ = ["request_content", "response_content", "streamed_content"]


def request_content(kwargs: Mapping[str, Any]) -> tuple[list[Part], list[Message]]:
    system, inputs = openai_request_content(kwargs)
    preamble, text = kwargs.get("preamble"), kwargs.get("message")
    if isinstance(preamble, str):
        system.append(text_part(preamble))
    if isinstance(text, str):
        inputs.append(message("user", [text_part(text)]))
    return system, inputs


def response_content(response: Any) -> list[Message]:
    reason = field(response, "finish_reason")
    reason = reason if isinstance(reason, str) else None
    text = field(response, "text")  # v1
    if isinstance(text, str):
        return [message("assistant", [text_part(text)], reason)]
    content = field(field(response, "message"), "content")
    parts = [text_part(t) for t in (field(c, "text") for c in content) if isinstance(t, str)] if isinstance(
        content, Sequence) else []
    return [message("assistant", parts, reason)] if parts else []


def streamed_content(text: str, finish_reason: str | None) -> list[Message]:
    return [message("assistant", [text_part(text)], finish_reason)] if text else []
