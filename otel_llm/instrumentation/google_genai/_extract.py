"""Pure functions from google-genai requests and responses to span attributes and usage.

Nothing here touches a span, a client or the network, so every rule about Gemini's shapes is
unit-tested on plain objects. The SDK's pydantic models and plain dicts (a config may be either)
go through the same reader, and a value of the wrong type is dropped, never recorded wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any, NamedTuple

from otel_llm import semconv
from otel_llm.instrumentation._fingerprint import RequestLayout, RequestParts, make_parts
from otel_llm.pricing.caching import cache_minimum_tokens
from otel_llm.provider_usage import gemini_usage
from otel_llm.usage import Usage

__all__ = [
    "embed_usage",
    "field",
    "fields_of",
    "finish_reason",
    "model_name",
    "read_request",
    "request_attributes",
    "request_parts",
    "response_attributes",
    "service_tier",
    "usage_from_metadata",
    "usage_from_response",
]

# GenerateContentConfig field -> attribute, for numbers passed through as they are.
_NUMERIC_CONFIG = (
    ("temperature", semconv.GEN_AI_REQUEST_TEMPERATURE),
    ("top_p", semconv.GEN_AI_REQUEST_TOP_P),
    ("top_k", semconv.GEN_AI_REQUEST_TOP_K),
    ("presence_penalty", semconv.GEN_AI_REQUEST_PRESENCE_PENALTY),
    ("frequency_penalty", semconv.GEN_AI_REQUEST_FREQUENCY_PENALTY),
)
_NUMBER = (int, float)  # a tuple, not ``int | float``: the union would be built on every call
# Tiers the price book prices apart; "unspecified" means standard, as the SDK documents.
_PRICED_TIERS = frozenset({"standard", "flex", "priority"})


def field(obj: Any, name: str) -> Any:
    """``obj.name`` of an SDK model, ``obj[name]`` of a dict; None if absent or unreadable."""
    return None if obj is None else fields_of(obj).get(name)


def _enum_text(value: Any) -> str | None:
    """The wire string of an SDK enum (``FinishReason.STOP`` -> ``STOP``) or of a plain string.
    An enum's is read as its ``_value_`` (what the ``value`` property returns, without the property)."""
    if type(value) is not str:
        value = value._value_ if isinstance(value, Enum) else getattr(value, "value", value)
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def model_name(model: Any) -> str | None:
    """The model id the price book knows, from any form the SDK accepts.

    ``models/gemini-2.5-flash``, ``publishers/google/models/gemini-2.5-flash`` and the full
    ``projects/.../models/gemini-2.5-flash`` all name ``gemini-2.5-flash``; a tuned model
    (``tunedModels/123``) is kept as it is, and is then reported unpriced, never guessed.
    """
    if not isinstance(model, str) or not model:
        return None
    if model.startswith("models/"):
        return model[len("models/") :] or None
    if "/models/" in model:
        return model.rsplit("/models/", 1)[1] or None
    return model


def service_tier(config: Any) -> str | None:
    """The tier the request asked for (``config.service_tier``), when it has prices of its own."""
    return _priced_tier(fields_of(config).get("service_tier")) if config is not None else None


def _priced_tier(value: Any) -> str | None:
    tier = _enum_text(value)
    return tier.lower() if tier and tier.lower() in _PRICED_TIERS else None


def request_attributes(kwargs: Mapping[str, Any], *, stream: bool = False) -> dict[str, Any]:
    """Request attributes from ``model``/``config`` of a generate or embed call."""
    config = kwargs.get("config")
    return _attributes(model_name(kwargs.get("model")), fields_of(config) if config is not None else {}, stream)


