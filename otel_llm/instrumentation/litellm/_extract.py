"""Pure functions from LiteLLM's arguments and normalized responses to span attributes and usage.

LiteLLM answers every provider in OpenAI's shape, so OpenAI's readers do most of the work; what
is LiteLLM's own is settled here:

- **Who is billed.** The route prefix (``anthropic/``, ``bedrock/``, ``gemini/``, ``azure/``) or
  LiteLLM's own inference from a plain name, as ``litellm.get_llm_provider`` resolves it, mapped
  to ``gen_ai.provider.name``. Resolved once per (model, provider, api_base): it costs ~12 µs.
- **Usage.** ``prompt_tokens`` INCLUDE cache reads and cache writes on every route (LiteLLM adds
  Anthropic's and Bedrock's separate counts into it; OpenAI and Gemini report them included), so
  they are our normalized input as they stand. Cache reads are ``prompt_tokens_details.cached_tokens``,
  cache writes ``prompt_tokens_details.cache_creation_tokens`` (or the top-level
  ``cache_creation_input_tokens`` of the Anthropic route), 1-hour writes
  ``cache_creation_token_details.ephemeral_1h_input_tokens``, reasoning
  ``completion_tokens_details.reasoning_tokens`` (inside ``completion_tokens``).
- **LiteLLM's own cost** (``_hidden_params["response_cost"]``), already computed by LiteLLM for a
  complete response, is only read, for ``otel_llm.cost.reported_usd``; never computed by us.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache
from typing import Any, NamedTuple

from otel_llm import semconv
from otel_llm.instrumentation._fingerprint import RequestParts
from otel_llm.instrumentation._providers import endpoint_of
from otel_llm.instrumentation.openai._extract import (
    fields_of,
    request_parts,
    usage_from_usage_object,
    with_stream_usage,
)
from otel_llm.pricing.names import canonical_provider
from otel_llm.usage import Usage, read_counts

__all__ = [
    "Route",
    "answers_without_request",
    "hashed_request",
    "reported_cost",
    "route_of",
    "served_from_cache",
    "stream_usage_asked",
    "usage_from_litellm",
]

_log = logging.getLogger(__name__)

# The generation arguments that change what the model is asked; everything else LiteLLM accepts
# (keys, bases, retries, router metadata, call ids that differ on every call) is transport and
# would make identical requests look different to ``otel-llm advise``.
_GENERATION_PARAMS = frozenset(
    [
        "temperature", "top_p", "n", "stop", "max_tokens", "max_completion_tokens", "presence_penalty",
        "frequency_penalty", "logit_bias", "response_format", "seed", "tool_choice", "parallel_tool_calls",
        "logprobs", "top_logprobs", "reasoning_effort", "verbosity", "thinking", "modalities", "audio",
        "prediction", "web_search_options", "functions", "function_call", "dimensions", "encoding_format",
        "input", "prompt", "suffix", "echo", "best_of", "service_tier",
    ]
)


# Routes whose provider reports a stream's usage on its own wire format while LiteLLM handles
# ``stream_options`` itself (it never sends it to them): asking LiteLLM for the usage chunk changes
# nothing on the wire. Their usage without the ask is not whole on every version: LiteLLM 1.80
# drops the cache counts, 1.110 the Bedrock usage altogether.
_USAGE_ON_ASK = frozenset([semconv.PROVIDER_ANTHROPIC, semconv.PROVIDER_AWS_BEDROCK, semconv.PROVIDER_GCP_GEMINI])


class Route(NamedTuple):
    provider: str
    host: str | None
    port: int | None


def route_of(model: object, custom_llm_provider: object, api_base: object) -> Route:
    """Provider, host and port of a LiteLLM call; ``unknown`` when LiteLLM cannot route it either."""
    return _route(
        model if isinstance(model, str) else None,
        custom_llm_provider if isinstance(custom_llm_provider, str) else None,
        api_base if isinstance(api_base, str) else None,
    )


@lru_cache(maxsize=256)
def _route(model: str | None, custom_llm_provider: str | None, api_base: str | None) -> Route:
    host, port = endpoint_of(api_base) if api_base else (None, None)
    provider = custom_llm_provider
    if model and not provider:
        try:
            from litellm import get_llm_provider

            provider = get_llm_provider(model, api_base=api_base)[1]
        except Exception:  # LiteLLM raises the same for the call itself: recorded as its error
            _log.debug("otel-llm: LiteLLM cannot route model %r", model)
    return Route(canonical_provider(provider) or semconv.PROVIDER_UNKNOWN, host, port)


def stream_usage_asked(kwargs: dict[str, Any], provider: str) -> dict[str, Any] | None:
    """The kwargs with ``stream_options.include_usage`` added, for a stream of a provider in
    ``_USAGE_ON_ASK`` the user did not ask for usage; else None (the request goes as it is)."""
    if kwargs.get("stream") is not True or provider not in _USAGE_ON_ASK:
        return None
    return with_stream_usage(kwargs)


def hashed_request(kwargs: Mapping[str, Any], provider: str) -> RequestParts:
    """The request's shape from the messages, tools and generation arguments only."""
    params = {k: v for k, v in kwargs.items() if k in _GENERATION_PARAMS}
    for part in ("model", "messages", "tools"):
        if part in kwargs:
            params[part] = kwargs[part]
    return request_parts(params, provider)


def usage_from_litellm(usage: Any) -> Usage | None:
    """Normalized usage of LiteLLM's ``Usage`` (a complete response's, or a stream's total)."""
    normalized = usage_from_usage_object(usage)
    if normalized is None:
        return None
    top = fields_of(usage)
    details = fields_of(top.get("prompt_tokens_details"))
    (creation, top_level, write_1h), malformed = read_counts(
        details.get("cache_creation_tokens"),
        top.get("cache_creation_input_tokens"),
        fields_of(details.get("cache_creation_token_details")).get("ephemeral_1h_input_tokens"),
    )
    write = normalized.cache_write_tokens or creation or top_level or 0
    if write == normalized.cache_write_tokens and not write_1h and not malformed:
        return normalized
    return replace(
        normalized,
        cache_write_tokens=write,
        cache_write_1h_tokens=min(write_1h or 0, write),
        malformed=normalized.malformed or malformed,
    )


def answers_without_request(kwargs: Mapping[str, Any]) -> bool:
    """A mocked call (``mock_response``, ``mock_tool_calls``): LiteLLM makes up the reply and its
    usage, no model is called, so there is nothing to trace or price."""
    return kwargs.get("mock_response") is not None or kwargs.get("mock_tool_calls") is not None


def served_from_cache(response: Any) -> bool:
    """Whether LiteLLM answered from its own response cache (no provider request, nothing billed)."""
    hidden = getattr(response, "_hidden_params", None)
    return isinstance(hidden, Mapping) and hidden.get("cache_hit") is True


def reported_cost(response: Any) -> float | None:
    """LiteLLM's own cost of a complete response, when LiteLLM computed one."""
    hidden = getattr(response, "_hidden_params", None)
    cost = hidden.get("response_cost") if isinstance(hidden, Mapping) else None
    if isinstance(cost, bool) or not isinstance(cost, int | float):
        return None
    return float(cost)
