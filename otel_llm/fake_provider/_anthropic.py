"""Anthropic wire format: the Messages API, JSON and SSE, including the beta path.

Usage follows Anthropic's meaning, which is the trap this fake exists to exercise:
``input_tokens`` EXCLUDES ``cache_read_input_tokens`` and ``cache_creation_input_tokens``, and
a stream reports usage twice, in ``message_start`` and cumulatively again in ``message_delta``
(input and cache fields repeated), so an instrumentation that sums the two double counts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from otel_llm.fake_provider._content import (
    MIN_CACHEABLE_TOKENS,
    apply_malformed,
    count_tokens,
    pick_tool,
    plan_text,
    prefix_tokens,
    response_model,
    texts,
)
from otel_llm.fake_provider._wire import (
    Event,
    Exchange,
    JsonReply,
    StreamReply,
    retry_headers,
    status_phrase,
    stream_of,
)

__all__ = ["error", "messages"]

_ERROR_KINDS = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    529: "overloaded_error",
}


@dataclass(frozen=True)
class _Counts:
    input: int
    output: int
    cache_read: int
    cache_write_5m: int
    cache_write_1h: int

    def usage(self, output: int) -> dict[str, Any]:
        return {
            "input_tokens": self.input,
            "cache_creation_input_tokens": self.cache_write_5m + self.cache_write_1h,
            "cache_read_input_tokens": self.cache_read,
            "cache_creation": {
                "ephemeral_5m_input_tokens": self.cache_write_5m,
                "ephemeral_1h_input_tokens": self.cache_write_1h,
            },
            "output_tokens": output,
            "service_tier": "standard",
        }


def _blocks(body: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any] | None]]:
    """Prompt text in the order Anthropic caches it (system, then messages), with cache markers."""
    parts: list[Any] = []
    system = body.get("system")
    parts.extend(system if isinstance(system, list) else [system] if system else [])
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, Mapping) else None
        parts.extend(content if isinstance(content, list) else [content])
    for part in parts:
        marker = part.get("cache_control") if isinstance(part, Mapping) else None
        yield "".join(texts(part)), marker


def _counts(ex: Exchange, output: int) -> _Counts:
    s = ex.script
    blocks = list(_blocks(ex.body))
    total = count_tokens(sum(len(text) for text, _ in blocks))
    marked = [i for i, (_, marker) in enumerate(blocks) if marker]
    read = write_5m = write_1h = cached = 0
    if marked:
        prefix = [text for text, _ in blocks[: marked[-1] + 1]]
        cached = prefix_tokens(prefix)
        if cached < MIN_CACHEABLE_TOKENS:
            cached = 0
        elif ex.cache.hit(str(ex.body.get("model")), prefix):
            read = cached
        elif (blocks[marked[-1]][1] or {}).get("ttl") == "1h":
            write_1h = cached
        else:
            write_5m = cached

    def pick(override: int | None, default: int) -> int:
        return default if override is None else override

    return _Counts(
        input=pick(s.input_tokens, total - cached),
        output=pick(s.output_tokens, output),
        cache_read=pick(s.cache_read_tokens, read),
        cache_write_5m=pick(s.cache_write_5m_tokens, write_5m),
        cache_write_1h=pick(s.cache_write_1h_tokens, write_1h),
    )


def _headers(ex: Exchange) -> dict[str, str]:
    return {"request-id": f"req_fake{ex.serial:020d}", "anthropic-organization-id": "org-fake"}


def _error_body(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


def error(ex: Exchange, status: int) -> JsonReply:
    kind = _ERROR_KINDS.get(status, "api_error")
    defaults = {429: "Number of requests has exceeded your rate limit.", 529: "Overloaded"}
    message = ex.script.error_message or defaults.get(status, status_phrase(status))
    body = {**_error_body(kind, message), "request_id": f"req_fake{ex.serial:020d}"}
    return JsonReply(status, body, {**_headers(ex), **retry_headers(ex.script)})


def _schema(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    fmt = (body.get("output_config") or {}).get("format") or body.get("output_format") or {}
    return fmt.get("schema", {}) if fmt.get("type") == "json_schema" else None


def _forced_tool(body: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]] | None:
    choice = body.get("tool_choice") or {}
    kind = choice.get("type") if isinstance(choice, Mapping) else None
    name = "" if kind == "any" else choice.get("name") if kind == "tool" else None
    return pick_tool(body.get("tools") or [], name, "input_schema")


def _tool_input(text: str) -> Any:
    """The parsed tool input; a scripted non-JSON text yields an empty input, as a cut-off call would."""
    try:
        return json.loads(text)
    except ValueError:
        return {}


def messages(ex: Exchange, model: str | None = None) -> JsonReply | StreamReply:
    """``model`` comes from the URL on platforms that put it there instead of the body (Vertex)."""
    body = ex.body
    tool = _forced_tool(body)
    reply = plan_text(ex.script, body.get("max_tokens"), tool[1] if tool else _schema(body))
    counts = _counts(ex, len(reply.pieces))
    stop_reason = "max_tokens" if reply.truncated else "tool_use" if tool else "end_turn"
    if tool:
        opening = {"type": "tool_use", "id": f"toolu_fake{ex.serial:020d}", "name": tool[0], "input": {}}
        final = {**opening, "input": _tool_input(reply.text)}
    else:
        opening, final = {"type": "text", "text": ""}, {"type": "text", "text": reply.text}
    message: dict[str, Any] = {
        "id": f"msg_fake{ex.serial:020d}",
        "type": "message",
        "role": "assistant",
        "model": response_model(str(model or body.get("model"))),
        "content": [final],
        "stop_reason": stop_reason,
        "stop_sequence": None,
    }

    def with_usage(obj: dict[str, Any], usage: dict[str, Any]) -> dict[str, Any]:
        if not ex.script.omit_usage:
            obj["usage"] = apply_malformed(usage, ex.script)
        return obj

    if not body.get("stream"):
        return JsonReply(200, with_usage(message, counts.usage(counts.output)), _headers(ex))

    def event(kind: str, **fields: Any) -> Event:
        return Event({"type": kind, **fields}, kind)

    def delta(piece: str) -> dict[str, str]:
        if tool:
            return {"type": "input_json_delta", "partial_json": piece}
        return {"type": "text_delta", "text": piece}

    started = {**message, "content": [], "stop_reason": None}
    delta_usage = counts.usage(counts.output)
    del delta_usage["cache_creation"], delta_usage["service_tier"]
    head = [
        event("message_start", message=with_usage(started, counts.usage(min(counts.output, 1)))),
        event("content_block_start", index=0, content_block=opening),
        event("ping"),
    ]
    deltas = [event("content_block_delta", index=0, delta=delta(piece)) for piece in reply.pieces]
    tail = [
        event("content_block_stop", index=0),
        Event(
            with_usage(
                {"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": None}}, delta_usage
            ),
            "message_delta",
        ),
        event("message_stop"),
    ]
    err = Event(_error_body("overloaded_error", ex.script.error_message or "Overloaded"), "error")
    return stream_of(ex.script, head, deltas, tail, err, _headers(ex))
