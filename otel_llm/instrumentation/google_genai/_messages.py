"""Gemini prompts and replies in the GenAI semconv message shape, for opt-in content capture.

Only called when content capture is on (``telemetry.content.enabled``). ``contents`` may be a
string, a ``Part``, a ``Content`` or a list of any of these (models or dicts): the SDK accepts
them all. Gemini's roles are ``user`` and ``model``; ``model`` is the semconv ``assistant``.
Text, function calls, function responses and thoughts map to semconv parts; inline data (images,
audio) is recorded by its type only: a base64 payload is data, not a prompt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from otel_llm.instrumentation._content import Message, Part, message, text_part, tool_call_part, tool_response_part
from otel_llm.instrumentation.google_genai._extract import field, finish_reason

__all__ = ["request_content", "response_content", "streamed_content"]


def _role(raw: Any) -> str:
    role = field(raw, "role")
    return "assistant" if role == "model" else str(role or "user")


def _part(raw: Any) -> Part:
    if isinstance(raw, str):
        return text_part(raw)
    text = field(raw, "text")
    if isinstance(text, str):
        return {"type": "reasoning", "content": text} if field(raw, "thought") is True else text_part(text)
    call = field(raw, "function_call")
    if call is not None:
        return tool_call_part(field(call, "id"), field(call, "name"), field(call, "args"))
    response = field(raw, "function_response")
    if response is not None:
        return tool_response_part(field(response, "id"), field(response, "response"))
    for kind in ("inline_data", "file_data", "executable_code", "code_execution_result"):
        if field(raw, kind) is not None:
            return {"type": kind}
    return text_part(str(raw))


def _is_content(raw: Any) -> bool:
    return field(raw, "parts") is not None


def _parts(raw: Any) -> list[Part]:
    parts = field(raw, "parts") if _is_content(raw) else raw
    if isinstance(parts, str) or not isinstance(parts, Sequence):
        parts = [parts]
    return [_part(p) for p in parts if p is not None]


def request_content(kwargs: Mapping[str, Any]) -> tuple[list[Part], list[Message]]:
    """(system instructions, input messages) of a generate or embed call."""
    contents = kwargs.get("contents")
    if contents is None:  # _embed_content's single ``content`` / Vertex ``batch_contents``
        contents = kwargs.get("content") if kwargs.get("content") is not None else kwargs.get("batch_contents")
    inputs: list[Message] = []
    if isinstance(contents, Sequence) and not isinstance(contents, str):
        loose: list[Any] = []  # consecutive bare parts/strings form one user message, as the SDK sends them
        for item in contents:
            if _is_content(item):
                if loose:
                    inputs.append(message("user", _parts(loose)))
                    loose = []
                inputs.append(message(_role(item), _parts(item)))
            else:
                loose.append(item)
        if loose:
            inputs.append(message("user", _parts(loose)))
    elif contents is not None:
        inputs.append(message(_role(contents) if _is_content(contents) else "user", _parts(contents)))
    system = field(kwargs.get("config"), "system_instruction")
    return (_parts(system) if system is not None else []), inputs


def response_content(response: Any) -> list[Message]:
    """One assistant message per candidate of a complete ``GenerateContentResponse``."""
    candidates = field(response, "candidates")
    if not isinstance(candidates, Sequence):
        return []
    out: list[Message] = []
    for candidate in candidates:
        content = field(candidate, "content")
        if content is None:
            continue
        out.append(message("assistant", _parts(content), finish_reason(candidate)))
    return out


def streamed_content(text: str, finish_reason: str | None) -> list[Message]:
    return [message("assistant", [text_part(text)], finish_reason)] if text else []
