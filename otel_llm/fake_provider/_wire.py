"""The shapes passed between the HTTP server and the two API modules.

The API modules (``_openai``, ``_anthropic``) are pure: an :class:`Exchange` in, a
:class:`JsonReply` or :class:`StreamReply` out. Only the server touches sockets, so the same
failure injection (a dropped connection after K deltas) works for every endpoint.
"""

from __future__ import annotations

import http
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from otel_llm.fake_provider._content import PromptCache
from otel_llm.fake_provider._script import Script

__all__ = [
    "SSE_CONTENT_TYPE",
    "Event",
    "Exchange",
    "JsonReply",
    "StreamReply",
    "encode_event",
    "retry_headers",
    "status_phrase",
    "stream_of",
]


@dataclass(frozen=True)
class Exchange:
    """One request as the API modules see it: what was asked, and how to answer."""

    path: str
    body: Mapping[str, Any]
    script: Script
    serial: int
    created: int
    cache: PromptCache


@dataclass(frozen=True)
class Event:
    """One server-sent event; ``name`` is None for OpenAI chat's bare ``data:`` lines."""

    data: Any
    name: str | None = None


@dataclass(frozen=True)
class JsonReply:
    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)


SSE_CONTENT_TYPE = "text/event-stream; charset=utf-8"


@dataclass(frozen=True)
class StreamReply:
    """A streamed body; ``disconnect`` means close the socket after the events instead of ending.

    SSE by default; a binary framing (Bedrock's eventstream) sends events whose ``data`` is the
    already framed ``bytes``, with its own ``content_type``. ``framing`` is ``"sse"`` (server-sent
    events) or ``"ndjson"`` (one JSON object per line, as Cohere's v1 chat streams).
    """

    events: Sequence[Event]
    disconnect: bool = False
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str = SSE_CONTENT_TYPE
    framing: str = "sse"


def encode_event(event: Event, framing: str = "sse") -> bytes:
    if isinstance(event.data, bytes):  # framed by its wire module
        return event.data
    data = event.data if isinstance(event.data, str) else json.dumps(event.data, separators=(",", ":"))
    if framing == "ndjson":
        return f"{data}\n".encode()
    head = f"event: {event.name}\n" if event.name else ""
    return f"{head}data: {data}\n\n".encode()


def stream_of(
    script: Script,
    head: list[Event],
    deltas: list[Event],
    tail: list[Event],
    error: Event,
    headers: Mapping[str, str],
    content_type: str = SSE_CONTENT_TYPE,
) -> StreamReply:
    """The stream as scripted: complete, or cut after ``fail_mid_stream`` deltas."""
    cut = script.fail_mid_stream
    if cut is None or cut >= len(deltas):
        return StreamReply(head + deltas + tail, headers=headers, content_type=content_type)
    events = head + deltas[:cut]
    if script.fail_mode == "error_event":
        return StreamReply([*events, error], headers=headers, content_type=content_type)
    return StreamReply(events, disconnect=True, headers=headers, content_type=content_type)


def retry_headers(script: Script) -> dict[str, str]:
    """Retry-After in both spellings the SDKs read, for statuses they retry.

    ``retry-after`` is whole seconds rounded down (so 0 by default); the SDKs prefer the
    millisecond header, and skip a delay of 0 in favour of their own backoff of ~0.5 s or more.
    """
    if script.status not in (408, 409, 429, 529) and script.status < 500:
        return {}
    return {"retry-after-ms": str(script.retry_after_ms), "retry-after": str(script.retry_after_ms // 1000)}


def status_phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Overloaded" if status == 529 else "Error"
