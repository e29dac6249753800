"""OpenTelemetry instrumentation for LiteLLM: one priced GenAI span per provider request.

Zero code change: ``opentelemetry-instrument python app.py`` loads :class:`LiteLLMInstrumentor`
through the ``opentelemetry_instrumentor`` entry point ``otel_llm_litellm``. Or by hand::

    from otel_llm.instrumentation.litellm import LiteLLMInstrumentor
    LiteLLMInstrumentor().instrument(tracer_provider=tp, meter_provider=mp)

Traced: ``litellm.completion`` / ``acompletion`` (streamed and not), ``embedding`` /
``aembedding``, ``text_completion`` / ``atext_completion``, and every ``Router`` call, which
reaches the same functions once per attempt (retries and fallbacks: one span per attempt; the
failed ones are error spans without usage). Each call is one CLIENT span ``"{operation}
{model}"``: ``gen_ai.request.model`` is the model as written (``anthropic/claude-sonnet-4-5``),
``gen_ai.provider.name`` comes from LiteLLM's routing (``anthropic``, ``aws.bedrock``,
``gcp.gemini``, ``gcp.vertex_ai``, ``azure.ai.openai``, ``openai``, ...), the usage from LiteLLM's
normalized response with cache reads, cache writes (5-minute and 1-hour) and reasoning tokens,
and ``otel_llm.cost.*`` from our price book; LiteLLM's own ``response_cost``, when it computed
one for a complete response, is kept beside it as ``otel_llm.cost.reported_usd``.

One span per provider request: while LiteLLM runs, the context is marked as inside our call, so
the openai SDK that LiteLLM drives underneath (the ``openai/``, ``azure/`` and OpenAI-compatible
routes) makes no second span even when :class:`~otel_llm.instrumentation.openai.OpenAIInstrumentor`
is on, and OpenLLMetry's provider instrumentations see their suppression key and stay silent too.

Streams: the returned ``CustomStreamWrapper`` is a proxy that keeps its type and ends its span
once (exhaustion, ``break``, ``close()``, an error, garbage collection). Their usage is the
provider's (see ``_streams``); ``stream_options={"include_usage": True}`` makes an
OpenAI-compatible route report it too, otherwise its stream tokens are estimated.

``instrument()`` never imports litellm itself: importing it takes seconds, and
``opentelemetry-instrument`` instruments every installed SDK whether the app uses it or not. If
the app has not imported litellm yet, the wrapping waits for its import (a post-import hook).
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Iterable
from typing import Any

import wrapt

from otel_llm.instrumentation._instrumentor import LLMInstrumentor
from otel_llm.instrumentation._wrapping import Row
from otel_llm.instrumentation.litellm.package import _instruments

__all__ = ["LiteLLMInstrumentor"]


class LiteLLMInstrumentor(LLMInstrumentor):
    scope = "otel_llm.instrumentation.litellm"

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def wrap_table(self, **kwargs: Any) -> Iterable[Row]:
        from otel_llm.instrumentation.litellm._methods import ROWS  # imports litellm: only when instrumenting

        return ROWS

    def _instrument(self, **kwargs: Any) -> None:
        self._pending: dict[str, Any] | None = None
        if "litellm" in sys.modules:
            super()._instrument(**kwargs)
            return
        self._pending = kwargs
        wrapt.register_post_import_hook(self._on_litellm_import, "litellm")

    def _on_litellm_import(self, module: Any) -> None:
        kwargs, self._pending = getattr(self, "_pending", None), None
        if kwargs is not None:  # still wanted: not uninstrumented before the app imported litellm
            super()._instrument(**kwargs)

    def _uninstrument(self, **kwargs: Any) -> None:
        self._pending = None
        if getattr(self, "_telemetry", None) is not None:
            super()._uninstrument(**kwargs)
