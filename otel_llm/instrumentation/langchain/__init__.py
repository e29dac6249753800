"""LangChain and LangGraph: the chain, graph node or agent that made each model call, and never a
second usage-carrying span.

Zero code change: ``opentelemetry-instrument`` loads :class:`LangChainInstrumentor` through the
entry point ``otel_llm_langchain``; or ``LangChainInstrumentor().instrument(tracer_provider=tp)``.

LangChain is a framework, not an inference span (``instrumentation/_nesting.py`` has the rule).
Around every chat model invocation (``invoke``, ``ainvoke``, ``batch``, ``stream``, ``astream``,
``generate``; inside LangGraph nodes and ``create_agent`` agents too) it opens a model scope, so:

- the provider SDK's span that otel-llm makes below (openai, anthropic, bedrock, google-genai,
  mistralai, groq, cohere) carries ``otel_llm.workflow``: ``"{graph}.{node}"`` inside a LangGraph
  node (``LangGraph.agent``; ``create_agent(name="researcher")`` gives ``researcher.model``; a
  subgraph's node: ``blog.research.search``), else
  the name of the innermost named chain (``chain.with_config(run_name="summarize")``); with
  ``OTEL_LLM_FEATURE_FROM_WORKFLOW=true`` it is also ``otel_llm.feature`` when the app tagged
  none (the app's ``otel_llm.tag(feature=...)`` wins; it wins over ``OTEL_LLM_DEFAULT_FEATURE``);
- a chat model whose SDK otel-llm does not trace (one calling its API over its own HTTP client, or
  an instrumentor switched off) gets ONE span of its own, scope ``otel_llm.instrumentation.langchain``,
  priced from the usage LangChain reports (``usage_metadata``: cache reads and writes, Anthropic's
  1-hour cache writes, reasoning), backdated to the call's start;
- a response replayed from LangChain's own cache made no request: no span.

OpenLLMetry's suppression key is honoured (its LangChain instrumentation then carries the usage).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from otel_llm.instrumentation._framework import FrameworkInstrumentor, FrameworkSettings
from otel_llm.instrumentation._wrapping import Row
from otel_llm.instrumentation.langchain._methods import rows
from otel_llm.instrumentation.langchain.package import _instruments

__all__ = ["LangChainInstrumentor"]


class LangChainInstrumentor(FrameworkInstrumentor):
    scope = "otel_llm.instrumentation.langchain"

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def framework_rows(self, settings: FrameworkSettings) -> Iterable[Row]:
        return rows(settings)
