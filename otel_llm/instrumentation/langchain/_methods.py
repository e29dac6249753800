"""The wrap table: LangChain's chat model entry points, LangGraph's graphs, named chains."""

from __future__ import annotations

from otel_llm.instrumentation._framework import FrameworkSettings
from otel_llm.instrumentation._wrapping import Row
from otel_llm.instrumentation.langchain._handlers import (
    agenerate_call,
    astream_call,
    cache_replay,
    chain_call,
    chain_stream,
    generate_call,
    graph_stream,
    stream_call,
)

__all__ = ["rows"]

_MODEL = "langchain_core.language_models.chat_models"
_CHAIN = "langchain_core.runnables.base"
_GRAPH = "langgraph.pregel"  # absent without langgraph: those rows are skipped


def rows(settings: FrameworkSettings) -> tuple[Row, ...]:
    return (
        Row(_MODEL, "BaseChatModel._generate_with_cache", generate_call(settings)),
        Row(_MODEL, "BaseChatModel._agenerate_with_cache", agenerate_call(settings)),
        Row(_MODEL, "BaseChatModel.stream", stream_call(settings)),
        Row(_MODEL, "BaseChatModel.astream", astream_call(settings)),
        Row(_MODEL, "BaseChatModel._convert_cached_generations", cache_replay()),
        Row(_GRAPH, "Pregel.stream", graph_stream(is_async=False)),
        Row(_GRAPH, "Pregel.astream", graph_stream(is_async=True)),
        Row(_CHAIN, "RunnableSequence.invoke", chain_call(is_async=False)),
        Row(_CHAIN, "RunnableSequence.ainvoke", chain_call(is_async=True)),
        Row(_CHAIN, "RunnableSequence.transform", chain_stream(is_async=False)),
        Row(_CHAIN, "RunnableSequence.atransform", chain_stream(is_async=True)),
    )
