"""OpenAI wire format: chat completions, embeddings, legacy completions, and what the Responses API shares.

Bodies follow the API reference and the installed SDK's generated types field for field (the SDK
does not validate, so a wrong shape would not fail a test, it would silently mislead the
instrumentation under test). Usage follows OpenAI's meaning: ``prompt_tokens`` INCLUDE
``cached_tokens`` and ``completion_tokens`` INCLUDE ``reasoning_tokens``.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from otel_llm.fake_provider._content import (
    MIN_CACHEABLE_TOKENS,
    ReplyText,
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

__all__ = [
    "Counts",
    "chat",
    "completions",
    "counts",
    "embeddings",
    "error",
    "forced_tool",
    "headers",
    "response_schema",
    "token_limit",
    "with_usage",
]

# OpenAI caches prompt prefixes in blocks of 128 tokens beyond the first 1,024.
_CACHE_BLOCK = 128
_FINGERPRINT = "fp_fake0001"
_ERROR_KINDS = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}


@dataclass(frozen=True)
class Counts:
    prompt: int
    completion: int
    cached: int
    reasoning: int


def counts(ex: Exchange, reply: ReplyText, prompt: list[str], prefix: list[str], choices: int = 1) -> Counts:
    s = ex.script
    cached = s.cached_tokens
    if cached is None:
        cached = 0
        cacheable = prefix_tokens(prefix)
        if cacheable >= MIN_CACHEABLE_TOKENS and ex.cache.hit(str(ex.body.get("model")), prefix):
            cached = cacheable - cacheable % _CACHE_BLOCK
    reasoning = 0 if s.reasoning_tokens is None else s.reasoning_tokens
    completion = s.completion_tokens
    if completion is None:
        completion = len(reply.pieces) * choices + reasoning
    prompt_tokens = s.prompt_tokens if s.prompt_tokens is not None else count_tokens(sum(map(len, prompt)))
    return Counts(prompt_tokens, completion, cached, reasoning)


def headers(ex: Exchange) -> dict[str, str]:
    return {"x-request-id": f"req_{ex.serial:032x}", "openai-processing-ms": "1"}


def error(ex: Exchange, status: int) -> JsonReply:
    kind, code = _ERROR_KINDS.get(status, ("server_error", None))
    if status == 429:
        default = f"Rate limit reached for {ex.body.get('model')} on requests per min (RPM). Try again in 1ms."
    elif status >= 500:
        default = "The server had an error while processing your request. Sorry about that!"
    else:
        default = f"Invalid request: {status_phrase(status)}"
    message = ex.script.error_message or default
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return JsonReply(status, body, {**headers(ex), **retry_headers(ex.script)})


def _stream_error(ex: Exchange) -> Event:
    message = ex.script.error_message or "The server had an error while processing your request."
    return Event({"error": {"message": message, "type": "server_error", "param": None, "code": None}})


def with_usage(obj: dict[str, Any], ex: Exchange, usage: dict[str, Any]) -> dict[str, Any]:
    if not ex.script.omit_usage:
        obj["usage"] = apply_malformed(usage, ex.script)
    return obj


def token_limit(body: Mapping[str, Any], *names: str) -> Any:
    return next((body[n] for n in names if body.get(n) is not None), None)


# --- chat completions -------------------------------------------------------------------


def _chat_usage(c: Counts) -> dict[str, Any]:
    return {
        "prompt_tokens": c.prompt,
        "completion_tokens": c.completion,
        "total_tokens": c.prompt + c.completion,
        "prompt_tokens_details": {"cached_tokens": c.cached, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": c.reasoning,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def response_schema(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        return fmt.get("json_schema", {}).get("schema", {})
    return {"type": "object"} if fmt.get("type") == "json_object" else None


def forced_tool(body: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]] | None:
    """The function a request forces with ``tool_choice``; chat nests tools under "function"."""
    choice = body.get("tool_choice")
    name = choice.get("function", choice).get("name") if isinstance(choice, dict) else None
    if choice == "required":
        name = ""
    tools = [t.get("function", t) for t in body.get("tools") or [] if isinstance(t, dict)]
    return pick_tool(tools, name, "parameters")


def chat(ex: Exchange) -> JsonReply | StreamReply:
    body = ex.body
    messages = body.get("messages") or []
    tool = forced_tool(body)
    schema = tool[1] if tool else response_schema(body)
    reply = plan_text(ex.script, token_limit(body, "max_completion_tokens", "max_tokens"), schema)
    n = body.get("n") or 1
    usage = _chat_usage(counts(ex, reply, list(texts(messages)), list(texts(messages[:-1])), n))
    finish = "length" if reply.truncated else "tool_calls" if tool else "stop"
    call_id = f"call_fake{ex.serial:020d}"
    base = {
        "id": f"chatcmpl-fake{ex.serial:020d}",
        "created": ex.created,
        "model": response_model(str(body.get("model"))),
        "service_tier": "default",
        "system_fingerprint": _FINGERPRINT,
    }
    if not body.get("stream"):
        message: dict[str, Any] = {"role": "assistant", "content": reply.text, "refusal": None, "annotations": []}
        if tool:
            function = {"name": tool[0], "arguments": reply.text}
            message.update(content=None, tool_calls=[{"id": call_id, "type": "function", "function": function}])
        choices = [{"index": i, "message": message, "logprobs": None, "finish_reason": finish} for i in range(n)]
        obj = {**base, "object": "chat.completion", "choices": choices}
        return JsonReply(200, with_usage(obj, ex, usage), headers(ex))

    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    chunk_base = {**base, "object": "chat.completion.chunk"}
    if include_usage:
        chunk_base["usage"] = None

    def chunk(index: int, delta: dict[str, Any], finish_reason: str | None = None) -> Event:
        choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return Event({**chunk_base, "choices": [choice]})

    def delta(piece: str) -> dict[str, Any]:
        return {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]} if tool else {"content": piece}

    opening: dict[str, Any] = {"role": "assistant", "content": "", "refusal": None}
    if tool:
        call = {"index": 0, "id": call_id, "type": "function", "function": {"name": tool[0], "arguments": ""}}
        opening.update(content=None, tool_calls=[call])
    head = [chunk(i, opening) for i in range(n)]
    deltas = [chunk(i, delta(piece)) for i in range(n) for piece in reply.pieces]
    tail = [chunk(i, {}, finish) for i in range(n)]
    if include_usage:
        tail.append(Event(with_usage({**chunk_base, "choices": []}, ex, usage)))
    tail.append(Event("[DONE]"))
    return stream_of(ex.script, head, deltas, tail, _stream_error(ex), headers(ex))


# --- legacy completions -----------------------------------------------------------------


def completions(ex: Exchange) -> JsonReply | StreamReply:
    body = ex.body
    prompt = list(texts(body.get("prompt", "")))
    reply = plan_text(ex.script, token_limit(body, "max_tokens"), None)
    c = counts(ex, reply, prompt, [])
    usage = {"prompt_tokens": c.prompt, "completion_tokens": c.completion, "total_tokens": c.prompt + c.completion}
    finish = "length" if reply.truncated else "stop"
    base = {
        "id": f"cmpl-fake{ex.serial:020d}",
        "object": "text_completion",
        "created": ex.created,
        "model": response_model(str(body.get("model"))),
        "system_fingerprint": _FINGERPRINT,
    }

    def choice(text: str, finish_reason: str | None) -> dict[str, Any]:
        return {"text": text, "index": 0, "logprobs": None, "finish_reason": finish_reason}

    if not body.get("stream"):
        obj = {**base, "choices": [choice(reply.text, finish)]}
        return JsonReply(200, with_usage(obj, ex, usage), headers(ex))
    deltas = [Event({**base, "choices": [choice(piece, None)]}) for piece in reply.pieces]
    tail = [Event({**base, "choices": [choice("", finish)]})]
    if (body.get("stream_options") or {}).get("include_usage"):
        tail.append(Event(with_usage({**base, "choices": []}, ex, usage)))
    tail.append(Event("[DONE]"))
    return stream_of(ex.script, [], deltas, tail, _stream_error(ex), headers(ex))


# --- embeddings -------------------------------------------------------------------------


def _embedding_inputs(raw: Any) -> list[Any]:
    """Embedding input is a string, a token list, or a list of either."""
    if isinstance(raw, str) or (isinstance(raw, list) and raw and isinstance(raw[0], int)):
        return [raw]
    return list(raw) if isinstance(raw, list) else [raw]


def _vector(item: Any, dims: int) -> list[float]:
    seed = int.from_bytes(hashlib.sha256(repr(item).encode()).digest()[:4], "little")
    return [((seed + j * 7919) % 2001 - 1000) / 1000 for j in range(dims)]


def embeddings(ex: Exchange) -> JsonReply:
    body = ex.body
    model = str(body.get("model"))
    dims = body.get("dimensions") or (3072 if "large" in model else 1536)
    inputs = _embedding_inputs(body.get("input"))
    data = []
    for index, item in enumerate(inputs):
        vector = _vector(item, dims)
        if body.get("encoding_format") == "base64":
            encoded: Any = base64.b64encode(struct.pack(f"<{dims}f", *vector)).decode()
        else:
            encoded = vector
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    default_prompt = sum(len(i) if isinstance(i, list) else count_tokens(len(str(i))) for i in inputs)
    prompt = default_prompt if ex.script.prompt_tokens is None else ex.script.prompt_tokens
    obj = {"object": "list", "data": data, "model": response_model(model)}
    return JsonReply(200, with_usage(obj, ex, {"prompt_tokens": prompt, "total_tokens": prompt}), headers(ex))
