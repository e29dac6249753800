"""Mistral wire format: ``/v1/chat/completions`` (JSON and SSE) and ``/v1/embeddings``.

Mistral's shape is OpenAI's with its own differences, which are what this module is for:
no ``service_tier`` or ``system_fingerprint``; a stream ALWAYS reports usage, in its last chunk
(the one with the ``finish_reason``), never in a separate usage-only chunk, and ends with
``data: [DONE]``; cached prompt tokens (prompt caching, blocks of 64 tokens) are reported as
``usage.prompt_tokens_details.cached_tokens`` and included in ``prompt_tokens``; errors are
``{"object": "error", "message", "type", "param", "code"}``. The fake serves it under the
``/mistral`` path prefix (the SDK's ``server_url``), since the paths are OpenAI's own.
"""

from __future__ import annotations

from typing import Any

from otel_llm.fake_provider._content import ReplyText, count_tokens, plan_text, prefix_tokens, texts
from otel_llm.fake_provider._openai import forced_tool, response_schema, with_usage
from otel_llm.fake_provider._wire import (
    Event,
    Exchange,
    JsonReply,
    StreamReply,
    retry_headers,
    status_phrase,
    stream_of,
)

__all__ = ["PREFIX", "chat", "embeddings", "error"]

PREFIX = "/mistral"
# Mistral caches prompt prefixes in blocks of 64 tokens, with no minimum beyond one block.
_CACHE_BLOCK = 64
_EMBEDDING_DIMS = 1024  # mistral-embed


def _usage(ex: Exchange, reply: ReplyText, messages: list[Any]) -> dict[str, Any]:
    s = ex.script
    prompt = s.prompt_tokens if s.prompt_tokens is not None else count_tokens(sum(len(t) for t in texts(messages)))
    completion = s.completion_tokens if s.completion_tokens is not None else len(reply.pieces)
    cached = s.cached_tokens
    if cached is None:
        cacheable = prefix_tokens(list(texts(messages[:-1])))
        hit = cacheable >= _CACHE_BLOCK and ex.cache.hit("mistral:" + str(ex.body.get("model")), texts(messages[:-1]))
        cached = cacheable - cacheable % _CACHE_BLOCK if hit else 0
    usage: dict[str, Any] = {
        "prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion
    }
    if cached:
        usage["prompt_tokens_details"] = {"cached_tokens": cached}
    return usage


def _headers(ex: Exchange) -> dict[str, str]:
    return {"mistral-correlation-id": f"{ex.serial:032x}", "x-envoy-upstream-service-time": "1"}


def error(ex: Exchange, status: int) -> JsonReply:
    message = ex.script.error_message or (
        "Requests rate limit exceeded" if status == 429 else f"{status_phrase(status)}"
    )
    body = {"object": "error", "message": message, "type": "invalid_request_error" if status < 500 else "server_error",
            "param": None, "code": str(status)}
    return JsonReply(status, body, {**_headers(ex), **retry_headers(ex.script)})


def chat(ex: Exchange) -> JsonReply | StreamReply:
    body = ex.body
    messages = body.get("messages") or []
    tool = forced_tool(body)
    reply = plan_text(ex.script, body.get("max_tokens"), tool[1] if tool else response_schema(body))
    usage = _usage(ex, reply, messages)
    finish = "length" if reply.truncated else "tool_calls" if tool else "stop"
    base = {"id": f"{ex.serial:032x}", "created": ex.created, "model": str(body.get("model"))}
    call_id = f"{ex.serial:09d}"[-9:]
    if not body.get("stream"):
        message: dict[str, Any] = {"role": "assistant", "content": reply.text, "tool_calls": None, "prefix": False}
        if tool:
            function = {"name": tool[0], "arguments": reply.text}
            message.update(content="", tool_calls=[{"id": call_id, "type": "function", "function": function}])
        choice = {"index": 0, "message": message, "finish_reason": finish}
        obj = {**base, "object": "chat.completion", "choices": [choice]}
        return JsonReply(200, with_usage(obj, ex, usage), _headers(ex))

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return {**base, "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}

    head = [Event(chunk({"role": "assistant", "content": ""}))]
    if tool:
        function = {"name": tool[0], "arguments": reply.text}
        calls = [{"id": call_id, "type": "function", "function": function, "index": 0}]
        deltas = [Event(chunk({"content": "", "tool_calls": calls}))]
    else:
        deltas = [Event(chunk({"content": piece})) for piece in reply.pieces]
    # The last chunk carries the finish reason and the usage together.
    last = with_usage(chunk({"content": ""}, finish), ex, usage)
    tail = [Event(last), Event("[DONE]")]
    error_event = Event({"object": "error", "message": ex.script.error_message or "Internal server error",
                         "type": "server_error", "param": None, "code": "500"})
    return stream_of(ex.script, head, deltas, tail, error_event, _headers(ex))


def embeddings(ex: Exchange) -> JsonReply:
    body = ex.body
    raw = body.get("inputs", body.get("input"))
    inputs = [raw] if isinstance(raw, str) else list(raw or [])
    data = [
        {"object": "embedding", "index": i, "embedding": [((i + j) % 7 - 3) / 10 for j in range(_EMBEDDING_DIMS)]}
        for i in range(len(inputs))
    ]
    default = sum(count_tokens(len(str(item))) for item in inputs)
    prompt = default if ex.script.prompt_tokens is None else ex.script.prompt_tokens
    usage = {"prompt_tokens": prompt, "completion_tokens": 0, "total_tokens": prompt}
    obj = {"id": f"{ex.serial:032x}", "object": "list", "data": data, "model": str(body.get("model"))}
    return JsonReply(200, with_usage(obj, ex, usage), _headers(ex))
