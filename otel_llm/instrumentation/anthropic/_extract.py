"""Pure functions from Anthropic request keyword arguments and responses to span attributes and usage.

Nothing here touches a span, a client or the network, so every rule about Anthropic's shapes is
unit-tested on plain objects. Everything is tolerant: the SDK's pydantic models, plain dicts (raw
JSON, ``extra_body`` echoes) and malformed values all go through the same readers, and a value of
the wrong type is dropped rather than recorded wrong or raised.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import replace
from typing import Any

from otel_llm import semconv
from otel_llm.instrumentation._fingerprint import RequestLayout, RequestParts, make_parts
from otel_llm.usage import Usage, anthropic_usage

__all__ = [
    "RAW_USAGE_FIELDS",
    "field",
    "merge_raw_usage",
    "raw_usage",
    "request_attributes",
    "request_parts",
    "response_attributes",
    "usage_from_message",
    "usage_from_raw",
]

# The usage fields Anthropic reports, as paths into the usage object. Streams report them in two
# events; keeping them raw until the end lets the merge be "later replaces" on exactly these keys.
RAW_USAGE_FIELDS: dict[str, tuple[str, ...]] = {
    "input_tokens": ("input_tokens",),
    "output_tokens": ("output_tokens",),
    "cache_read_input_tokens": ("cache_read_input_tokens",),
    "cache_creation_input_tokens": ("cache_creation_input_tokens",),
    "ephemeral_1h_input_tokens": ("cache_creation", "ephemeral_1h_input_tokens"),
    "thinking_tokens": ("output_tokens_details", "thinking_tokens"),
}
# Set in the raw counts when a reported field was no count (negative, fractional, text): the
# usage is then marked malformed, so the call is flagged suspect rather than priced without it.
_MALFORMED_KEY = "malformed"


_NOT_PYDANTIC: Any = object()


def field(obj: object, name: str) -> Any:
    """One field of an SDK model or of a dict, or None; never raises on a foreign shape."""
    if obj is None:
        return None
    if isinstance(obj, dict):  # checked before the (slower) Mapping ABC: raw JSON is the common dict
        return obj.get(name)
    extra = getattr(obj, "__pydantic_extra__", _NOT_PYDANTIC)
    if extra is not _NOT_PYDANTIC:
        # A pydantic v2 model (every SDK object): declared fields live in __dict__, fields this SDK
        # version does not declare in __pydantic_extra__. getattr on an absent field makes pydantic
        # raise and catch an AttributeError (~1 µs each, several per usage object); this does not.
        value = obj.__dict__.get(name)
        if value is None and extra:
            value = extra.get(name)
        return value
    try:
        value = getattr(obj, name, None)
    except Exception:  # a broken property on a foreign object is "not reported", not our crash
        return None
    if value is None and isinstance(obj, Mapping):
        return obj.get(name)
    return value


def _count(value: object) -> int | None:
    """A token count as reported, or None when it is missing or not a count at all."""
    if type(value) is int:  # what the SDK's models hold: skip the union and float checks
        return value if value >= 0 else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    return int(value) if value >= 0 else None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def request_attributes(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Request attributes from the keyword arguments of ``messages.create`` and its siblings.

    The SDK's ``omit`` / ``NOT_GIVEN`` sentinels and values of the wrong type are skipped by the
    type checks, so an argument the user did not pass never shows up as an attribute.
    """
    attrs: dict[str, Any] = {}
    model = kwargs.get("model")
    if isinstance(model, str):
        attrs[semconv.GEN_AI_REQUEST_MODEL] = model
    max_tokens = kwargs.get("max_tokens")
    if _count(max_tokens) is not None:
        attrs[semconv.GEN_AI_REQUEST_MAX_TOKENS] = _count(max_tokens)
    for key, attr in (
        ("temperature", semconv.GEN_AI_REQUEST_TEMPERATURE),
        ("top_p", semconv.GEN_AI_REQUEST_TOP_P),
    ):
        value = _number(kwargs.get(key))
        if value is not None:
            attrs[attr] = value
    top_k = _count(kwargs.get("top_k"))
    if top_k is not None:
        attrs[semconv.GEN_AI_REQUEST_TOP_K] = top_k
    stops = kwargs.get("stop_sequences")
    if isinstance(stops, list | tuple) and all(isinstance(s, str) for s in stops):
        attrs[semconv.GEN_AI_REQUEST_STOP_SEQUENCES] = list(stops)
    stream = kwargs.get("stream")
    if isinstance(stream, bool):
        attrs[semconv.GEN_AI_REQUEST_STREAM] = stream
    return attrs


