"""OpenTelemetry instrumentation for the ``cohere`` SDK: one priced GenAI span per call.

Zero code change: ``opentelemetry-instrument python app.py`` loads :class:`CohereInstrumentor`
through the ``opentelemetry_instrumentor`` entry point ``otel_llm_cohere``. Or by hand::

    from otel_llm.instrumentation.cohere import CohereInstrumentor
    CohereInstrumentor().instrument(tracer_provider=tp, meter_provider=mp)

Traced, sync (``ClientV2``) and async (``AsyncClientV2``): ``chat``, ``chat_stream``, ``embed``,
and the v1 ``Client.chat`` and ``chat_stream``. Each call is one CLIENT span ``"{operation} {model}"`` with
``gen_ai.provider.name=cohere``, the GenAI request/response/usage attributes, ``otel_llm.cost.*``
from the price book (or ``otel_llm.cost.unknown_model``) and the ``otel_llm.tag`` tags.

Usage is what Cohere bills: ``billed_units`` (``usage.billed_units`` on v2 chat,
``meta.billed_units`` on embeddings and v1 chat), not ``tokens``, which also counts Cohere's
prompt template. Cohere's replies name no model, so the call is priced by the requested one.
``chat_stream`` returns the SDK's generator behind a proxy that keeps its type
(``inspect.isgenerator``, ``async for``, ``close()``/``aclose()``); the request is sent on the
first iteration, and the span ends once: at ``message-end`` exhaustion, ``break``, close, an
error, or garbage collection. A stream left before ``message-end`` carries no usage (no cost,
never an estimate). The SDK's errors (``TooManyRequestsError``, ``InternalServerError``...) are
recorded and re-raised untouched; its own retries happen inside the one span (cohere 7 retries
JSON requests, not streamed ones: a 429 on ``chat_stream`` is the call's error).

The clients bind ``chat``/``chat_stream`` when constructed: create them after ``instrument()``
(as ``opentelemetry-instrument`` does). Content capture follows
``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` (off by default). Not traced: v1
``embed``, rerank, classify, tokenize, and the Bedrock/SageMaker/OCI clients.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from otel_llm.instrumentation._instrumentor import LLMInstrumentor
from otel_llm.instrumentation._wrapping import Row
from otel_llm.instrumentation.cohere._methods import ROWS
from otel_llm.instrumentation.cohere.package import _instruments

__all__ = ["CohereInstrumentor"]


class CohereInstrumentor(LLMInstrumentor):
    scope = "otel_llm.instrumentation.cohere"

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def wrap_table(self, **kwargs: Any) -> Iterable[Row]:
        return ROWS
