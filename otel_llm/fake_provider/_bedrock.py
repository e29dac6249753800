"""Amazon Bedrock Runtime wire format: Converse and InvokeModel, JSON and binary eventstream.

Paths are ``/model/{modelId}/converse``, ``/converse-stream``, ``/invoke`` and
``/invoke-with-response-stream``; the model id (URL-encoded when it is an ARN) is in the path,
never in the body. Usage follows each API's own meaning:

- Converse (``usage`` in the reply, ``metadata`` event in the stream): ``inputTokens`` EXCLUDES
  ``cacheReadInputTokens`` and ``cacheWriteInputTokens``, as Anthropic's own API does. Script
  fields: ``input_tokens``, ``output_tokens``, ``cache_read_tokens``, ``cache_write_5m_tokens``.
- InvokeModel: the body is the model vendor's own format (Anthropic Messages, Amazon Nova, Titan
  embeddings, Meta Llama, Mistral, Cohere); the counts are in the body where the vendor reports
  them, and always in the ``x-amzn-bedrock-input-token-count`` / ``-output-token-count``
  headers. Streams send each vendor chunk base64-encoded in a ``chunk`` event; the last one
  carries ``amazon-bedrock-invocationMetrics``.

Errors are Bedrock's: the error code in ``x-amzn-ErrorType`` and ``{"message": ...}`` in the body,
so botocore raises its own modeled exception (``ThrottlingException``...) and retries it.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from otel_llm.fake_provider import _anthropic
from otel_llm.fake_provider._content import apply_malformed, count_tokens, plan_text, texts
from otel_llm.fake_provider._eventstream import event_message, exception_message
from otel_llm.fake_provider._wire import Event, Exchange, JsonReply, StreamReply, status_phrase, stream_of

__all__ = ["EVENTSTREAM_CONTENT_TYPE", "converse", "converse_stream", "error", "invoke", "invoke_stream"]

EVENTSTREAM_CONTENT_TYPE = "application/vnd.amazon.eventstream"

_ERROR_CODES = {
    400: "ValidationException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    408: "ModelTimeoutException",
    424: "ModelErrorException",
    429: "ThrottlingException",
    500: "InternalServerException",
    503: "ServiceUnavailableException",
}
_ERROR_TYPE_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.bedrock/"


def model_id(path: str) -> str:
    """The model id from ``/model/{modelId}/{operation}``, percent-decoded (ARNs are encoded)."""
    inner = path.split("/model/", 1)[-1]
    return unquote(inner.rsplit("/", 1)[0])


def _request_id(ex: Exchange) -> str:
    return f"00000000-0000-4000-8000-{ex.serial:012d}"


def error(ex: Exchange, status: int) -> JsonReply:
    code = _ERROR_CODES.get(status, "InternalServerException")
    defaults = {429: "Too many requests, please wait before trying again."}
    message = ex.script.error_message or defaults.get(status, status_phrase(status))
    headers = {"x-amzn-ErrorType": code + _ERROR_TYPE_SUFFIX, "x-amzn-RequestId": _request_id(ex)}
    return JsonReply(status, {"message": message}, headers)


@dataclass(frozen=True)
class _Counts:
    input: int  # excluding cache reads and writes
    output: int
    cache_read: int
    cache_write: int


def _counts(ex: Exchange, prompt: Any, output: int) -> _Counts:
    s = ex.script
    default_input = count_tokens(sum(len(t) for t in texts(prompt)))

    def pick(override: int | None, default: int) -> int:
        return default if override is None else override

    return _Counts(
        input=pick(s.input_tokens, default_input),
        output=pick(s.output_tokens, output),
        cache_read=pick(s.cache_read_tokens, 0),
        cache_write=pick(s.cache_write_5m_tokens, 0),
    )


def _usage(ex: Exchange, counts: _Counts, output: int, *, nova: bool = False) -> dict[str, Any]:
    """Converse's ``usage`` (Nova's InvokeModel body spells the cache fields ``...TokenCount``)."""
    read_key, write_key = (
        ("cacheReadInputTokenCount", "cacheWriteInputTokenCount")
        if nova
        else ("cacheReadInputTokens", "cacheWriteInputTokens")
    )
    usage = {
        "inputTokens": counts.input,
        "outputTokens": output,
        "totalTokens": counts.input + output + counts.cache_read + counts.cache_write,
        read_key: counts.cache_read,
        write_key: counts.cache_write,
    }
    return apply_malformed(usage, ex.script)


def _converse_prompt(body: Mapping[str, Any]) -> list[Any]:
    return [body.get("system") or [], body.get("messages") or []]


def _max_tokens(config: Any, key: str) -> Any:
    return config.get(key) if isinstance(config, Mapping) else None


def converse(ex: Exchange) -> JsonReply:
    reply = plan_text(ex.script, _max_tokens(ex.body.get("inferenceConfig"), "maxTokens"), None)
    counts = _counts(ex, _converse_prompt(ex.body), len(reply.pieces))
    body: dict[str, Any] = {
        "output": {"message": {"role": "assistant", "content": [{"text": reply.text}]}},
        "stopReason": "max_tokens" if reply.truncated else "end_turn",
        "metrics": {"latencyMs": 12},
    }
    if not ex.script.omit_usage:
        body["usage"] = _usage(ex, counts, counts.output)
    return JsonReply(200, body, {"x-amzn-RequestId": _request_id(ex)})


def _framed(
    ex: Exchange, head: list[bytes], deltas: list[bytes], tail: list[bytes], headers: Mapping[str, str]
) -> StreamReply:
    """A Bedrock stream; a scripted ``error_event`` cut ends it with a modeled in-stream exception."""
    err = exception_message("modelStreamErrorException", ex.script.error_message or "Model stream error")
    return stream_of(
        ex.script,
        [Event(f) for f in head],
        [Event(f) for f in deltas],
        [Event(f) for f in tail],
        Event(err),
        {"x-amzn-RequestId": _request_id(ex), **headers},
        EVENTSTREAM_CONTENT_TYPE,
    )


def converse_stream(ex: Exchange) -> StreamReply:
    reply = plan_text(ex.script, _max_tokens(ex.body.get("inferenceConfig"), "maxTokens"), None)
    counts = _counts(ex, _converse_prompt(ex.body), len(reply.pieces))
    metadata: dict[str, Any] = {"metrics": {"latencyMs": 12}}
    if not ex.script.omit_usage:
        metadata["usage"] = _usage(ex, counts, counts.output)
    stop = "max_tokens" if reply.truncated else "end_turn"
    return _framed(
        ex,
        [event_message("messageStart", {"role": "assistant"})],
        [
            event_message("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": piece}})
            for piece in reply.pieces
        ],
        [
            event_message("contentBlockStop", {"contentBlockIndex": 0}),
            event_message("messageStop", {"stopReason": stop}),
            event_message("metadata", metadata),
        ],
        {},
    )


# --- InvokeModel: one body format per model vendor -----------------------------------------


@dataclass(frozen=True)
class _Invoked:
    """A vendor's reply: the JSON body, or the stream's chunk bodies; with the header counts."""

    body: Any
    chunks: list[dict[str, Any]]
    input_tokens: int
    output_tokens: int
    # ``chunks[lead : lead + deltas]`` are the content deltas (a scripted cut counts these).
    lead: int = 0
    deltas: int = 0


_FAMILIES = ("anthropic.", "amazon.titan-embed", "amazon.nova", "meta.", "mistral.", "cohere.embed", "cohere.")
_REGION = re.compile(r"^(?:us|eu|apac|ap|au|jp|ca|us-gov|global)\.")


def _vendor(model: str) -> str:
    """``us.anthropic.claude-...``, ``arn:...:inference-profile/eu.amazon.nova-...`` -> its family."""
    name = _REGION.sub("", model.rsplit("/", 1)[-1])
    return next((f for f in _FAMILIES if name.startswith(f)), "unknown")


def _anthropic_invoke(ex: Exchange, model: str, stream: bool) -> _Invoked:
    # The whole vendor stream: a scripted cut is applied once, to the Bedrock frames.
    whole = dataclasses.replace(ex.script, fail_mid_stream=None)
    reply = _anthropic.messages(dataclasses.replace(ex, body={**ex.body, "stream": stream}, script=whole), model=model)
    usage_of: Callable[[Any], Mapping[str, Any]] = lambda obj: obj.get("usage") or {}  # noqa: E731
    if isinstance(reply, JsonReply):
        u = usage_of(reply.body)
        return _Invoked(reply.body, [], _total_input(u), u.get("output_tokens") or 0)
    events = [e.data for e in reply.events]
    start = usage_of(events[0].get("message") or {})
    delta = next((usage_of(e) for e in events if e.get("type") == "message_delta"), {})
    kinds = [e.get("type") for e in events]
    lead = kinds.index("content_block_delta") if "content_block_delta" in kinds else len(kinds)
    deltas = kinds.count("content_block_delta")
    return _Invoked(None, events, _total_input(start), delta.get("output_tokens") or 0, lead, deltas)


def _total_input(usage: Mapping[str, Any]) -> int:
    return sum(
        int(usage.get(k) or 0) for k in ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
    )


def _nova_invoke(ex: Exchange, stream: bool) -> _Invoked:
    reply = plan_text(ex.script, _max_tokens(ex.body.get("inferenceConfig"), "max_new_tokens"), None)
    counts = _counts(ex, _converse_prompt(ex.body), len(reply.pieces))
    usage = _usage(ex, counts, counts.output, nova=True)
    stop = "max_tokens" if reply.truncated else "end_turn"
    total_in = counts.input + counts.cache_read + counts.cache_write
    if not stream:
        body: dict[str, Any] = {
            "output": {"message": {"role": "assistant", "content": [{"text": reply.text}]}},
            "stopReason": stop,
        }
        if not ex.script.omit_usage:
            body["usage"] = usage
        return _Invoked(body, [], total_in, counts.output)
    chunks: list[dict[str, Any]] = [{"messageStart": {"role": "assistant"}}]
    chunks += [{"contentBlockDelta": {"delta": {"text": p}, "contentBlockIndex": 0}} for p in reply.pieces]
    chunks += [{"contentBlockStop": {"contentBlockIndex": 0}}, {"messageStop": {"stopReason": stop}}]
    if not ex.script.omit_usage:
        chunks.append({"metadata": {"usage": usage}})
    return _Invoked(None, chunks, total_in, counts.output, 1, len(reply.pieces))


def _titan_embed(ex: Exchange) -> _Invoked:
    tokens = ex.script.input_tokens
    tokens = count_tokens(len(str(ex.body.get("inputText") or ""))) if tokens is None else tokens
    dims = int(ex.body.get("dimensions") or 8)
    body: dict[str, Any] = {"embedding": [0.125] * dims, "embeddingsByType": {"float": [0.125] * dims}}
    if not ex.script.omit_usage:
        body["inputTextTokenCount"] = tokens
    return _Invoked(body, [], tokens, 0)


def _llama_invoke(ex: Exchange, stream: bool) -> _Invoked:
    reply = plan_text(ex.script, ex.body.get("max_gen_len"), None)
    counts = _counts(ex, ex.body.get("prompt"), len(reply.pieces))
    stop = "length" if reply.truncated else "stop"
    if not stream:
        body = {
            "generation": reply.text,
            "prompt_token_count": counts.input,
            "generation_token_count": counts.output,
            "stop_reason": stop,
        }
        return _Invoked(body, [], counts.input, counts.output)
    chunks = [
        {
            "generation": piece,
            "prompt_token_count": counts.input if i == 0 else None,
            "generation_token_count": i + 1,
            "stop_reason": stop if i == len(reply.pieces) - 1 else None,
        }
        for i, piece in enumerate(reply.pieces)
    ]
    return _Invoked(None, chunks, counts.input, counts.output, 0, len(chunks) - 1)


def _mistral_invoke(ex: Exchange, stream: bool) -> _Invoked:
    """Mistral's body carries no usage: only the headers (or the stream's metrics) count."""
    reply = plan_text(ex.script, ex.body.get("max_tokens"), None)
    counts = _counts(ex, ex.body.get("prompt"), len(reply.pieces))
    stop = "length" if reply.truncated else "stop"
    if not stream:
        return _Invoked({"outputs": [{"text": reply.text, "stop_reason": stop}]}, [], counts.input, counts.output)
    chunks = [
        {"outputs": [{"text": p, "stop_reason": stop if i == len(reply.pieces) - 1 else None}]}
        for i, p in enumerate(reply.pieces)
    ]
    return _Invoked(None, chunks, counts.input, counts.output, 0, len(chunks) - 1)


def _cohere_invoke(ex: Exchange, stream: bool) -> _Invoked:
    """Cohere Command R's body carries no usage either."""
    reply = plan_text(ex.script, ex.body.get("max_tokens"), None)
    counts = _counts(ex, [ex.body.get("message"), ex.body.get("chat_history") or []], len(reply.pieces))
    body = {
        "response_id": f"fake-{ex.serial}",
        "text": reply.text,
        "generation_id": f"gen-{ex.serial}",
        "finish_reason": "MAX_TOKENS" if reply.truncated else "COMPLETE",
        "chat_history": [],
    }
    if not stream:
        return _Invoked(body, [], counts.input, counts.output)
    chunks: list[dict[str, Any]] = [{"is_finished": False, "event_type": "stream-start"}]
    chunks += [{"is_finished": False, "event_type": "text-generation", "text": p} for p in reply.pieces]
    chunks.append({"is_finished": True, "event_type": "stream-end", "finish_reason": body["finish_reason"]})
    return _Invoked(None, chunks, counts.input, counts.output, 1, len(reply.pieces))