def _attributes(model: str | None, config: Mapping[str, Any], stream: bool) -> dict[str, Any]:
    """The request attributes from the model and the config's fields (``fields_of``: a dict, a
    model's ``__dict__``, or any other object read attribute by attribute)."""
    attrs: dict[str, Any] = {}
    if model:
        attrs[semconv.GEN_AI_REQUEST_MODEL] = model
    if stream:
        attrs[semconv.GEN_AI_REQUEST_STREAM] = True
    if not config:
        return attrs
    for name, key in _NUMERIC_CONFIG:
        value = config.get(name)
        if value is not None and isinstance(value, _NUMBER) and not isinstance(value, bool):
            attrs[key] = value
    max_tokens = _int(config.get("max_output_tokens"))
    if max_tokens is not None:
        attrs[semconv.GEN_AI_REQUEST_MAX_TOKENS] = max_tokens
    seed = _int(config.get("seed"))
    if seed is not None:
        attrs[semconv.GEN_AI_REQUEST_SEED] = seed
    count = _int(config.get("candidate_count"))
    if count is not None and count != 1:
        attrs[semconv.GEN_AI_REQUEST_CHOICE_COUNT] = count
    stops = config.get("stop_sequences")
    if isinstance(stops, Sequence) and not isinstance(stops, str) and stops and all(isinstance(s, str) for s in stops):
        attrs[semconv.GEN_AI_REQUEST_STOP_SEQUENCES] = list(stops)
    mime = config.get("response_mime_type")
    if isinstance(mime, str) and mime:
        attrs[semconv.GEN_AI_OUTPUT_TYPE] = "json" if mime == "application/json" else "text"
    return attrs


class GeminiRequest(NamedTuple):
    """What a call's span needs from its request. The config (a pydantic model of some forty
    fields) is read as its ``__dict__`` by every reader, not field by field through ``field``."""

    model: str | None
    attributes: dict[str, Any]
    parts: RequestParts
    service_tier: str | None


def read_request(kwargs: Mapping[str, Any], *, stream: bool = False, embeddings: bool = False) -> GeminiRequest:
    """The request's model, attributes, parts (for its shape) and priced service tier."""
    model = model_name(kwargs.get("model"))
    config = kwargs.get("config")
    fields = fields_of(config) if config is not None else {}
    return GeminiRequest(
        model,
        _attributes(model, fields, stream),
        _parts(model, kwargs, _config_fields(config), embeddings),
        _priced_tier(fields.get("service_tier")),
    )


_MAPPING, _MODEL, _OTHER = "mapping", "model", "other"
# How each type's fields are read, per type (a handful): the ABC and pydantic checks cost more
# than the reads they guard, and every response reads about a dozen fields.
_READ_AS: dict[type, str] = {dict: _MAPPING}


def fields_of(obj: Any) -> Mapping[str, Any]:
    """The fields of an SDK model (pydantic keeps them in ``__dict__``; the SDK's models allow no
    others) or of a mapping, to read several with plain ``get``s; any other object (a config with
    slots or properties, a namespace) is read attribute by attribute."""
    kind = type(obj)
    if kind is dict:
        return obj
    how = _READ_AS.get(kind)
    if how is None:
        how = _READ_AS[kind] = _MAPPING if issubclass(kind, Mapping) else (
            _MODEL if hasattr(kind, "__pydantic_fields__") else _OTHER)
    if how is _MODEL:
        return obj.__dict__
    return obj if how is _MAPPING else _Attributes(obj)


class _Attributes:
    """One object's attributes behind a Mapping's ``get``, for what ``fields_of`` cannot read directly."""

    __slots__ = ("_obj",)

    def __init__(self, obj: Any) -> None:
        self._obj = obj

    def get(self, name: str) -> Any:
        try:
            return getattr(self._obj, name, None)
        except Exception:  # a broken property on a foreign object is "not reported", not our crash
            return None


def response_attributes(response: Any) -> dict[str, Any]:
    """id, model version and finish reasons of a ``GenerateContentResponse`` (or a stream chunk)."""
    attrs: dict[str, Any] = {}
    fields = fields_of(response)
    response_id = fields.get("response_id")
    if isinstance(response_id, str) and response_id:
        attrs[semconv.GEN_AI_RESPONSE_ID] = response_id
    model = fields.get("model_version")
    if isinstance(model, str) and model:
        attrs[semconv.GEN_AI_RESPONSE_MODEL] = model
    reasons = _finish_reasons(fields.get("candidates"))
    if reasons:
        attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = reasons
    return attrs


