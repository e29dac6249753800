"""Gemini wire format: ``generateContent``, ``streamGenerateContent?alt=sse`` and embeddings.

The same bodies serve the Gemini Developer API (``/v1beta/models/{model}:generateContent``) and
Vertex AI (``/v1beta1/projects/{p}/locations/{l}/publishers/google/models/{model}:...``); the
model comes from the URL, never from the body. Field names are the REST API's camelCase.

Usage follows Gemini's meaning, the traps this fake exists to exercise: ``promptTokenCount``
INCLUDES ``cachedContentTokenCount``; ``thoughtsTokenCount`` is OUTSIDE ``candidatesTokenCount``
but billed as output; ``toolUsePromptTokenCount`` is outside ``promptTokenCount`` but billed as
input. A stream repeats ``usageMetadata`` in every chunk, cumulatively (the last one is final),
so an instrumentation that sums the chunks over-counts.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from otel_llm.fake_provider._content import ReplyText, apply_malformed, count_tokens, plan_text, texts
from otel_llm.fake_provider._wire import Event, Exchange, JsonReply, StreamReply, retry_headers, stream_of

__all__ = ["embed", "error", "generate", "model_of", "predict"]

# google.rpc.Code names the API puts in ``error.status`` for each HTTP status.
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_DEFAULT_MESSAGES = {
    429: "Resource has been exhausted (e.g. check quota).",
    500: "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
    503: "The model is overloaded. Please try again later.",
}
_EMBEDDING_DIMS = 768


def model_of(path: str) -> str:
    """``gemini-2.5-flash`` from ``.../models/gemini-2.5-flash:generateContent``."""
    return path.rsplit("/models/", 1)[-1].split(":", 1)[0]


def _vertex(path: str) -> bool:
    return "/publishers/" in path


@dataclass(frozen=True)
class _Counts:
    prompt: int
    candidates: int
    cached: int
    thoughts: int
    tool_prompt: int

    def usage(self, candidates: int, *, final: bool, vertex: bool) -> dict[str, Any]:
        """``usageMetadata`` after ``candidates`` output tokens; thoughts and cache only in the final one."""
        thoughts = self.thoughts if final else 0
        usage: dict[str, Any] = {
            "promptTokenCount": self.prompt,
            "candidatesTokenCount": candidates,
            "totalTokenCount": self.prompt + candidates + thoughts + (self.tool_prompt if final else 0),
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": self.prompt}],
        }
        if final and self.cached:
            usage["cachedContentTokenCount"] = self.cached
            usage["cacheTokensDetails"] = [{"modality": "TEXT", "tokenCount": self.cached}]
        if final and thoughts:
            usage["thoughtsTokenCount"] = thoughts
        if final and self.tool_prompt:
            usage["toolUsePromptTokenCount"] = self.tool_prompt
        if vertex:
            usage["trafficType"] = "ON_DEMAND"
        return usage


def _prompt_texts(body: Mapping[str, Any]) -> list[str]:
    found = list(texts((body.get("systemInstruction") or {}).get("parts") or []))
    for content in body.get("contents") or []:
        if isinstance(content, Mapping):
            found.extend(texts(content.get("parts") or []))
    return found


def _counts(ex: Exchange, reply: ReplyText) -> _Counts:
    s = ex.script
    prompt = s.prompt_token_count
    if prompt is None:
        prompt = count_tokens(sum(map(len, _prompt_texts(ex.body))))
    candidates = len(reply.pieces) if s.candidates_token_count is None else s.candidates_token_count
    return _Counts(
        prompt,
        candidates,
        s.cached_content_token_count or 0,
        s.thoughts_token_count or 0,
        s.tool_use_prompt_token_count or 0,
    )


_SAMPLE_VALUES = {"string": "sample", "integer": 1, "number": 1.5, "boolean": True, "array": [], "object": {}}


def _function_call(body: Mapping[str, Any]) -> dict[str, Any] | None:
    """A call of the first declared function, unless the last turn already answers one.

    So a request with tools gets a function call, and the SDK's automatic function calling sends
    the function's result back in a second request, which gets text: the two-request flow of the
    real API. Arguments satisfy the declared parameters (JSON schema or Gemini's upper-case types).
    """
    declarations = [
        d
        for tool in body.get("tools") or []
        if isinstance(tool, Mapping)
        for d in tool.get("functionDeclarations") or []
        if isinstance(d, Mapping)
    ]
    contents = body.get("contents")
    last = contents[-1] if isinstance(contents, list) and contents and isinstance(contents[-1], Mapping) else {}
    answered = any(isinstance(p, Mapping) and "functionResponse" in p for p in last.get("parts") or [])
    if not declarations or answered:
        return None
    declared = declarations[0]
    schema = (
        declared.get("parametersJsonSchema")
        or declared.get("parameters_json_schema")
        or declared.get("parameters")
        or {}
    )
    properties = schema.get("properties") or {}
    args = {name: _SAMPLE_VALUES.get(str(prop.get("type", "string")).lower()) for name, prop in properties.items()}
    return {"name": declared.get("name"), "args": args}


def _headers(ex: Exchange) -> dict[str, str]:
    return {"x-goog-request-id": f"fake{ex.serial:016x}", "server-timing": "gfet4t7; dur=1"}


def _response_id(ex: Exchange) -> str:
    return hashlib.sha256(f"gemini-{ex.serial}".encode()).hexdigest()[:22]


def _candidate(text: str, finish: str | None) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"parts": [{"text": text}], "role": "model"}, "index": 0}
    if finish is not None:
        candidate["finishReason"] = finish
    return candidate


def _response(ex: Exchange, candidate: dict[str, Any], usage: dict[str, Any] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"candidates": [candidate]}
    if usage is not None and not ex.script.omit_usage:
        body["usageMetadata"] = apply_malformed(usage, ex.script)
    body["modelVersion"] = model_of(ex.path)
    if _vertex(ex.path):
        body["createTime"] = "2026-01-01T00:00:00.000000Z"
    body["responseId"] = _response_id(ex)
    return body


def generate(ex: Exchange) -> JsonReply | StreamReply:
    """``:generateContent`` (one JSON body) or ``:streamGenerateContent`` (SSE, one response per event)."""
    config = ex.body.get("generationConfig") or {}
    reply = plan_text(ex.script, config.get("maxOutputTokens"), None)
    finish = "MAX_TOKENS" if reply.truncated else "STOP"
    counts = _counts(ex, reply)
    vertex = _vertex(ex.path)
    call = _function_call(ex.body)
    if call is not None and not ex.path.endswith(":streamGenerateContent"):
        candidate = {
            "content": {"parts": [{"functionCall": call}], "role": "model"},
            "finishReason": "STOP",
            "index": 0,
        }
        return JsonReply(
            200, _response(ex, candidate, counts.usage(counts.candidates, final=True, vertex=vertex)), _headers(ex)
        )
    if not ex.path.endswith(":streamGenerateContent"):
        usage = counts.usage(counts.candidates, final=True, vertex=vertex)
        return JsonReply(200, _response(ex, _candidate(reply.text, finish), usage), _headers(ex))
    deltas = [
        Event(
            _response(
                ex, _candidate(piece, None), counts.usage(min(i + 1, counts.candidates), final=False, vertex=vertex)
            )
        )
        for i, piece in enumerate(reply.pieces)
    ]
    final = Event(_response(ex, _candidate("", finish), counts.usage(counts.candidates, final=True, vertex=vertex)))
    stream_error = Event({"error": _error_body(500, ex.script.error_message)})
    return stream_of(ex.script, [], deltas, [final], stream_error, _headers(ex))


def _vector(text: str) -> list[float]:
    """A deterministic unit-ish vector per text, so equal inputs embed equally."""
    seed = hashlib.sha256(text.encode()).digest()
    raw = (seed * (_EMBEDDING_DIMS * 4 // len(seed) + 1))[: _EMBEDDING_DIMS * 4]
    return [round(v / 2**32, 6) for v in struct.unpack(f"<{_EMBEDDING_DIMS}I", raw)]


def _embed_tokens(ex: Exchange, inputs: list[str]) -> int:
    return (
        ex.script.prompt_token_count
        if ex.script.prompt_token_count is not None
        else sum(count_tokens(len(i)) for i in inputs)
    )


def embed(ex: Exchange) -> JsonReply:
    """``:batchEmbedContents`` (``requests[]``) and ``:embedContent`` (one ``content``)."""
    if ex.path.endswith(":batchEmbedContents"):
        requests = [r for r in ex.body.get("requests") or [] if isinstance(r, Mapping)]
        inputs = ["".join(texts((r.get("content") or {}).get("parts") or [])) for r in requests]
        body: dict[str, Any] = {"embeddings": [{"values": _vector(i)} for i in inputs]}
    else:
        inputs = ["".join(texts((ex.body.get("content") or {}).get("parts") or []))]
        body = {"embedding": {"values": _vector(inputs[0])}}
    tokens = _embed_tokens(ex, inputs)
    if not ex.script.omit_usage:
        body["usageMetadata"] = apply_malformed({"promptTokenCount": tokens, "totalTokenCount": tokens}, ex.script)
    return JsonReply(200, body, _headers(ex))


def predict(ex: Exchange) -> JsonReply:
    """Vertex's ``:predict`` for text embedding models: per-instance ``statistics.token_count``.

    Vertex writes these statistics in snake_case (``token_count``), unlike the rest of the API.
    """
    instances = [i for i in ex.body.get("instances") or [] if isinstance(i, Mapping)]
    inputs = [str(i.get("content") or "") for i in instances]
    per_input = [count_tokens(len(i)) for i in inputs]
    if ex.script.prompt_token_count is not None and per_input:
        per_input = [ex.script.prompt_token_count] + [0] * (len(per_input) - 1)
    predictions = [
        {"embeddings": {"values": _vector(i), "statistics": {"truncated": False, "token_count": n}}}
        for i, n in zip(inputs, per_input, strict=True)
    ]
    body = {"predictions": predictions, "metadata": {"billableCharacterCount": sum(map(len, inputs))}}
    return JsonReply(200, body, _headers(ex))


def _error_body(status: int, message: str | None) -> dict[str, Any]:
    return {
        "code": status,
        "message": message or _DEFAULT_MESSAGES.get(status, f"Request failed with status {status}."),
        "status": _STATUS_NAMES.get(status, "UNKNOWN"),
    }


def error(ex: Exchange, status: int) -> JsonReply:
    return JsonReply(
        status, {"error": _error_body(status, ex.script.error_message)}, {**_headers(ex), **retry_headers(ex.script)}
    )
