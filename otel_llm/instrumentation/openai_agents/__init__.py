"""The OpenAI Agents SDK: each model call named by the agent that made it, counted once.

Zero code change: ``opentelemetry-instrument`` loads :class:`OpenAIAgentsInstrumentor` through the
entry point ``otel_llm_openai_agents``; or ``OpenAIAgentsInstrumentor().instrument(tracer_provider=tp)``.

An agent run's model calls are the openai SDK's, traced by otel-llm's openai instrumentor. Around
each (``OpenAIResponsesModel`` / ``OpenAIChatCompletionsModel`` ``get_response`` and
``stream_response``) this opens a model scope (``instrumentation/_nesting.py``), so the openai span
carries ``otel_llm.workflow`` and ``gen_ai.agent.name``: the running agent's name, which changes
with each handoff (the agent handed to names its own calls). With
``OTEL_LLM_FEATURE_FROM_WORKFLOW=true`` the agent's name is also the feature when the app tagged
none. A call no span of ours counted (the openai instrumentor off, the websocket transport) gets
one span of its own (scope ``otel_llm.instrumentation.openai_agents``), priced from the usage the
SDK reports. The SDK's own tracing (to the OpenAI dashboard) is left as it is: it carries no
OpenTelemetry span.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from otel_llm.instrumentation._framework import FrameworkInstrumentor, FrameworkSettings
from otel_llm.instrumentation._wrapping import Row
from otel_llm.instrumentation.openai_agents._methods import rows
from otel_llm.instrumentation.openai_agents.package import _instruments

__all__ = ["OpenAIAgentsInstrumentor"]


class OpenAIAgentsInstrumentor(FrameworkInstrumentor):
    scope = "otel_llm.instrumentation.openai_agents"

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def framework_rows(self, settings: FrameworkSettings) -> Iterable[Row]:
        return rows(settings)
