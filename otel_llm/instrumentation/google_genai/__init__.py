"""OpenTelemetry instrumentation for the ``google-genai`` SDK: one priced GenAI span per request.

Usage (or just ``opentelemetry-instrument python app.py``; the entry point is
``otel_llm_google_genai``)::

    from otel_llm.instrumentation.google_genai import GoogleGenAIInstrumentor

    GoogleGenAIInstrumentor().instrument()        # global providers, or tracer_provider=...
    client = genai.Client()
    client.models.generate_content(model="gemini-2.5-flash", contents="Hello")

Traced, sync and async (``client.aio``): ``models.generate_content``,
``models.generate_content_stream``, ``models.embed_content``, and chats
(``chats.create(...).send_message`` / ``send_message_stream``, which call the same methods: one
span, not two). The Gemini Developer API is ``gen_ai.provider.name=gcp.gemini``;
``genai.Client(vertexai=True, ...)`` is ``gcp.vertex_ai``. Each span is
``generate_content {model}`` (or ``embeddings {model}``) with the GenAI semconv request, response
and usage attributes and ``otel_llm.cost.*`` from the bundled price book. Returned objects are
the SDK's own (``GenerateContentResponse``, the stream generator, ``EmbedContentResponse``).

One span per REQUEST: automatic function calling and automatic continuation send several
requests for one ``generate_content`` call; each is billed on its own usage (and at its own
>200k-token tier), so each is its own span, all under the caller's span.

Usage is normalized: ``gen_ai.usage.input_tokens`` = ``promptTokenCount`` (which already
includes ``cachedContentTokenCount``, reported as cache reads) + ``toolUsePromptTokenCount``;
``gen_ai.usage.output_tokens`` = ``candidatesTokenCount`` + ``thoughtsTokenCount`` (thinking is
billed as output) and ``gen_ai.usage.reasoning.output_tokens`` = ``thoughtsTokenCount``. A
stream repeats its usage cumulatively in every chunk: the last one is kept, never the sum. A
request's ``config.service_tier`` (``flex``, ``priority``) selects that tier's prices.
Vertex text-embedding models report no usage object, only per-input ``token_count``: summed.

Not traced: ``count_tokens``, caches, files, batches, tunings, the Live API and interactions.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from otel_llm.instrumentation._instrumentor import LLMInstrumentor
from otel_llm.instrumentation._wrapping import Row
from otel_llm.instrumentation.google_genai.package import _instruments

__all__ = ["GoogleGenAIInstrumentor"]


class GoogleGenAIInstrumentor(LLMInstrumentor):
    """Wraps the google-genai SDK's per-request Models methods; ``uninstrument()`` restores them all."""

    scope = "otel_llm.instrumentation.google_genai"

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def wrap_table(self, **kwargs: Any) -> Iterable[Row]:
        from otel_llm.instrumentation.google_genai._methods import ROWS

        return ROWS
