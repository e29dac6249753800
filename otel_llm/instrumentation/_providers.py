"""``gen_ai.provider.name`` and ``server.address``/``server.port`` from a client's base URL.

Many vendors serve the OpenAI wire format, so the OpenAI SDK's client says nothing about who is
billed; the host does. An SDK module calls ``endpoint_of(client_base_url)`` once per call and
``provider_for_host(host, sdk_default)``.

Choice for unrecognized hosts (localhost, a corporate proxy, a self-hosted gateway): they keep
the SDK's own provider (``openai`` for the OpenAI SDK, ``anthropic`` for Anthropic's). Such a
host is most often a proxy in front of that vendor, and its calls are priced at that vendor's
prices; naming it ``unknown`` would drop every proxied call from the cost rollups. A host that
is clearly another vendor is named after that vendor.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from otel_llm import semconv

__all__ = ["Endpoint", "endpoint_of", "provider_for_host"]

Endpoint = tuple[str | None, int | None]

# (host suffix, provider): a host equal to the suffix or ending in "." + suffix matches.
_HOST_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("api.openai.com", semconv.PROVIDER_OPENAI),
    ("openai.azure.com", semconv.PROVIDER_AZURE_OPENAI),
    ("services.ai.azure.com", semconv.PROVIDER_AZURE_OPENAI),
    ("cognitiveservices.azure.com", semconv.PROVIDER_AZURE_OPENAI),
    ("api.anthropic.com", semconv.PROVIDER_ANTHROPIC),
    ("api.groq.com", semconv.PROVIDER_GROQ),
    ("api.deepseek.com", semconv.PROVIDER_DEEPSEEK),
    ("api.x.ai", semconv.PROVIDER_XAI),
    ("api.mistral.ai", semconv.PROVIDER_MISTRAL),
    ("openrouter.ai", semconv.PROVIDER_OPENROUTER),
    ("api.together.xyz", semconv.PROVIDER_TOGETHER),
    ("together.ai", semconv.PROVIDER_TOGETHER),
    ("generativelanguage.googleapis.com", semconv.PROVIDER_GCP_GEMINI),
    ("api.cohere.com", semconv.PROVIDER_COHERE),
    ("api.cohere.ai", semconv.PROVIDER_COHERE),
)

_DEFAULT_PORTS = {"https": 443, "http": 80}


@lru_cache(maxsize=256)
def endpoint_of(base_url: str) -> Endpoint:
    """Host (no scheme, path or credentials) and port of a base URL; (None, None) if unparseable.

    Cached: a process talks to a handful of base URLs, and this runs on every call.
    """
    try:
        parts = urlsplit(base_url)
        host = parts.hostname
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None, None
    return (host or None), port


@lru_cache(maxsize=256)
def provider_for_host(host: str | None, sdk_default: str) -> str:
    if host:
        lowered = host.lower().rstrip(".")
        for suffix, provider in _HOST_SUFFIXES:
            if lowered == suffix or lowered.endswith("." + suffix):
                return provider
    return sdk_default
