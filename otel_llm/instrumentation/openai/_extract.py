"""Pure extraction from OpenAI requests and responses: kwargs and SDK objects in, attributes out.

No span, no HTTP: every function takes what the SDK method received or returned and returns
plain data, so it is unit-tested on its own and shared by the sync, async, streamed and raw
paths. Everything is tolerant: a missing or malformed field is skipped (never guessed, never
raised on), because the provider, a proxy or an older SDK may send anything.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from otel_llm import semconv
from otel_llm.instrumentation._fingerprint import (
    AUTOMATIC_CACHE_MIN_TOKENS,
    RequestLayout,
    RequestParts,
    make_parts,
)
from otel_llm.usage import Usage, openai_usage

__all__ = [
    "field",
    "fields_of",
    "request_attributes",
    "request_parts",
    "response_attributes",
    "usage_from_response",
    "usage_from_usage_object",
    "with_stream_usage",
]

# kwargs name -> attribute, for values passed through as they are (numbers).
_NUMERIC_REQUEST_PARAMS = (
    ("temperature", semconv.GEN_AI_REQUEST_TEMPERATURE),
    ("top_p", semconv.GEN_AI_REQUEST_TOP_P),
    ("frequency_penalty", semconv.GEN_AI_REQUEST_FREQUENCY_PENALTY),
    ("presence_penalty", semconv.GEN_AI_REQUEST_PRESENCE_PENALTY),
)
_MAX_TOKENS_PARAMS = ("max_completion_tokens", "max_tokens", "max_output_tokens")
# Every other kwarg request_attributes reads; a call passing none of them takes the short path.
_RARE_REQUEST_PARAMS = frozenset(
    [name for name, _ in _NUMERIC_REQUEST_PARAMS]
    + ["seed", "n", "stop", "stream", "service_tier", "encoding_format", "response_format", "text"]
)
# Responses API status / incomplete reason -> the chat-style finish reason semconv expects.
_RESPONSES_FINISH = {
    "completed": "stop",
    "max_output_tokens": "length",
    "content_filter": "content_filter",
}
_UNFINISHED = ("in_progress", "queued")
_NO_FIELDS: Mapping[str, Any] = MappingProxyType({})


def field(obj: Any, name: str) -> Any:
    """``obj.name`` for SDK models, ``obj[name]`` for dicts; None if absent.

    This runs a dozen times per call and on every streamed chunk, so it avoids the two slow
    paths: ``getattr`` of an ABSENT name on a pydantic model (pydantic builds an error message,
    ~4 µs) and an ABC ``isinstance`` check against ``Mapping``. Pydantic models keep their fields
    in ``__dict__`` and unknown keys in ``__pydantic_extra__``.
    """
    if type(obj) is dict:
        return obj.get(name)
    fields = getattr(obj, "__dict__", None)
    if fields is not None and name in fields:
        return fields[name]
    if hasattr(obj, "__pydantic_fields_set__"):
        extra = getattr(obj, "__pydantic_extra__", None)
        return extra.get(name) if extra else None
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool):
        return None
    return value if isinstance(value, (int, float)) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def request_attributes(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Request attributes of any OpenAI create/parse call (chat, responses, embeddings, completions).

    The SDK's ``omit``/``NOT_GIVEN`` sentinels are neither numbers nor strings, so they drop out
    with every other value of the wrong type.
    """
    attrs: dict[str, Any] = {}
    if _RARE_REQUEST_PARAMS.isdisjoint(kwargs):  # the usual call: model, messages, max tokens
        max_tokens = _max_tokens(kwargs)
        if max_tokens is not None:
            attrs[semconv.GEN_AI_REQUEST_MAX_TOKENS] = max_tokens
        return attrs
    for name, key in _NUMERIC_REQUEST_PARAMS:
        value = _number(kwargs.get(name))
        if value is not None:
            attrs[key] = value
    max_tokens = _max_tokens(kwargs)
    if max_tokens is not None:
        attrs[semconv.GEN_AI_REQUEST_MAX_TOKENS] = max_tokens
    seed = _int(kwargs.get("seed"))
    if seed is not None:
        attrs[semconv.GEN_AI_REQUEST_SEED] = seed
    n = _int(kwargs.get("n"))
    if n is not None and n != 1:
        attrs[semconv.GEN_AI_REQUEST_CHOICE_COUNT] = n
    stop = kwargs.get("stop")
    if isinstance(stop, str):
        attrs[semconv.GEN_AI_REQUEST_STOP_SEQUENCES] = [stop]
    elif isinstance(stop, Sequence) and stop and all(isinstance(s, str) for s in stop):
        attrs[semconv.GEN_AI_REQUEST_STOP_SEQUENCES] = list(stop)
    if kwargs.get("stream") is True:
        attrs[semconv.GEN_AI_REQUEST_STREAM] = True
    tier = _str(kwargs.get("service_tier"))
    if tier:
        attrs[semconv.GEN_AI_REQUEST_SERVICE_TIER] = tier
    encoding = _str(kwargs.get("encoding_format"))
    if encoding:
        attrs[semconv.GEN_AI_REQUEST_ENCODING_FORMATS] = [encoding]
    output_type = _output_type(kwargs)
    if output_type:
        attrs[semconv.GEN_AI_OUTPUT_TYPE] = output_type
    return attrs


