"""``gen_ai.provider.name`` and ``server.address``/``server.port`` from a client's base URL.

Many vendors serve the OpenAI wire format, so the OpenAI SDK's client says nothing about who is
billed; the host does. A platform client of an SDK (``AzureOpenAI``, ``AnthropicBedrock``,
``AnthropicVertex``) is named by its class instead: those share the first-party resource classes
and their hosts vary. Every SDK module calls ``client_endpoint(client, sdk_default)`` once per call.

Choice for unrecognized hosts (localhost, a corporate proxy, a self-hosted gateway): they keep
the SDK's own provider (``openai`` for the OpenAI SDK, ``anthropic`` for Anthropic's). Such a
host is most often a proxy in front of that vendor, and its calls are priced at that vendor's
prices; naming it ``unknown`` would drop every proxied call from the cost rollups. A host that
is clearly another vendor is named after that vendor.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from otel_llm import semconv

__all__ = ["ClientEndpoint", "Endpoint", "client_endpoint", "endpoint_of", "provider_for_host", "url_endpoint"]

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

# Client classes (matched by name anywhere in the client's MRO, so no optional platform module is
# imported and the names hold from anthropic 0.x to 2.x) whose calls a platform bills.
_PLATFORM_CLIENTS = {
    "AzureOpenAI": semconv.PROVIDER_AZURE_OPENAI,
    "AsyncAzureOpenAI": semconv.PROVIDER_AZURE_OPENAI,
    "BaseBedrockClient": semconv.PROVIDER_AWS_BEDROCK,
    "BaseMantleClient": semconv.PROVIDER_AWS_BEDROCK,
    "BaseVertexClient": semconv.PROVIDER_GCP_VERTEX_AI,
}

_DEFAULT_PORTS = {"https": 443, "http": 80}


class ClientEndpoint(NamedTuple):
    provider: str
    host: str | None
    port: int | None


# id(base URL object) -> (that object, client type, sdk default, answer). A process talks to a few
# clients, and ``str(base_url)`` plus parsing cost more than the rest of a request's extraction.
# Holding the URL object keeps its id from being reused, so assigning ``client.base_url`` is seen
# at once; entries are only added (a dict store is atomic), and the dict is emptied past a bound.
_by_base_url: dict[int, tuple[Any, type, str, ClientEndpoint]] = {}
_MAX_CACHED_URLS = 64


def client_endpoint(client: Any, sdk_default: str) -> ClientEndpoint:
    """Provider, host and port of an SDK client (``resource._client``), cached per base URL object."""
    base_url = getattr(client, "base_url", None)
    cached = _by_base_url.get(id(base_url))
    if cached is not None and cached[0] is base_url and cached[1] is type(client) and cached[2] == sdk_default:
        return cached[3]
    host, port = endpoint_of(str(base_url)) if base_url is not None else (None, None)
    answer = ClientEndpoint(_platform_of(type(client)) or provider_for_host(host, sdk_default), host, port)
    if len(_by_base_url) >= _MAX_CACHED_URLS:
        _by_base_url.clear()
    _by_base_url[id(base_url)] = (base_url, type(client), sdk_default, answer)
    return answer


@lru_cache(maxsize=256)
def url_endpoint(base_url: str | None, sdk_default: str) -> ClientEndpoint:
    """Provider, host and port of a base URL string, for SDKs whose client holds a string
    (mistralai's ``server_url``, cohere's base URL) rather than a URL object."""
    host, port = endpoint_of(base_url) if base_url else (None, None)
    return ClientEndpoint(provider_for_host(host, sdk_default), host, port)


def _platform_of(client_type: type) -> str | None:
    for base in client_type.__mro__:
        provider = _PLATFORM_CLIENTS.get(base.__name__)
        if provider:
            return provider
    return None


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
