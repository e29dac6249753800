"""Pure extraction from cohere requests and responses: kwargs and SDK objects in, attributes out.

Cohere names things its own way: ``p``/``k`` for top-p/top-k, ``stop_sequences``, and
``embedding_types`` for the encoding formats. Its usage comes twice, and only ``billed_units``
is what is charged (``tokens`` counts the prompt template Cohere adds): v2 chat reports it in
``usage.billed_units``, embeddings and v1 chat in ``meta.billed_units``; the counts are JSON
numbers the SDK types as floats (``12.0``), read as counts by :func:`cohere_usage`. A response
names no model, so the call is priced by the request's model. Tolerant throughout: a field of
the wrong type (the SDK's ``OMIT`` sentinel included) is skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from otel_llm import semconv
from otel_llm.instrumentation._providers import ClientEndpoint, url_endpoint
from otel_llm.instrumentation.openai._extract import field
from otel_llm.provider_usage import cohere_usage
from otel_llm.usage import Usage

__all__ = ["endpoint", "request_attributes", "response_attributes", "usage_from_billed", "usage_from_response"]

_NUMBERS = (
    ("temperature", semconv.GEN_AI_REQUEST_TEMPERATURE),
    ("p", semconv.GEN_AI_REQUEST_TOP_P),
    ("frequency_penalty", semconv.GEN_AI_REQUEST_FREQUENCY_PENALTY),
    ("presence_penalty", semconv.GEN_AI_REQUEST_PRESENCE_PENALTY),
)
_INTEGERS = (
    ("max_tokens", semconv.GEN_AI_REQUEST_MAX_TOKENS),
    ("k", semconv.GEN_AI_REQUEST_TOP_K),
    ("seed", semconv.GEN_AI_REQUEST_SEED),
)


def _strings(value: Any) -> list[str] | None:
    if isinstance(value, Sequence) and not isinstance(value, str) and value and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def request_attributes(kwargs: Mapping[str, Any], *, streaming: bool) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    for name, key in _NUMBERS:
        value = kwargs.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            attrs[key] = value
    for name, key in _INTEGERS:
        value = kwargs.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            attrs[key] = value
    stops = _strings(kwargs.get("stop_sequences"))
    if stops:
        attrs[semconv.GEN_AI_REQUEST_STOP_SEQUENCES] = stops
    formats = _strings(kwargs.get("embedding_types"))
    if formats:
        attrs[semconv.GEN_AI_REQUEST_ENCODING_FORMATS] = formats
    if streaming:
        attrs[semconv.GEN_AI_REQUEST_STREAM] = True
    return attrs


def response_attributes(response: Any) -> dict[str, Any]:
    """Id and finish reason (Cohere's own values: ``COMPLETE``, ``MAX_TOKENS``...) of v2 or v1 replies."""
    attrs: dict[str, Any] = {}
    response_id = field(response, "id") or field(response, "response_id")
    if isinstance(response_id, str) and response_id:
        attrs[semconv.GEN_AI_RESPONSE_ID] = response_id
    reason = field(response, "finish_reason")
    if isinstance(reason, str) and reason:
        attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = [reason]
    return attrs


def usage_from_billed(billed: Any) -> Usage | None:
    """Normalized usage of a ``billed_units`` object; None when the reply reported none."""
    if billed is None:
        return None
    usage = cohere_usage(field(billed, "input_tokens"), field(billed, "output_tokens"))
    return None if usage.is_empty else usage


def usage_from_response(response: Any) -> Usage | None:
    """v2 chat: ``usage.billed_units``; embeddings and v1 chat: ``meta.billed_units``."""
    holder = field(response, "usage") or field(response, "meta")
    return usage_from_billed(field(holder, "billed_units")) if holder is not None else None


def endpoint(client: Any) -> ClientEndpoint:
    """Provider, host and port from the client's base URL (``base_url=`` or ``CO_API_URL``)."""
    try:
        url = client._client_wrapper.get_base_url()
    except AttributeError:
        url = None
    return url_endpoint(url if isinstance(url, str) else None, semconv.PROVIDER_COHERE)