def _cohere_embed(ex: Exchange) -> _Invoked:
    inputs = ex.body.get("texts") or []
    tokens = ex.script.input_tokens
    tokens = count_tokens(sum(len(t) for t in texts(inputs))) if tokens is None else tokens
    body = {"id": f"fake-{ex.serial}", "embeddings": [[0.125] * 8 for _ in inputs], "texts": inputs,
            "response_type": "embeddings_floats"}
    return _Invoked(body, [], tokens, 0)


# Model family -> its InvokeModel reply (model id, streamed?); embeddings models do not stream.
_VENDORS: dict[str, Callable[[Exchange, str, bool], _Invoked | None]] = {
    "anthropic.": _anthropic_invoke,
    "amazon.nova": lambda ex, model, stream: _nova_invoke(ex, stream),
    "meta.": lambda ex, model, stream: _llama_invoke(ex, stream),
    "mistral.": lambda ex, model, stream: _mistral_invoke(ex, stream),
    "cohere.": lambda ex, model, stream: _cohere_invoke(ex, stream),
    "amazon.titan-embed": lambda ex, model, stream: None if stream else _titan_embed(ex),
    "cohere.embed": lambda ex, model, stream: None if stream else _cohere_embed(ex),
}


def _invoked(ex: Exchange, stream: bool) -> _Invoked | None:
    model = model_id(ex.path)
    answer = _VENDORS.get(_vendor(model))
    return None if answer is None else answer(ex, model, stream)


