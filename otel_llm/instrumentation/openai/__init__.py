"""OpenTelemetry instrumentation for the OpenAI Python SDK, with token usage and USD cost.

Zero code change: with otel-llm installed, ``opentelemetry-instrument python app.py`` loads
:class:`OpenAIInstrumentor` through the ``opentelemetry_instrumentor`` entry point
``otel_llm_openai``. Or instrument by hand::

    from otel_llm.instrumentation.openai import OpenAIInstrumentor
    OpenAIInstrumentor().instrument(tracer_provider=tp, meter_provider=mp)

Traced, sync and async, streamed and not: ``chat.completions.create`` / ``parse`` /
``stream``, ``responses.create`` / ``parse`` / ``stream``, ``embeddings.create`` and the legacy
``completions.create``; their ``with_raw_response`` and ``with_streaming_response`` forms give
the same single span. Each call is one CLIENT span ``"{operation} {model}"`` with the GenAI
semconv request/response/usage attributes, ``otel_llm.cost.*`` from the bundled price book, and
the ``otel_llm.tag`` feature/user tags. ``AzureOpenAI`` and OpenAI-compatible ``base_url`` hosts
are named by host (``azure.ai.openai``, ``groq``, ``deepseek``, ...); an unrecognized host such as a
local proxy keeps ``openai`` so its calls are still priced.

Settings (environment, read when ``instrument()`` runs):

- ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``: message content, off by default.
- ``OTEL_LLM_OPENAI_STREAM_USAGE=inject``: ask chat streams for their usage chunk (hidden from
  your code) instead of estimating stream tokens with tiktoken (``otel_llm.usage.estimated``).
- ``OTEL_LLM_EMIT_CACHE_CREATION_ATTRIBUTE=false``: drop the older cache-creation attribute.

``instrument(content_redactor=fn)`` passes every captured text through ``fn(str) -> str``.
Another instrumentor wrapping the same methods (e.g. opentelemetry-instrumentation-openai-v2)
produces its own span in addition to ours; use one of them. If it wrapped after us,
``uninstrument()`` leaves its wrapper in place and ours then calls straight through.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from otel_llm.instrumentation._instrumentor import LLMInstrumentor
from otel_llm.instrumentation._wrapping import Row
from otel_llm.instrumentation.openai._settings import OpenAISettings
from otel_llm.instrumentation.openai.package import _instruments

__all__ = ["OpenAIInstrumentor"]


class OpenAIInstrumentor(LLMInstrumentor):
    scope = "otel_llm.instrumentation.openai"

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def wrap_table(self, **kwargs: Any) -> Iterable[Row]:
        from otel_llm.instrumentation.openai._methods import rows  # imports openai: only when instrumenting

        return rows(OpenAISettings.from_env())
