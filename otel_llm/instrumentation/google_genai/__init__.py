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

The official instrumentation -- ``OTEL_LLM_GOOGLE_GENAI_OFFICIAL_SPANS`` (``off`` | ``keep``):
``opentelemetry-bootstrap`` installs ``opentelemetry-instrumentation-google-genai`` next to the
SDK (it activates on google-genai 1.32 to 2.x). Its span for the same call also carries
``gen_ai.usage.*``. With ``off`` (the default) otel-llm removes its wrappers of
``generate_content``, ``generate_content_stream`` and ``embed_content`` (in either load order;
see ``_official_spans``), so each request is ONE span, ours; its ``interactions`` tracing stays.
With ``keep`` both are emitted, its span the parent of ours; any query that sums tokens must then
count only spans that carry ``otel_llm.*`` attributes. ``instrument(official_spans="keep")``
overrides the variable.

Tested on google-genai 3.6, 2.34 and 1.75. google-genai 1.x drops the Gemini API's embedding
usage (its ``EmbedContentResponse`` has no ``usage_metadata``): those spans carry no usage and
no cost, never $0.

Not traced: ``count_tokens``, caches, files, batches, tunings, the Live API and interactions.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from otel_llm.instrumentation._instrumentor import LLMInstrumentor, SpanSilencer
from otel_llm.instrumentation._wrapping import Row
from otel_llm.instrumentation.google_genai._official_spans import OfficialSpanSilencer
from otel_llm.instrumentation.google_genai._settings import (
    OFFICIAL_SPANS_KEEP,
    OFFICIAL_SPANS_OFF,
    GoogleGenAISettings,
)
from otel_llm.instrumentation.google_genai.package import _instruments

__all__ = ["OFFICIAL_SPANS_KEEP", "OFFICIAL_SPANS_OFF", "GoogleGenAIInstrumentor"]


class GoogleGenAIInstrumentor(LLMInstrumentor):
    """Wraps the google-genai SDK's per-request Models methods; ``uninstrument()`` restores them all."""

    scope = "otel_llm.instrumentation.google_genai"

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def wrap_table(self, **kwargs: Any) -> Iterable[Row]:
        from otel_llm.instrumentation.google_genai._methods import ROWS

        return ROWS

    def span_silencer(self, **kwargs: Any) -> SpanSilencer | None:
        silence = GoogleGenAISettings.from_instrument_kwargs(kwargs).silence_official_spans
        return OfficialSpanSilencer() if silence else None