_CHAT_PARTS = ("messages", "tools", "model")
# OpenAI-compatible hosts that relay to Anthropic (OpenRouter, LiteLLM) take its cache_control blocks.
_CACHE_KEYS = frozenset(["cache_control"])
_RESPONSES_PARTS = ("input", "instructions", "tools", "model")
# Tool results come back as role "tool" (chat) or typed items (responses): no user message to look into.
_LAYOUTS: dict[tuple[int | None, bool], RequestLayout] = {}


def _layout(automatic: int | None, responses_api: bool) -> RequestLayout:
    """The layout of a host's requests: a host that caches by itself takes no markers (nothing to
    look for in the request); one per kind of host and API, built once."""
    layout = _LAYOUTS.get((automatic, responses_api))
    if layout is None:
        layout = _LAYOUTS[(automatic, responses_api)] = RequestLayout(
            cache_keys=frozenset() if automatic is not None else _CACHE_KEYS,
            automatic_cache_min_tokens=automatic, tool_result_types=frozenset(),
            part_keys=_RESPONSES_PARTS if responses_api else _CHAT_PARTS)
    return layout


def request_parts(kwargs: Mapping[str, Any], provider: str, *, responses_api: bool = False) -> RequestParts:
    """The request's parts for its shape: chat ``messages``, or the Responses API's ``input`` items
    (a plain string input is one user message) and ``instructions``; embeddings and legacy
    completions have no conversation, their input is hashed as a parameter."""
    messages = kwargs.get("messages")
    system = None
    if responses_api:
        messages = kwargs.get("input")
        if isinstance(messages, str):
            messages = ({"role": "user", "content": messages},)
        system = kwargs.get("instructions")
    tools = kwargs.get("tools")
    return make_parts(
        kwargs.get("model"),
        messages if isinstance(messages, (list, tuple)) else None,
        system if isinstance(system, str) else None,
        tools if isinstance(tools, (list, tuple)) else None,
        kwargs,
        _max_tokens(kwargs) is not None,
        _layout(AUTOMATIC_CACHE_MIN_TOKENS.get(provider), responses_api),
    )


def _max_tokens(kwargs: Mapping[str, Any]) -> int | None:
    for name in _MAX_TOKENS_PARAMS:
        value = kwargs.get(name)
        if value is not None and _int(value) is not None:  # most calls pass one or none of the three
            return value
    return None


def _output_type(kwargs: Mapping[str, Any]) -> str | None:
    fmt = kwargs.get("response_format")
    if fmt is None or isinstance(fmt, (int, float)):
        text = field(kwargs.get("text"), "format")  # Responses API: text={"format": {...}}
        fmt = text
    if isinstance(fmt, type):  # parse(response_format=PydanticModel)
        return "json"
    kind = _str(field(fmt, "type")) if fmt is not None else None
    if kind in ("json_object", "json_schema"):
        return "json"
    return "text" if kind == "text" else None


