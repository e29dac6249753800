"""OpenAI wire format: chat completions, the Responses API, embeddings and legacy completions.

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
    plan_text,
    prefix_tokens,
    response_model,
    texts,
)
from otel_llm.fake_provider._wire import Event, Exchange, JsonReply, StreamReply, retry_headers, stream_of

__all__ = ["chat", "completions", "embeddings", "error", "responses"]

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
class _Counts:
    prompt: int
    completion: int
    cached: int
    reasoning: int


def _counts(ex: Exchange, reply: ReplyText, prompt: list[str], prefix: list[str], choices: int = 1) -> _Counts:
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
    return _Counts(prompt_tokens, completion, cached, reasoning)


def _headers(ex: Exchange) -> dict[str, str]:
    return {"x-request-id": f"req_{ex.serial:032x}", "openai-processing-ms": "1"}


def error(ex: Exchange, status: int) -> JsonReply:
    kind, code = _ERROR_KINDS.get(status, ("server_error", None))
    message = ex.script.error_message or (
        f"Rate limit reached for {ex.body.get('model')} on requests per min (RPM). Please try again in 1ms."
        if status == 429
        else "The server had an error while processing your request. Sorry about that!"
    )
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return JsonReply(status, body, {**_headers(ex), **retry_headers(ex.script)})


def _stream_error(ex: Exchange) -> Event:
    message = ex.script.error_message or "The server had an error while processing your request."
    return Event({"error": {"message": message, "type": "server_error", "param": None, "code": None}})


def _with_usage(obj: dict[str, Any], ex: Exchange, usage: dict[str, Any]) -> dict[str, Any]:
    if not ex.script.omit_usage:
        obj["usage"] = apply_malformed(usage, ex.script)
    return obj


def _token_limit(body: Mapping[str, Any], *names: str) -> Any:
    return next((body[n] for n in names if body.get(n) is not None), None)


# --- chat completions -------------------------------------------------------------------


def _chat_usage(c: _Counts) -> dict[str, Any]:
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


def _chat_schema(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        return fmt.get("json_schema", {}).get("schema", {})
    return {"type": "object"} if fmt.get("type") == "json_object" else None


def chat(ex: Exchange) -> JsonReply | StreamReply:
    body = ex.body
    messages = body.get("messages") or []
    reply = plan_text(ex.script, _token_limit(body, "max_completion_tokens", "max_tokens"), _chat_schema(body))
    n = body.get("n") or 1
    counts = _counts(ex, reply, list(texts(messages)), list(texts(messages[:-1])), n)
    finish = "length" if reply.truncated else "stop"
    base = {
        "id": f"chatcmpl-fake{ex.serial:020d}",
        "created": ex.created,
        "model": response_model(str(body.get("model"))),
        "service_tier": "default",
        "system_fingerprint": _FINGERPRINT,
    }
    if not body.get("stream"):
        message = {"role": "assistant", "content": reply.text, "refusal": None, "annotations": []}
        choices = [{"index": i, "message": message, "logprobs": None, "finish_reason": finish} for i in range(n)]
        obj = {**base, "object": "chat.completion", "choices": choices}
        return JsonReply(200, _with_usage(obj, ex, _chat_usage(counts)), _headers(ex))

    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    chunk_base = {**base, "object": "chat.completion.chunk"}
    if include_usage:
        chunk_base["usage"] = None

    def chunk(index: int, delta: dict[str, Any], finish_reason: str | None = None) -> Event:
        choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return Event({**chunk_base, "choices": [choice]})

    head = [chunk(i, {"role": "assistant", "content": "", "refusal": None}) for i in range(n)]
    deltas = [chunk(i, {"content": piece}) for i in range(n) for piece in reply.pieces]
    tail = [chunk(i, {}, finish) for i in range(n)]
    if include_usage:
        tail.append(Event(_with_usage({**chunk_base, "choices": []}, ex, _chat_usage(counts))))
    tail.append(Event("[DONE]"))
    return stream_of(ex.script, head, deltas, tail, _stream_error(ex), _headers(ex))


# --- legacy completions -----------------------------------------------------------------


def completions(ex: Exchange) -> JsonReply | StreamReply:
    body = ex.body
    prompt = list(texts(body.get("prompt", "")))
    reply = plan_text(ex.script, _token_limit(body, "max_tokens"), None)
    counts = _counts(ex, reply, prompt, [])
    total = counts.prompt + counts.completion
    usage = {"prompt_tokens": counts.prompt, "completion_tokens": counts.completion, "total_tokens": total}
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
        return JsonReply(200, _with_usage(obj, ex, usage), _headers(ex))
    deltas = [Event({**base, "choices": [choice(piece, None)]}) for piece in reply.pieces]
    tail = [Event({**base, "choices": [choice("", finish)]})]
    if (body.get("stream_options") or {}).get("include_usage"):
        tail.append(Event(_with_usage({**base, "choices": []}, ex, usage)))
    tail.append(Event("[DONE]"))
    return stream_of(ex.script, [], deltas, tail, _stream_error(ex), _headers(ex))


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
    return JsonReply(200, _with_usage(obj, ex, {"prompt_tokens": prompt, "total_tokens": prompt}), _headers(ex))


# --- Responses API ----------------------------------------------------------------------


def _responses_usage(c: _Counts) -> dict[str, Any]:
    return {
        "input_tokens": c.prompt,
        "input_tokens_details": {"cached_tokens": c.cached, "cache_write_tokens": 0},
        "output_tokens": c.completion,
        "output_tokens_details": {"reasoning_tokens": c.reasoning},
        "total_tokens": c.prompt + c.completion,
    }


def _responses_prompt(body: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    instructions = list(texts(body.get("instructions") or ""))
    items = body.get("input") or ""
    earlier = items[:-1] if isinstance(items, list) else []
    return instructions + list(texts(items)), instructions + list(texts(earlier))


def responses(ex: Exchange) -> JsonReply | StreamReply:
    body = ex.body
    text_config = body.get("text") or {"format": {"type": "text"}}
    fmt = text_config.get("format") or {}
    schema = fmt.get("schema", {}) if fmt.get("type") == "json_schema" else None
    reply = plan_text(ex.script, _token_limit(body, "max_output_tokens"), schema)
    prompt, prefix = _responses_prompt(body)
    counts = _counts(ex, reply, prompt, prefix)
    rid = f"resp_fake{ex.serial:020d}"
    status = "incomplete" if reply.truncated else "completed"
    reasoning_item = {"id": f"rs_fake{ex.serial:020d}", "type": "reasoning", "summary": []}
    message_id = f"msg_fake{ex.serial:020d}"
    part_done = {"type": "output_text", "annotations": [], "logprobs": [], "text": reply.text}
    message_done = {
        "id": message_id,
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": [part_done],
    }
    outputs = ([reasoning_item] if counts.reasoning else []) + [message_done]

    def response(state: str, output: list[dict[str, Any]], usage: bool) -> dict[str, Any]:
        obj = {
            "id": rid,
            "object": "response",
            "created_at": ex.created,
            "status": state,
            "background": False,
            "error": None,
            "incomplete_details": {"reason": "max_output_tokens"} if state == "incomplete" else None,
            "instructions": body.get("instructions"),
            "max_output_tokens": body.get("max_output_tokens"),
            "model": response_model(str(body.get("model"))),
            "output": output,
            "parallel_tool_calls": True,
            "previous_response_id": body.get("previous_response_id"),
            "reasoning": {"effort": None, "summary": None},
            "service_tier": "default",
            "store": True,
            "temperature": body.get("temperature", 1.0),
            "text": text_config,
            "tool_choice": "auto",
            "tools": [],
            "top_p": body.get("top_p", 1.0),
            "truncation": "disabled",
            "usage": None,
            "user": None,
            "metadata": body.get("metadata") or {},
        }
        return _with_usage(obj, ex, _responses_usage(counts)) if usage else obj

    if not body.get("stream"):
        return JsonReply(200, response(status, outputs, usage=True), _headers(ex))

    seq = iter(range(1_000_000))

    def event(name: str, **fields: Any) -> Event:
        return Event({"type": name, "sequence_number": next(seq), **fields}, name)

    msg_index = len(outputs) - 1
    where = {"item_id": message_id, "output_index": msg_index, "content_index": 0}
    head = [
        event("response.created", response=response("in_progress", [], usage=False)),
        event("response.in_progress", response=response("in_progress", [], usage=False)),
    ]
    if counts.reasoning:
        head.append(event("response.output_item.added", output_index=0, item=reasoning_item))
        head.append(event("response.output_item.done", output_index=0, item=reasoning_item))
    message_open = {**message_done, "status": "in_progress", "content": []}
    head.append(event("response.output_item.added", output_index=msg_index, item=message_open))
    head.append(event("response.content_part.added", part={**part_done, "text": ""}, **where))
    deltas = [event("response.output_text.delta", delta=p, logprobs=[], **where) for p in reply.pieces]
    tail = [
        event("response.output_text.done", text=reply.text, logprobs=[], **where),
        event("response.content_part.done", part=part_done, **where),
        event("response.output_item.done", output_index=msg_index, item=message_done),
        event(f"response.{status}", response=response(status, outputs, usage=True)),
    ]
    message = ex.script.error_message or "The server had an error while processing your request."
    err_seq = len(head) + (ex.script.fail_mid_stream or 0)
    err = Event(
        {"type": "error", "code": "server_error", "message": message, "param": None, "sequence_number": err_seq},
        "error",
    )
    return stream_of(ex.script, head, deltas, tail, err, _headers(ex))