def _finish_reasons(candidates: Any) -> list[str]:
    """Each candidate's finish reason, lower-cased as the semconv examples spell them."""
    if not isinstance(candidates, Sequence):
        return []
    reasons = [finish_reason(c) for c in candidates]
    return [r for r in reasons if r]


def finish_reason(candidate: Any) -> str | None:
    """One candidate's finish reason, lower-cased; None when it names none."""
    reason = _enum_text(fields_of(candidate).get("finish_reason"))
    return reason.lower() if reason else None


def usage_from_metadata(metadata: Any) -> Usage | None:
    """Normalized usage of one ``usage_metadata``; None when the response carried none.

    ``candidates_token_count`` is spelled ``response_token_count`` in the SDK's ``UsageMetadata``
    type (embeddings); either is read.
    """
    if metadata is None:
        return None
    fields = fields_of(metadata)
    candidates = fields.get("candidates_token_count")
    if candidates is None:
        candidates = fields.get("response_token_count")
    usage = gemini_usage(
        fields.get("prompt_token_count"),
        candidates,
        cached_content_token_count=fields.get("cached_content_token_count") or 0,
        thoughts_token_count=fields.get("thoughts_token_count") or 0,
        tool_use_prompt_token_count=fields.get("tool_use_prompt_token_count") or 0,
    )
    return None if usage.is_empty else usage


def usage_from_response(response: Any) -> Usage | None:
    return usage_from_metadata(field(response, "usage_metadata"))


def embed_usage(response: Any) -> Usage | None:
    """An ``EmbedContentResponse``'s input tokens: ``usage_metadata``, or Vertex's per-embedding counts.

    Vertex's ``:predict`` reports no usage object, only ``statistics.token_count`` per embedding
    (a float in the SDK's type); their sum is what the request bills. Embeddings have no output.
    """
    usage = usage_from_response(response)
    if usage is not None:
        return usage
    embeddings = field(response, "embeddings")
    if not isinstance(embeddings, Sequence) or not embeddings:
        return None
    counts = [field(field(e, "statistics"), "token_count") for e in embeddings]
    if any(c is None for c in counts):
        return None
    usage = gemini_usage(sum(counts), None)
    return None if usage.is_empty else usage


# Config fields that are not the request the model sees: transport, client-side loops, billing labels.
_NOT_REQUEST = frozenset(["http_options", "automatic_function_calling", "should_return_http_response", "labels"])
_SHAPE_PARTS = ("system_instruction", "tools")
# Explicit cache use: a cache made with ``caches.create`` named in the request.
_EXPLICIT_CACHE = frozenset(["cached_content"])
# A function's result goes back as a "user" message of ``function_response`` parts: an agent step, no turn.
_TOOL_RESULTS = frozenset(["function_response", "functionResponse"])
# Implicit caching is "enabled by default for all Gemini 2.5 and newer models"
# (https://ai.google.dev/gemini-api/docs/caching), from each model's minimum (``pricing.caching``).
_NO_IMPLICIT_CACHE = ("gemini-1.", "gemini-2.0-", "gemini-pro", "gemini-exp")
_SEQUENCE = (list, tuple)  # a tuple of types: isinstance with ``list | tuple`` builds the union every call


def implicit_cache_min_tokens(model: str | None) -> int | None:
    """The prefix from which Gemini caches by itself (2.5 and newer), None for a model that never does."""
    if not model or not model.startswith("gemini-") or model.startswith(_NO_IMPLICIT_CACHE):
        return None
    return cache_minimum_tokens(model)


def _is_content(item: Any) -> bool:
    """A ``Content`` (or its dict): a message with a role and parts, not a part of one."""
    return field(item, "parts") is not None or field(item, "role") is not None


def _plain_part(part: Any) -> Any:
    """A ``Part`` model as the dict of its given fields, as the fingerprint's slow path would make
    it (in one comprehension, not a walk of every field's type); a dict, or no model, as it is."""
    fields = getattr(part, "__dict__", None) if type(part) is not dict else None
    return {k: v for k, v in fields.items() if v is not None} if fields is not None else part


