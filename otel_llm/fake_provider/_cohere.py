"""Cohere wire format: v2 ``/v2/chat`` (JSON and typed SSE events), ``/v2/embed``, v1 ``/v1/chat``.

Cohere's differences are what this module is for. A chat reply's ``message.content`` is a list of
typed parts; ``finish_reason`` is upper case (``COMPLETE``, ``MAX_TOKENS``); the response names no
model. Usage comes twice: ``billed_units`` (what is charged) and ``tokens`` (what the model saw,
the prompt template included, so more input tokens than billed). A v2 stream is SSE with an
``event:`` line per event and the type again in the data: ``message-start``, ``content-start``,
``content-delta``..., ``content-end``, ``message-end`` (finish reason and usage), and no
``[DONE]``; a v1 chat stream is JSON lines ending in ``stream-end``. Embeddings report
``meta.billed_units.input_tokens``. Errors are ``{"id", "message"}``.
Script counts map as: ``prompt_tokens`` -> billed input, ``completion_tokens`` -> billed output.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from otel_llm.fake_provider._content import ReplyText, apply_malformed, count_tokens, plan_text, texts
from otel_llm.fake_provider._wire import (
    Event,
    Exchange,
    JsonReply,
    StreamReply,
    retry_headers,
    status_phrase,
    stream_of,
)

__all__ = ["chat", "chat_v1", "embed", "error"]

# Cohere wraps a chat in its own prompt template: ``tokens.input_tokens`` counts it, billing does not.
_TEMPLATE_TOKENS = 87
_EMBEDDING_DIMS = 1024


def _id(ex: Exchange) -> str:
    return str(uuid.UUID(int=ex.serial))


def _headers(ex: Exchange) -> dict[str, str]:
    return {"x-api-warning": "", "x-debug-trace-id": f"{ex.serial:032x}", "num_chars": "0"}


def error(ex: Exchange, status: int) -> JsonReply:
    message = ex.script.error_message or (
        "You are using a Trial key, which is limited to 10 API calls / minute." if status == 429
        else "internal server error, this has been reported to our developers" if status >= 500
        else f"invalid request: {status_phrase(status)}"
    )
    return JsonReply(status, {"id": _id(ex), "message": message}, {**_headers(ex), **retry_headers(ex.script)})


def _billed(ex: Exchange, reply: ReplyText, messages: Any) -> tuple[int, int]:
    s = ex.script
    billed_in = s.prompt_tokens if s.prompt_tokens is not None else count_tokens(sum(len(t) for t in texts(messages)))
    billed_out = s.completion_tokens if s.completion_tokens is not None else len(reply.pieces)
    return billed_in, billed_out


def _usage(ex: Exchange, billed_in: int, billed_out: int) -> dict[str, Any]:
    usage = {
        "billed_units": {"input_tokens": billed_in, "output_tokens": billed_out},
        "tokens": {"input_tokens": billed_in + _TEMPLATE_TOKENS, "output_tokens": billed_out},
        "cached_tokens": 0,
    }
    return apply_malformed(usage, ex.script)


def _finish(reply: ReplyText) -> str:
    return "MAX_TOKENS" if reply.truncated else "COMPLETE"


def chat(ex: Exchange) -> JsonReply | StreamReply:
    body = ex.body
    messages = body.get("messages") or []
    reply = plan_text(ex.script, body.get("max_tokens"), None)
    usage = _usage(ex, *_billed(ex, reply, messages))
    if not body.get("stream"):
        obj: dict[str, Any] = {
            "id": _id(ex),
            "message": {"role": "assistant", "content": [{"type": "text", "text": reply.text}]},
            "finish_reason": _finish(reply),
        }
        if not ex.script.omit_usage:
            obj["usage"] = usage
        return JsonReply(200, obj, _headers(ex))

    def event(kind: str, **fields: Any) -> Event:
        return Event({"type": kind, **fields}, name=kind)

    empty = {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}
    head = [
        event("message-start", id=_id(ex), delta={"message": empty}),
        event("content-start", index=0, delta={"message": {"content": {"type": "text", "text": ""}}}),
    ]
    deltas = [event("content-delta", index=0, delta={"message": {"content": {"text": p}}}) for p in reply.pieces]
    end: dict[str, Any] = {"finish_reason": _finish(reply)}
    if not ex.script.omit_usage:
        end["usage"] = usage
    tail = [event("content-end", index=0), event("message-end", delta=end)]
    failure = {"finish_reason": "ERROR", "error": ex.script.error_message or "internal error"}
    failed = event("message-end", delta=failure)
    return stream_of(ex.script, head, deltas, tail, failed, _headers(ex))


def chat_v1(ex: Exchange) -> JsonReply | StreamReply:
    """The v1 chat reply (``message`` in, ``text`` out, usage in ``meta``); a v1 stream is one JSON
    object per line (``stream-start``, ``text-generation``..., ``stream-end`` with the whole reply)."""
    body = ex.body
    prompt = [body.get("preamble") or "", body.get("message") or "", *texts(body.get("chat_history") or [])]
    reply = plan_text(ex.script, body.get("max_tokens"), None)
    billed_in, billed_out = _billed(ex, reply, prompt)
    meta: dict[str, Any] = {"api_version": {"version": "1"}}
    if not ex.script.omit_usage:
        usage = _usage(ex, billed_in, billed_out)
        meta.update(billed_units=usage["billed_units"], tokens=usage["tokens"])
    history = [{"role": "USER", "message": body.get("message") or ""}, {"role": "CHATBOT", "message": reply.text}]
    obj = {
        "response_id": _id(ex),
        "text": reply.text,
        "generation_id": str(uuid.UUID(int=ex.serial + (1 << 64))),
        "chat_history": history,
        "finish_reason": _finish(reply),
        "meta": meta,
    }
    if not body.get("stream"):
        return JsonReply(200, obj, _headers(ex))

    def line(kind: str, finished: bool = False, **fields: Any) -> Event:
        return Event({"is_finished": finished, "event_type": kind, **fields})

    head = [line("stream-start", generation_id=obj["generation_id"])]
    deltas = [line("text-generation", text=piece) for piece in reply.pieces]
    tail = [line("stream-end", True, finish_reason=obj["finish_reason"], response=obj)]
    failed = line("stream-end", True, finish_reason="ERROR", response={**obj, "finish_reason": "ERROR"})
    headers = {**_headers(ex), "content-type": "application/stream+json"}
    return dataclasses.replace(stream_of(ex.script, head, deltas, tail, failed, headers), framing="ndjson")


def embed(ex: Exchange) -> JsonReply:
    body = ex.body
    inputs = [str(t) for t in body.get("texts") or []]
    types = body.get("embedding_types") or ["float"]
    vectors = [[((i + j) % 5 - 2) / 10 for j in range(_EMBEDDING_DIMS)] for i in range(len(inputs))]
    default = sum(count_tokens(len(t)) for t in inputs)
    billed = default if ex.script.prompt_tokens is None else ex.script.prompt_tokens
    meta: dict[str, Any] = {"api_version": {"version": "2"}}
    if not ex.script.omit_usage:
        meta["billed_units"] = apply_malformed({"input_tokens": billed}, ex.script)
    obj = {
        "id": _id(ex),
        "embeddings": {kind: vectors for kind in types},
        "texts": inputs,
        "meta": meta,
        "response_type": "embeddings_by_type",
    }
    return JsonReply(200, obj, _headers(ex))
