"""Pure extraction from mistralai requests: kwargs and the SDK object in, attributes out.

Mistral's bodies are OpenAI's shape (``choices``, ``usage.prompt_tokens``, cached tokens in
``usage.prompt_tokens_details``), so responses and usage are read by the OpenAI package's
extraction; only what Mistral names differently is read here. The SDK's ``UNSET`` sentinel is
neither a number nor a string, so an argument the user did not pass drops out by type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from otel_llm import semconv
from otel_llm.instrumentation._providers import ClientEndpoint, url_endpoint
from otel_llm.instrumentation.openai._extract import request_attributes as openai_request_attributes

__all__ = ["endpoint", "request_attributes"]


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def request_attributes(kwargs: Mapping[str, Any], *, streaming: bool) -> dict[str, Any]:
    """OpenAI's request attributes plus Mistral's ``random_seed`` and ``top_k``; ``chat.stream``
    takes no ``stream`` argument, so the method says whether the call streams."""
    attrs = openai_request_attributes(kwargs)
    seed = _int(kwargs.get("random_seed"))
    if seed is not None:
        attrs[semconv.GEN_AI_REQUEST_SEED] = seed
    top_k = _int(kwargs.get("top_k"))
    if top_k is not None:
        attrs[semconv.GEN_AI_REQUEST_TOP_K] = top_k
    if streaming:
        attrs[semconv.GEN_AI_REQUEST_STREAM] = True
    return attrs


def endpoint(sdk: Any, kwargs: Mapping[str, Any]) -> ClientEndpoint:
    """Provider, host and port of a call: the per-call ``server_url`` if given, else the client's.

    ``sdk`` is the resource (``client.chat``); its ``sdk_configuration`` resolves ``server`` names
    (``eu``, ``us``) and ``server_url`` the way the SDK itself does.
    """
    url = kwargs.get("server_url")
    if not isinstance(url, str) or not url:
        try:
            url, _ = sdk.sdk_configuration.get_server_details()
        except (AttributeError, ValueError):  # an unknown ``server`` name: the SDK raises its own error
            url = None
    return url_endpoint(url if isinstance(url, str) else None, semconv.PROVIDER_MISTRAL)