def _plain_content(content: Any) -> Any:
    """A ``Content`` model (a chat's history is made of them) as ``{"parts", "role"}``, its text
    parts plain: marshal takes them at once, where the models would send the whole request down
    the fingerprint's per-object slow path (5 µs a message)."""
    fields = getattr(content, "__dict__", None)
    if fields is None:
        return content
    parts = fields.get("parts")
    return {"parts": [_plain_part(p) for p in parts] if type(parts) is list else parts, "role": fields.get("role")}


def _messages(contents: Any) -> list[Any]:
    """``contents`` as messages, as the SDK sends them (``t_contents``): a ``Content`` is one
    message, and a run of parts (strings, ``Part``s, part dicts, files) is one "user" message.
    A string is written as the ``Part`` it becomes, and a run as the ``Content`` (its fields in
    the model's order), so ``"hi"`` and the chat history's ``Content(role="user", parts=[Part(text="hi")])``
    hash alike."""
    if contents is None:  # the SDK refuses it before sending; the span then counts no message
        return []
    items = contents if isinstance(contents, _SEQUENCE) else [contents]
    messages: list[Any] = []
    run: list[Any] = []
    for item in items:
        kind = type(item)
        if ("role" in item or "parts" in item) if kind is dict else (kind is not str and _is_content(item)):
            if run:
                messages.append({"parts": run, "role": "user"})
                run = []
            messages.append(_plain_content(item) if kind is not dict else item)
        else:
            run.append({"text": item} if kind is str else _plain_part(item))
    if run:
        messages.append({"parts": run, "role": "user"})
    return messages


def _tool(tool: Any) -> Any:
    """A tool as hashed: a Python function (automatic function calling) by its qualified name."""
    if callable(tool) and not isinstance(tool, type):
        return f"{getattr(tool, '__module__', '')}.{getattr(tool, '__qualname__', type(tool).__qualname__)}"
    return tool


def _config_fields(config: Any) -> dict[str, Any]:
    """The config's given fields (a pydantic ``GenerateContentConfig`` or its dict)."""
    if config is None:
        return {}
    fields = config if isinstance(config, Mapping) else getattr(config, "__dict__", None)
    if not isinstance(fields, Mapping):
        return {}
    return {k: v for k, v in fields.items() if v is not None and k not in _NOT_REQUEST}


_LAYOUTS: dict[int | None, RequestLayout] = {}


def _layout(automatic: int | None) -> RequestLayout:
    """The layout of a model's requests (they differ in the implicit caching minimum only), built once."""
    layout = _LAYOUTS.get(automatic)
    if layout is None:
        layout = _LAYOUTS[automatic] = RequestLayout(
            cache_keys=_EXPLICIT_CACHE, automatic_cache_min_tokens=automatic, tool_result_types=_TOOL_RESULTS,
            part_keys=_SHAPE_PARTS, content_key="parts")
    return layout


def request_parts(kwargs: Mapping[str, Any], *, embeddings: bool = False) -> RequestParts:
    """The request's parts for its shape: ``contents`` as messages (roles "user" and "model"),
    ``config.system_instruction`` and ``config.tools``, the other config fields as parameters;
    ``config.cached_content`` is an explicit cache use, and Gemini 2.5+ caches a long prefix by
    itself (:func:`implicit_cache_min_tokens`). Texts to embed are no conversation: a parameter."""
    return _parts(model_name(kwargs.get("model")), kwargs, _config_fields(kwargs.get("config")), embeddings)


def _parts(model: str | None, kwargs: Mapping[str, Any], params: dict[str, Any], embeddings: bool) -> RequestParts:
    if embeddings:
        return RequestParts(model=model, params={**params, "contents": kwargs.get("contents")})
    tools = params.get("tools")
    return make_parts(
        model,
        _messages(kwargs.get("contents")),
        params.get("system_instruction"),
        [_tool(t) for t in tools] if isinstance(tools, _SEQUENCE) else None,
        params,
        _int(params.get("max_output_tokens")) is not None,
        _layout(implicit_cache_min_tokens(model)),
    )
