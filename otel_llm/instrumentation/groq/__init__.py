"""OpenTelemetry instrumentation for Groq's own SDK (``groq``): one priced GenAI span per call.

Zero code change: ``opentelemetry-instrument python app.py`` loads :class:`GroqInstrumentor`
through the ``opentelemetry_instrumentor`` entry point ``otel_llm_groq``. Or by hand::

    from otel_llm.instrumentation.groq import GroqInstrumentor
    GroqInstrumentor().instrument(tracer_provider=tp, meter_provider=mp)

Traced: ``chat.completions.create``, sync and async, streamed and not, and its
``with_raw_response``/``with_streaming_response`` forms (one span). Each call is one CLIENT span
``"chat {model}"`` with ``gen_ai.provider.name=groq`` (a ``base_url`` of another known vendor is
named by its host), the GenAI request/response/usage attributes, ``otel_llm.cost.*`` from the
price book (or ``otel_llm.cost.unknown_model``) and the ``otel_llm.tag`` tags.

Usage is OpenAI's shape (``prompt_tokens`` include ``prompt_tokens_details.cached_tokens``). A
Groq stream reports its usage in ``x_groq.usage`` of its finishing chunk without being asked, so
streams are priced from Groq's counts with the request left unchanged; a stream left before that
chunk is estimated with tiktoken (``otel_llm.usage.estimated``). The returned ``groq.Stream`` is a
proxy that keeps its type and behaviour; its span ends once (exhaustion, ``break``, ``close()``,
``with`` exit, an error, or garbage collection). The SDK's errors are recorded and re-raised
untouched; its own retries (``max_retries``) happen inside the one span.

The OpenAI SDK pointed at ``api.groq.com/openai/v1`` is traced by the OpenAI instrumentor, also
as ``groq``. Content capture follows ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` (off by
default). Not traced: audio, embeddings, batches, files.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from otel_llm.instrumentation._instrumentor import LLMInstrumentor
from otel_llm.instrumentation._wrapping import Row
from otel_llm.instrumentation.groq.package import _instruments

__all__ = ["GroqInstrumentor"]


class GroqInstrumentor(LLMInstrumentor):
    scope = "otel_llm.instrumentation.groq"

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def wrap_table(self, **kwargs: Any) -> Iterable[Row]:
        from otel_llm.instrumentation.groq._methods import ROWS  # imports groq: only when instrumenting

        return ROWS