def _count_headers(invoked: _Invoked) -> dict[str, str]:
    return {
        "x-amzn-bedrock-input-token-count": str(invoked.input_tokens),
        "x-amzn-bedrock-output-token-count": str(invoked.output_tokens),
        "x-amzn-bedrock-invocation-latency": "12",
    }


def invoke(ex: Exchange) -> JsonReply:
    invoked = _invoked(ex, stream=False)
    if invoked is None:
        return _unknown_model(ex)
    headers = {"x-amzn-RequestId": _request_id(ex), "X-Amzn-Bedrock-Content-Type": "application/json"}
    if not ex.script.omit_usage:
        headers.update(_count_headers(invoked))
    return JsonReply(200, invoked.body, headers)


def _chunk(payload: Mapping[str, Any]) -> bytes:
    return event_message("chunk", {"bytes": base64.b64encode(json.dumps(payload).encode()).decode()})


def invoke_stream(ex: Exchange) -> StreamReply | JsonReply:
    invoked = _invoked(ex, stream=True)
    if invoked is None:
        return _unknown_model(ex)
    chunks = [dict(c) for c in invoked.chunks]
    if not ex.script.omit_usage:
        chunks[-1]["amazon-bedrock-invocationMetrics"] = {
            "inputTokenCount": invoked.input_tokens,
            "outputTokenCount": invoked.output_tokens,
            "invocationLatency": 12,
            "firstByteLatency": 3,
        }
    frames = [_chunk(c) for c in chunks]
    cut = invoked.lead + invoked.deltas
    head, deltas, tail = frames[: invoked.lead], frames[invoked.lead : cut], frames[cut:]
    return _framed(ex, head, deltas, tail, {"X-Amzn-Bedrock-Content-Type": "application/json"})


def _unknown_model(ex: Exchange) -> JsonReply:
    message = f"The provided model identifier is invalid: {model_id(ex.path)}"
    script = dataclasses.replace(ex.script, error_message=message)
    return error(dataclasses.replace(ex, script=script), 400)