def fields_of(obj: Any) -> Mapping[str, Any]:
    """Every field of an SDK model or dict as ONE mapping (pydantic extras included), for
    extractions that read many names: one ``.get`` per name instead of one :func:`field` each."""
    if type(obj) is dict:
        return obj
    if hasattr(obj, "__pydantic_fields_set__"):
        extra = getattr(obj, "__pydantic_extra__", None)
        return {**obj.__dict__, **extra} if extra else obj.__dict__
    if isinstance(obj, Mapping):
        return obj
    fields = getattr(obj, "__dict__", None)
    return fields if fields is not None else _NO_FIELDS


def usage_from_usage_object(usage: Any) -> Usage | None:
    """Normalize any OpenAI usage object: chat/completions/embeddings or Responses API naming."""
    if usage is None:
        return None
    u = fields_of(usage)
    prompt, completion = u.get("prompt_tokens"), u.get("completion_tokens")
    if u.get("input_tokens") is not None or u.get("output_tokens") is not None:  # Responses API naming
        prompt, completion = u.get("input_tokens"), u.get("output_tokens")
        prompt_details, completion_details = u.get("input_tokens_details"), u.get("output_tokens_details")
    else:
        prompt_details, completion_details = u.get("prompt_tokens_details"), u.get("completion_tokens_details")
    pd = fields_of(prompt_details) if prompt_details is not None else _NO_FIELDS
    cd = fields_of(completion_details) if completion_details is not None else _NO_FIELDS
    cached = pd.get("cached_tokens")
    if not cached:
        # DeepSeek (OpenAI-compatible) reports cache hits only as a top-level count.
        cached = u.get("prompt_cache_hit_tokens")
    normalized = openai_usage(
        prompt,
        completion,
        cached_tokens=cached,
        reasoning_tokens=cd.get("reasoning_tokens"),
        input_audio_tokens=pd.get("audio_tokens"),
        output_audio_tokens=cd.get("audio_tokens"),
        cache_write_tokens=pd.get("cache_write_tokens"),
    )
    return None if normalized.is_empty else normalized


def usage_from_response(response: Any) -> Usage | None:
    """Usage of a complete response object (ChatCompletion, Response, embeddings, Completion)."""
    return usage_from_usage_object(field(response, "usage"))


def _finish_reasons(r: Mapping[str, Any]) -> list[str]:
    choices = r.get("choices")
    if isinstance(choices, Sequence) and not isinstance(choices, (str, bytes)):
        return [r for r in (_str(field(c, "finish_reason")) for c in choices) if r]
    status = _str(r.get("status"))
    if status is None or status in _UNFINISHED:
        return []
    reason = _str(field(r.get("incomplete_details"), "reason"))
    return [_RESPONSES_FINISH.get(reason or status, reason or status)]


def response_attributes(response: Any) -> dict[str, Any]:
    """id, model, finish reasons and service tier of a complete response (or a stream's summary)."""
    attrs: dict[str, Any] = {}
    r = fields_of(response)
    response_id = _str(r.get("id"))
    if response_id:
        attrs[semconv.GEN_AI_RESPONSE_ID] = response_id
    model = _str(r.get("model"))
    if model:
        attrs[semconv.GEN_AI_RESPONSE_MODEL] = model
    reasons = _finish_reasons(r)
    if reasons:
        attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = reasons
    tier = _str(r.get("service_tier"))
    if tier:
        attrs[semconv.GEN_AI_RESPONSE_SERVICE_TIER] = tier
    return attrs


def with_stream_usage(kwargs: dict[str, Any]) -> dict[str, Any] | None:
    """kwargs asking for the final usage chunk, or None if the user already set include_usage."""
    options = kwargs.get("stream_options")
    if isinstance(options, Mapping):
        if "include_usage" in options:
            return None
        return {**kwargs, "stream_options": {**options, "include_usage": True}}
    if options is None or not isinstance(options, (str, int, float, list)):  # absent or omit/NOT_GIVEN
        return {**kwargs, "stream_options": {"include_usage": True}}
    return None
