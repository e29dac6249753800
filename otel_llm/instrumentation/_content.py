"""Opt-in capture of prompt and completion content, in the GenAI semconv JSON shape.

Content is OFF by default: prompts carry personal data and secrets. The user switches it on
with ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` (``SPAN_ONLY``, ``EVENT_ONLY``,
``SPAN_AND_EVENT``, or ``true`` meaning ``SPAN_ONLY``; ``NO_CONTENT``/``false`` keep it off).
Every text part passes the optional redaction hook (``instrument(content_redactor=fn)``, a
``str -> str`` function; if it raises, no content is recorded and the call goes on) and is cut
to ``OTEL_LLM_CONTENT_MAX_LENGTH`` characters, so the JSON stays valid however long the prompt.
Only message bodies are read: request headers, and so API keys, never are.

An SDK module converts its own message objects into the neutral shape with :func:`message`,
:func:`text_part`, :func:`tool_call_part`, then calls ``policy.record(span, input_messages=...,
output_messages=..., system_instructions=...)``; it checks ``policy.enabled`` first so that no
conversion work is done when content is off.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.trace import Span

from otel_llm import semconv
from otel_llm._env import env_choice, env_int
from otel_llm.instrumentation._guard import guard

__all__ = [
    "ContentMode",
    "ContentPolicy",
    "ContentRedactor",
    "message",
    "text_part",
    "tool_call_part",
    "tool_response_part",
]

ContentRedactor = Callable[[str], str]
Part = dict[str, Any]
Message = dict[str, Any]

DEFAULT_MAX_LENGTH = 8192
# The semconv event that carries content when events are asked for; we add it as a span event
# so it needs no logs pipeline and stays attached to its call.
CONTENT_EVENT_NAME = "gen_ai.client.inference.operation.details"
_TRUNCATION_MARK = "…[truncated]"


class ContentMode(enum.Enum):
    NO_CONTENT = "NO_CONTENT"
    SPAN_ONLY = "SPAN_ONLY"
    EVENT_ONLY = "EVENT_ONLY"
    SPAN_AND_EVENT = "SPAN_AND_EVENT"


_ALIASES = {"true": ContentMode.SPAN_ONLY, "false": ContentMode.NO_CONTENT}


def _mode_from_env() -> ContentMode:
    choices = [m.value for m in ContentMode] + list(_ALIASES)
    raw = env_choice(semconv.ENV_CAPTURE_CONTENT, ContentMode.NO_CONTENT.value, choices)
    return _ALIASES.get(raw) or ContentMode(raw)


def text_part(text: str) -> Part:
    return {"type": "text", "content": text}


def tool_call_part(call_id: str | None, name: str | None, arguments: Any) -> Part:
    return {"type": "tool_call", "id": call_id, "name": name, "arguments": arguments}


def tool_response_part(call_id: str | None, response: Any) -> Part:
    return {"type": "tool_call_response", "id": call_id, "response": response}


def message(role: str, parts: list[Part], finish_reason: str | None = None) -> Message:
    msg: Message = {"role": role, "parts": parts}
    if finish_reason is not None:
        msg["finish_reason"] = finish_reason
    return msg


@dataclass(frozen=True)
class ContentPolicy:
    """What content to record, how long, and through which redactor; fixed at instrument time."""

    mode: ContentMode = ContentMode.NO_CONTENT
    max_length: int = DEFAULT_MAX_LENGTH
    redactor: ContentRedactor | None = None

    @classmethod
    def from_env(cls, redactor: ContentRedactor | None = None) -> ContentPolicy:
        max_length = env_int(semconv.ENV_CONTENT_MAX_LENGTH, DEFAULT_MAX_LENGTH, minimum=1)
        return cls(_mode_from_env(), max_length, redactor)

    # Read on every call: a field set once, not a property computed per read.
    enabled: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "enabled", self.mode is not ContentMode.NO_CONTENT)

    def _clean(self, text: str) -> str:
        if self.redactor is not None:
            text = self.redactor(text)
        if len(text) > self.max_length:
            text = text[: self.max_length] + _TRUNCATION_MARK
        return text

    def _clean_part(self, part: Part) -> Part:
        if part.get("type") == "text" and isinstance(part.get("content"), str):
            return {**part, "content": self._clean(part["content"])}
        cleaned = dict(part)
        for key in ("arguments", "response"):
            if key in cleaned and cleaned[key] is not None:
                value = cleaned[key]
                cleaned[key] = self._clean(value if isinstance(value, str) else json.dumps(value, default=str))
        return cleaned

    def _serialize_messages(self, messages: Sequence[Message]) -> str:
        cleaned = [{**m, "parts": [self._clean_part(p) for p in m.get("parts", ())]} for m in messages]
        return json.dumps(cleaned, ensure_ascii=False, default=str)

    @guard("content.record")
    def record(
        self,
        span: Span,
        *,
        input_messages: Sequence[Message] | None = None,
        output_messages: Sequence[Message] | None = None,
        system_instructions: Sequence[Part] | None = None,
    ) -> None:
        if not self.enabled:
            return
        attrs: dict[str, str] = {}
        if input_messages:
            attrs[semconv.GEN_AI_INPUT_MESSAGES] = self._serialize_messages(input_messages)
        if output_messages:
            attrs[semconv.GEN_AI_OUTPUT_MESSAGES] = self._serialize_messages(output_messages)
        if system_instructions:
            parts = [self._clean_part(p) for p in system_instructions]
            attrs[semconv.GEN_AI_SYSTEM_INSTRUCTIONS] = json.dumps(parts, ensure_ascii=False, default=str)
        if not attrs:
            return
        if self.mode in (ContentMode.SPAN_ONLY, ContentMode.SPAN_AND_EVENT):
            span.set_attributes(attrs)
        if self.mode in (ContentMode.EVENT_ONLY, ContentMode.SPAN_AND_EVENT):
            span.add_event(CONTENT_EVENT_NAME, attrs)
