"""OpenTelemetry instrumentation for the ``mistralai`` SDK: one priced GenAI span per call.

Zero code change: ``opentelemetry-instrument python app.py`` loads :class:`MistralInstrumentor`
through the ``opentelemetry_instrumentor`` entry point ``otel_llm_mistralai``. Or by hand::

    from otel_llm.instrumentation.mistralai import MistralInstrumentor
    MistralInstrumentor().instrument(tracer_provider=tp, meter_provider=mp)

Traced: ``chat.complete``, ``chat.stream``, ``chat.complete_async``, ``chat.stream_async``
(and ``chat.parse``/``parse_stream``, which call them: one span), ``embeddings.create`` and
``create_async``; mistralai 2.x and later (``mistralai.client``) and 1.x. Each call is one
CLIENT span ``"{operation} {model}"`` with ``gen_ai.provider.name=mistral_ai``, the GenAI
request/response/usage attributes, ``otel_llm.cost.*`` from the bundled price book (or
``otel_llm.cost.unknown_model``), and the ``otel_llm.tag`` tags. ``server.address`` is the
call's ``server_url``, else the client's (``server="eu"`` resolves as the SDK resolves it).

Usage is Mistral's own: it is OpenAI's shape (``prompt_tokens`` include the cached
``prompt_tokens_details.cached_tokens``, priced at the cache-read price). Every Mistral stream
reports usage in its last chunk, so streams are priced from the provider's counts; a stream
left before its end is estimated with tiktoken (``otel_llm.usage.estimated``). The stream the
SDK returns (``EventStream``) is a proxy that keeps its type, ``with`` and ``close()``; its span
ends once, at exhaustion, ``break``, ``close()``, ``with`` exit, an error, or garbage collection.
The SDK's errors (``SDKError``, ``HTTPValidationError``) are recorded and re-raised untouched;
with a ``retry_config`` the SDK's retries happen inside the one span.

The SDK's own spans -- ``OTEL_LLM_MISTRAL_SDK_SPANS`` (``off`` | ``keep``): mistralai's tracing
hook starts a span with ``gen_ai.usage.*`` per request (in late 1.x whenever a tracer provider is
set, so always under ``opentelemetry-instrument``; from 2.x when ``MISTRAL_SDK_TELEMETRY`` or
``configure_telemetry`` switches it on). With ``off`` (the default) otel-llm switches that span off
for exactly the calls it traces (``_sdk_spans``), so each call is counted once; the SDK still
traces what otel-llm does not. With ``keep`` both are emitted (sum only spans carrying
``otel_llm.*`` then). ``instrument(sdk_spans="keep")`` overrides the variable.

Content capture follows ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` (off by default).
Not traced: agents, conversations, FIM, OCR, audio, and the Azure and GCP clients.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from otel_llm.instrumentation._instrumentor import LLMInstrumentor, SpanSilencer
from otel_llm.instrumentation._wrapping import Row
from otel_llm.instrumentation.mistralai._methods import ROWS
from otel_llm.instrumentation.mistralai._sdk_spans import SdkSpanSilencer
from otel_llm.instrumentation.mistralai._settings import SDK_SPANS_KEEP, SDK_SPANS_OFF, MistralSettings
from otel_llm.instrumentation.mistralai.package import _instruments

__all__ = ["SDK_SPANS_KEEP", "SDK_SPANS_OFF", "MistralInstrumentor"]


class MistralInstrumentor(LLMInstrumentor):
    scope = "otel_llm.instrumentation.mistralai"

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def wrap_table(self, **kwargs: Any) -> Iterable[Row]:
        return ROWS

    def span_silencer(self, **kwargs: Any) -> SpanSilencer | None:
        return SdkSpanSilencer() if MistralSettings.from_instrument_kwargs(kwargs).silence_sdk_spans else None
