"""Pure functions from Bedrock Runtime requests and responses to span attributes and usage.

Nothing here touches a span, a client or the network. Two APIs, two kinds of shape:

- Converse / ConverseStream: one shape for every model. ``usage.inputTokens`` EXCLUDES
  ``cacheReadInputTokens`` and ``cacheWriteInputTokens`` (``provider_usage.bedrock_usage`` adds
  them back, as for Anthropic).
- InvokeModel / InvokeModelWithResponseStream: the body is the model vendor's own JSON. Usage is
  read from the body where the vendor reports it (Anthropic ``usage``, Amazon Nova ``usage``,
  Meta Llama ``prompt_token_count``/``generation_token_count``, Titan embeddings
  ``inputTextTokenCount``), else from the ``x-amzn-bedrock-input-token-count`` /
  ``-output-token-count`` response headers (Mistral, Cohere), or in a stream from the
  ``amazon-bedrock-invocationMetrics`` Bedrock adds to the last chunk. :class:`InvokeReport`
  reads whole bodies and stream chunks alike: the vendor shapes do not overlap.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from otel_llm import semconv
from otel_llm.instrumentation._fingerprint import RequestLayout, RequestParts, make_parts
from otel_llm.instrumentation.anthropic._extract import merge_raw_usage, usage_from_raw
from otel_llm.provider_usage import bedrock_usage
from otel_llm.usage import Usage, openai_usage, read_counts

__all__ = [
    "InvokeReport",
    "converse_request_attributes",
    "converse_request_parts",
    "converse_response",
    "converse_usage",
    "decode_body",
    "invoke_operation",
    "invoke_request_attributes",
    "invoke_request_parts",
]

# The model id after an ARN's resource type ("inference-profile/", "foundation-model/") and a
# cross-region prefix ("us.", "global."): what names the model's family.
_REGION = re.compile(r"^(?:us|eu|apac|ap|au|jp|ca|us-gov|global)\.")
_EMBEDDING_FAMILIES = ("amazon.titan-embed", "cohere.embed", "amazon.nova-2-multimodal-embeddings")
_HEADER_INPUT = "x-amzn-bedrock-input-token-count"
_HEADER_OUTPUT = "x-amzn-bedrock-output-token-count"
_HEADER_CACHE_READ = "x-amzn-bedrock-cache-read-input-token-count"
_HEADER_CACHE_WRITE = "x-amzn-bedrock-cache-write-input-token-count"
_INVOCATION_METRICS = "amazon-bedrock-invocationMetrics"
# Tuples of types, not unions: ``isinstance(x, int | float)`` builds the union on every call.
_NUMBER = (int, float)
_JSON_TEXT = (bytes, bytearray, str)


@lru_cache(maxsize=256)
def _family(model_id: str) -> str:
    """Cached: a process calls a handful of models, and a regex substitution per call adds up."""
    return _REGION.sub("", model_id.rsplit("/", 1)[-1].lower())


def invoke_operation(model_id: object) -> str:
    """``embeddings`` for the embedding models, ``chat`` for every other InvokeModel call."""
    if isinstance(model_id, str) and _family(model_id).startswith(_EMBEDDING_FAMILIES):
        return semconv.OP_EMBEDDINGS
    return semconv.OP_CHAT


def _count(value: object) -> int | None:
    """A count (``maxTokens``, ``top_k``) as usage counts are read: None when absent or no count."""
    (count,), _ = read_counts(value)
    return count


def _number(value: object) -> float | None:
    return None if isinstance(value, bool) or not isinstance(value, _NUMBER) else float(value)


def _sampling(attrs: dict[str, Any], config: Mapping[str, Any], keys: Mapping[str, str]) -> None:
    """Copy the inference settings named in ``keys`` (request key -> attribute) that are well typed.

    The request's keys are visited, not the table's: a body holds a handful of keys, the table
    spells each setting for every vendor (fourteen). A body that spells one setting twice keeps
    the spelling it gives last.
    """
    for key, value in config.items():
        attr = keys.get(key)
        if attr is None or value is None:
            continue
        if attr == semconv.GEN_AI_REQUEST_STOP_SEQUENCES:
            if isinstance(value, list) and all(isinstance(s, str) for s in value):
                attrs[attr] = list(value)
        elif attr in (semconv.GEN_AI_REQUEST_MAX_TOKENS, semconv.GEN_AI_REQUEST_TOP_K):
            count = _count(value)
            if count is not None:
                attrs[attr] = count
        else:
            number = _number(value)
            if number is not None:
                attrs[attr] = number


_CONVERSE_CONFIG = {
    "maxTokens": semconv.GEN_AI_REQUEST_MAX_TOKENS,
    "temperature": semconv.GEN_AI_REQUEST_TEMPERATURE,
    "topP": semconv.GEN_AI_REQUEST_TOP_P,
    "stopSequences": semconv.GEN_AI_REQUEST_STOP_SEQUENCES,
}
# Every vendor's spelling in an InvokeModel body (Anthropic, Nova's inferenceConfig, Llama, Mistral,
# Cohere); the spellings do not collide, so one table reads them all.
_INVOKE_CONFIG = {
    "max_tokens": semconv.GEN_AI_REQUEST_MAX_TOKENS,
    "max_new_tokens": semconv.GEN_AI_REQUEST_MAX_TOKENS,
    "max_gen_len": semconv.GEN_AI_REQUEST_MAX_TOKENS,
    "maxTokens": semconv.GEN_AI_REQUEST_MAX_TOKENS,
    "temperature": semconv.GEN_AI_REQUEST_TEMPERATURE,
    "top_p": semconv.GEN_AI_REQUEST_TOP_P,
    "topP": semconv.GEN_AI_REQUEST_TOP_P,
    "p": semconv.GEN_AI_REQUEST_TOP_P,
    "top_k": semconv.GEN_AI_REQUEST_TOP_K,
    "topK": semconv.GEN_AI_REQUEST_TOP_K,
    "k": semconv.GEN_AI_REQUEST_TOP_K,
    "stop_sequences": semconv.GEN_AI_REQUEST_STOP_SEQUENCES,
    "stopSequences": semconv.GEN_AI_REQUEST_STOP_SEQUENCES,
    "stop": semconv.GEN_AI_REQUEST_STOP_SEQUENCES,
}


def _model(params: Mapping[str, Any]) -> dict[str, Any]:
    model = params.get("modelId")
    return {semconv.GEN_AI_REQUEST_MODEL: model} if isinstance(model, str) and model else {}


def converse_request_attributes(params: Mapping[str, Any], *, stream: bool) -> dict[str, Any]:
    """Request attributes from ``converse``/``converse_stream`` parameters."""
    attrs = _model(params)
    config = params.get("inferenceConfig")
    if isinstance(config, Mapping):
        _sampling(attrs, config, _CONVERSE_CONFIG)
    attrs[semconv.GEN_AI_REQUEST_STREAM] = stream
    return attrs


def decode_body(body: object) -> Mapping[str, Any] | None:
    """An InvokeModel JSON body (``str``, ``bytes``, or a readable file) as a dict, or None.

    A file object is left unread: reading it would consume what boto3 is about to send.
    """
    if isinstance(body, _JSON_TEXT):
        try:
            decoded = json.loads(body)
        except ValueError:
            return None
        return decoded if isinstance(decoded, dict) else None
    return None


def invoke_request_attributes(
    params: Mapping[str, Any], body: Mapping[str, Any] | None, *, stream: bool
) -> dict[str, Any]:
    """Request attributes from ``invoke_model``/``..._with_response_stream`` parameters and their
    body, decoded once by the caller (:func:`decode_body`) for the attributes, shape and content."""
    attrs = _model(params)
    if body is not None:
        _sampling(attrs, body, _INVOKE_CONFIG)
        config = body.get("inferenceConfig")  # Amazon Nova
        if isinstance(config, Mapping):
            _sampling(attrs, config, _INVOKE_CONFIG)
    attrs[semconv.GEN_AI_REQUEST_STREAM] = stream
    return attrs


# Explicit cache breakpoints: Converse's and Nova's ``cachePoint`` blocks, Anthropic's
# ``cache_control`` in an InvokeModel body. Bedrock caches nothing without them.
_CACHE_MARKERS = frozenset(["cachePoint", "cache_control"])
# Tool results go back in a "user" message: Converse/Nova ``toolResult`` blocks, Anthropic ``tool_result``.
_TOOL_RESULTS = frozenset(["toolResult", "tool_result"])
# Not the request the model sees: labels for the invocation logs (``requestMetadata``).
_CONVERSE_PARTS = ("messages", "system", "modelId", "requestMetadata")
_BODY_PARTS = ("messages", "system", "tools")
_BODY_MAX_TOKENS = ("max_tokens", "max_new_tokens", "max_gen_len", "maxTokens")
_SEQUENCE = (list, tuple)  # a tuple of types: isinstance with ``list | tuple`` builds the union every call
_SYSTEM = (str, list, tuple)
_CONVERSE_LAYOUT = RequestLayout(cache_keys=_CACHE_MARKERS, tool_result_types=_TOOL_RESULTS, part_keys=_CONVERSE_PARTS)
_BODY_LAYOUT = RequestLayout(cache_keys=_CACHE_MARKERS, tool_result_types=_TOOL_RESULTS, part_keys=_BODY_PARTS)


def _tools_apart(params: Mapping[str, Any]) -> tuple[list[Any] | None, Mapping[str, Any]]:
    """``toolConfig.tools`` as the tools, and the parameters with the rest of ``toolConfig``
    (``toolChoice``): the tools are hashed once, as tools."""
    config = params.get("toolConfig")
    tools = config.get("tools") if isinstance(config, Mapping) else None
    if not isinstance(tools, _SEQUENCE):
        return None, params
    return list(tools), {**params, "toolConfig": {k: v for k, v in config.items() if k != "tools"}}


def _list(value: object) -> Any:
    return value if isinstance(value, _SEQUENCE) else None


def converse_request_parts(params: Mapping[str, Any]) -> RequestParts:
    """The shape of a ``converse``/``converse_stream`` request: ``messages``, ``system`` blocks,
    ``toolConfig.tools``, ``inferenceConfig.maxTokens``; ``cachePoint`` blocks are explicit cache use."""
    tools, hashed = _tools_apart(params)
    config = params.get("inferenceConfig")
    return make_parts(
        params.get("modelId"),
        _list(params.get("messages")),
        _list(params.get("system")),
        tools,
        hashed,
        isinstance(config, Mapping) and _count(config.get("maxTokens")) is not None,
        _CONVERSE_LAYOUT,
    )


def invoke_request_parts(params: Mapping[str, Any], body: Mapping[str, Any] | None) -> RequestParts:
    """The shape of an ``invoke_model`` request from its decoded body, the model vendor's JSON.

    A body with ``messages`` (Anthropic's Messages API, Amazon Nova, Mistral's chat) is a
    conversation: ``system`` and ``tools`` (or Nova's ``toolConfig.tools``) beside it, ``cache_control``
    or ``cachePoint`` blocks as explicit cache use. A prompt-only body (Llama, Titan, Cohere's
    ``message``, embeddings) is hashed whole as parameters: a fingerprint, no prefix, no turns.
    A body that is not JSON (or a file) gets the model's fingerprint only.
    """
    body = body or {}
    tools, hashed = _tools_apart(body)
    if tools is None:
        tools = _list(body.get("tools"))
    config = body.get("inferenceConfig")  # Amazon Nova
    limits = (body, config) if isinstance(config, Mapping) else (body,)
    system = body.get("system")
    # Only a value that is there is read as a count (most of the eight are absent).
    values = [value for limit in limits for value in map(limit.get, _BODY_MAX_TOKENS) if value is not None]
    return make_parts(
        params.get("modelId"),
        _list(body.get("messages")),
        system if isinstance(system, _SYSTEM) else None,
        tools,
        hashed,
        any(_count(value) is not None for value in values),
        _BODY_LAYOUT,
    )


def converse_usage(usage: object) -> Usage | None:
    """Converse's ``usage`` (also the ``metadata`` event's): cache reads and writes added to input."""
    if not isinstance(usage, Mapping):
        return None
    return bedrock_usage(
        usage.get("inputTokens"),
        usage.get("outputTokens"),
        cache_read_input_tokens=usage.get("cacheReadInputTokens", 0),
        cache_write_input_tokens=usage.get("cacheWriteInputTokens", 0),
    )


def converse_response(response: Mapping[str, Any]) -> tuple[dict[str, Any], Usage | None]:
    """Attributes and usage of a ``converse`` response."""
    attrs: dict[str, Any] = {}
    stop = response.get("stopReason")
    if isinstance(stop, str):
        attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = [stop]
    return attrs, converse_usage(response.get("usage"))


def _header_count(headers: Mapping[str, Any], name: str) -> int | None:
    value = headers.get(name)
    return int(value) if isinstance(value, str) and value.isdigit() else None


class InvokeReport:
    """What an InvokeModel body, or the chunks of its stream, said about finish and usage."""

    __slots__ = ("_anthropic", "_finish", "_metrics", "_usage")

    def __init__(self) -> None:
        self._anthropic: dict[str, int] = {}  # raw Anthropic counts, merged as Anthropic streams them
        self._usage: Usage | None = None  # another vendor's counts (Nova, Llama, Titan)
        self._metrics: Mapping[str, Any] | None = None  # Bedrock's own, on a stream's last chunk
        self._finish: str | None = None

    def add(self, obj: Mapping[str, Any]) -> None:
        """Read one response body or one decoded stream chunk."""
        kind = obj.get("type")
        if kind in ("message", "message_delta", "message_start"):  # Anthropic
            message = obj.get("message") if kind == "message_start" else obj
            if isinstance(message, Mapping):
                merge_raw_usage(self._anthropic, message.get("usage"))
            delta = obj.get("delta") if kind == "message_delta" else obj
            self._finish_reason(delta.get("stop_reason") if isinstance(delta, Mapping) else None)
        elif "inputTextTokenCount" in obj:  # Titan embeddings
            self._usage = openai_usage(obj.get("inputTextTokenCount"), None)
        elif "prompt_token_count" in obj or "generation_token_count" in obj:  # Llama (streams: cumulative)
            self._llama(obj)
        else:
            self._amazon_or_other(obj)
        metrics = obj.get(_INVOCATION_METRICS)
        if isinstance(metrics, Mapping):
            self._metrics = metrics

    def _llama(self, obj: Mapping[str, Any]) -> None:
        known = self._usage or Usage()
        newer = openai_usage(obj.get("prompt_token_count"), obj.get("generation_token_count"))
        self._usage = known.merged(newer)
        self._finish_reason(obj.get("stop_reason"))

    def _amazon_or_other(self, obj: Mapping[str, Any]) -> None:
        usage = obj.get("usage")
        metadata = obj.get("metadata")
        if isinstance(metadata, Mapping):  # Nova stream's last event
            usage = metadata.get("usage")
        if isinstance(usage, Mapping):  # Nova: cache counts outside inputTokens, as in Converse
            self._usage = bedrock_usage(
                usage.get("inputTokens"),
                usage.get("outputTokens"),
                cache_read_input_tokens=usage.get("cacheReadInputTokenCount", 0),
                cache_write_input_tokens=usage.get("cacheWriteInputTokenCount", 0),
            )
        stop = obj.get("messageStop")
        self._finish_reason(
            obj.get("stopReason")  # Nova
            or (stop.get("stopReason") if isinstance(stop, Mapping) else None)
            or obj.get("finish_reason")  # Cohere
            or _mistral_stop(obj.get("outputs"))
        )

    def _finish_reason(self, reason: object) -> None:
        if isinstance(reason, str) and reason:
            self._finish = reason

    def attributes(self) -> dict[str, Any]:
        return {semconv.GEN_AI_RESPONSE_FINISH_REASONS: [self._finish]} if self._finish else {}

    def usage(self, headers: Mapping[str, Any] | None = None) -> Usage | None:
        """The vendor's own counts, else the stream's invocation metrics, else the response headers."""
        if self._anthropic:
            return usage_from_raw(self._anthropic)
        if self._usage is not None and not self._usage.is_empty:
            return self._usage
        if self._metrics is not None:
            m = self._metrics
            return bedrock_usage(
                m.get("inputTokenCount"),
                m.get("outputTokenCount"),
                cache_read_input_tokens=m.get("cacheReadInputTokenCount", 0),
                cache_write_input_tokens=m.get("cacheWriteInputTokenCount", 0),
            )
        if headers:
            inputs, outputs = _header_count(headers, _HEADER_INPUT), _header_count(headers, _HEADER_OUTPUT)
            if inputs is not None or outputs is not None:
                return bedrock_usage(
                    inputs,
                    outputs,
                    cache_read_input_tokens=_header_count(headers, _HEADER_CACHE_READ) or 0,
                    cache_write_input_tokens=_header_count(headers, _HEADER_CACHE_WRITE) or 0,
                )
        return None


def _mistral_stop(outputs: object) -> str | None:
    if isinstance(outputs, list) and outputs and isinstance(outputs[-1], Mapping):
        reason = outputs[-1].get("stop_reason")
        return reason if isinstance(reason, str) else None
    return None