_SEQUENCE = (list, tuple)  # a tuple of types: isinstance with ``list | tuple`` builds the union every call
_SYSTEM = (str, list, tuple)
_LAYOUT = RequestLayout()  # cache_control markers; tool results as user messages of tool_result blocks


def request_parts(kwargs: Mapping[str, Any]) -> RequestParts:
    """The request's parts for its shape: ``system`` beside the messages, ``cache_control``
    blocks as the explicit cache markers; Anthropic caches nothing without them."""
    messages, tools = kwargs.get("messages"), kwargs.get("tools")
    system = kwargs.get("system")
    return make_parts(
        kwargs.get("model"),
        messages if isinstance(messages, _SEQUENCE) else None,
        system if isinstance(system, _SYSTEM) else None,
        tools if isinstance(tools, _SEQUENCE) else None,
        kwargs,
        _count(kwargs.get("max_tokens")) is not None,
        _LAYOUT,
    )


def response_attributes(message: object) -> dict[str, Any]:
    """``gen_ai.response.*`` from a ``Message`` (or the ``message`` of a ``message_start`` event)."""
    attrs: dict[str, Any] = {}
    response_id = field(message, "id")
    if isinstance(response_id, str):
        attrs[semconv.GEN_AI_RESPONSE_ID] = response_id
    model = field(message, "model")
    if isinstance(model, str):
        attrs[semconv.GEN_AI_RESPONSE_MODEL] = model
    stop_reason = field(message, "stop_reason")
    if isinstance(stop_reason, str):
        attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = [stop_reason]
    return attrs


def raw_usage(usage: object) -> dict[str, int]:
    """The reported raw counts of one usage object; fields that are absent or malformed are left out."""
    raw: dict[str, int] = {}
    if usage is None:  # most stream events carry no usage
        return raw
    for key, path in RAW_USAGE_FIELDS.items():
        value: Any = usage
        for name in path:  # inlined: a helper call per field is a measurable share of this loop
            value = field(value, name)
        if value is None:  # not reported (most of the optional fields): nothing to read
            continue
        count = _count(value)
        if count is not None:
            raw[key] = count
        elif value is not None:
            raw[_MALFORMED_KEY] = 1
    return raw


def merge_raw_usage(merged: MutableMapping[str, int], usage: object) -> None:
    """Fold one streamed usage report into ``merged``, in place.

    ``message_delta`` usage is cumulative and may repeat the input and cache counts of
    ``message_start``; a later reported value therefore replaces the earlier one and is never added.
    """
    merged.update(raw_usage(usage))


def usage_from_raw(raw: Mapping[str, int]) -> Usage:
    """Normalize merged raw counts once: input then includes cache reads and writes."""
    usage = anthropic_usage(
        raw.get("input_tokens"),
        raw.get("output_tokens"),
        cache_read_input_tokens=raw.get("cache_read_input_tokens", 0),
        cache_creation_input_tokens=raw.get("cache_creation_input_tokens", 0),
        cache_creation_1h_input_tokens=raw.get("ephemeral_1h_input_tokens", 0),
    )
    if raw.get(_MALFORMED_KEY):
        usage = replace(usage, malformed=True)
    thinking = raw.get("thinking_tokens", 0)
    if thinking and usage.output_tokens is not None:
        # Reasoning is part of output_tokens already: a report above the total is kept as reported,
        # so the lifecycle flags the call as suspect instead of trusting either number.
        usage = replace(usage, reasoning_tokens=thinking)
    return usage


def usage_from_message(message: object) -> Usage:
    """Normalized usage of a complete ``Message``; empty when the response carried none."""
    return usage_from_raw(raw_usage(field(message, "usage")))
