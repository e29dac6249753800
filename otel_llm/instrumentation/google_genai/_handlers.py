"""The google-genai call handlers: one per kind of request (content, streamed content, embeddings).

They wrap the SDK's per-request methods (``Models._generate_content`` and its siblings, see
``_methods``), so each HTTP request the SDK sends is one span priced on its own usage. Everything
that is the same for sync and async lives here once; the wrap table picks ``sync_call`` or
``async_call`` around the same handler.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from otel_llm import semconv
from otel_llm.instrumentation._lifecycle import LLMCall, Telemetry
from otel_llm.instrumentation._providers import ClientEndpoint, endpoint_of, provider_for_host
from otel_llm.instrumentation._stream import AsyncStreamProxy, SyncStreamProxy
from otel_llm.instrumentation._wrapping import CallHandler, call_context
from otel_llm.instrumentation.google_genai._extract import (
    embed_usage,
    read_request,
    response_attributes,
    usage_from_response,
)
from otel_llm.instrumentation.google_genai._messages import request_content, response_content
from otel_llm.instrumentation.google_genai._streams import GenerateStreamRecorder

__all__ = ["ContentHandler", "EmbedHandler", "StreamHandler", "api_endpoint"]


# The endpoint of each API client's settings, by (base URL, vertexai): the same for every call of
# a client, so it is worked out once per setting (a handful per program).
_ENDPOINTS: dict[tuple[object, bool], ClientEndpoint] = {}
_MAX_ENDPOINTS = 256


def api_endpoint(api_client: Any) -> ClientEndpoint:
    """Provider, host and port of a ``BaseApiClient``: Vertex AI when ``vertexai=True``, else Gemini.

    A base URL that is not Google's (a proxy, the fake provider) keeps the SDK's own provider, so
    its calls are still priced at Gemini's (or Vertex's) prices.
    """
    base_url = getattr(getattr(api_client, "_http_options", None), "base_url", None)
    vertexai = getattr(api_client, "vertexai", False) is True
    key = (base_url if isinstance(base_url, str) else None, vertexai)
    endpoint = _ENDPOINTS.get(key)
    if endpoint is None:
        if len(_ENDPOINTS) >= _MAX_ENDPOINTS:
            _ENDPOINTS.clear()
        endpoint = _ENDPOINTS[key] = _endpoint(*key)
    return endpoint


def _endpoint(base_url: str | None, vertexai: bool) -> ClientEndpoint:
    host, port = endpoint_of(base_url) if base_url is not None else (None, None)
    if vertexai:
        return ClientEndpoint(semconv.PROVIDER_GCP_VERTEX_AI, host, port)
    return ClientEndpoint(provider_for_host(host, semconv.PROVIDER_GCP_GEMINI), host, port)


def _start(
    telemetry: Telemetry, instance: Any, kwargs: dict[str, Any], operation: str, *, stream: bool = False
) -> LLMCall | None:
    provider, host, port = api_endpoint(getattr(instance, "_api_client", None))
    request = read_request(kwargs, stream=stream, embeddings=operation == semconv.OP_EMBEDDINGS)
    call = telemetry.start_call(
        operation=operation,
        provider=provider,
        request_model=request.model,
        attributes=request.attributes,
        server_address=host,
        server_port=port,
        request=request.parts,
    )
    if call is not None:
        call.state = request.service_tier
        if telemetry.content.enabled:
            system, inputs = request_content(kwargs)
            telemetry.content.record(call.span, input_messages=inputs, system_instructions=system)
    return call


@dataclass(frozen=True)
class ContentHandler(CallHandler):
    """``_generate_content``: one ``GenerateContentResponse``."""

    def begin(
        self, telemetry: Telemetry, instance: Any, kwargs: dict[str, Any]
    ) -> tuple[LLMCall | None, dict[str, Any]]:
        return _start(telemetry, instance, kwargs, semconv.OP_GENERATE_CONTENT), kwargs

    def complete(self, call: LLMCall, result: Any) -> tuple[Any, bool]:
        call.record_response(response_attributes(result), usage_from_response(result), service_tier=call.state)
        content = call.telemetry.content
        if content.enabled:
            content.record(call.span, output_messages=response_content(result))
        return result, False


@dataclass(frozen=True)
class StreamHandler(CallHandler):
    """``_generate_content_stream``: a generator (sync) or an async generator (awaited first)."""

    def begin(
        self, telemetry: Telemetry, instance: Any, kwargs: dict[str, Any]
    ) -> tuple[LLMCall | None, dict[str, Any]]:
        return _start(telemetry, instance, kwargs, semconv.OP_GENERATE_CONTENT, stream=True), kwargs

    def complete(self, call: LLMCall, result: Any) -> tuple[Any, bool]:
        recorder = GenerateStreamRecorder(call, service_tier=call.state)
        if hasattr(result, "__anext__"):  # async: the request was sent while it was awaited
            return AsyncStreamProxy(result, recorder), True
        return SyncStreamProxy(_requesting_in_call(call, result), recorder), True


def _requesting_in_call(call: LLMCall, chunks: Iterator[Any]) -> Iterator[Any]:
    """The sync stream, its request sent in the call's context.

    The SDK's sync ``_generate_content_stream`` is a generator: its HTTP request goes out on the
    first ``next()``, after our wrapper returned. Running that step inside the call's context
    makes our span current during the request (HTTP client spans nest under it), as for every
    other call; the remaining chunks are passed through, and closing this closes the SDK's.
    """
    with call_context(call):
        try:
            first = next(chunks)
        except StopIteration:
            return
    yield first
    yield from chunks


@dataclass(frozen=True)
class EmbedHandler(CallHandler):
    """``_embed_content``: Gemini's ``batchEmbedContents``, Vertex's ``predict`` or ``embedContent``."""

    def begin(
        self, telemetry: Telemetry, instance: Any, kwargs: dict[str, Any]
    ) -> tuple[LLMCall | None, dict[str, Any]]:
        return _start(telemetry, instance, kwargs, semconv.OP_EMBEDDINGS), kwargs

    def complete(self, call: LLMCall, result: Any) -> tuple[Any, bool]:
        call.record_response({}, embed_usage(result))
        return result, False
