"""The graph and chain a LangChain model call runs in, as context variables.

LangGraph tells a model call its node (``langgraph_node`` in the run's metadata) but not its
graph's name, and a LangChain chain's name (``run_name``) does not reach the model's run at all;
so the graph's ``stream`` / ``astream`` and the chain's entry points set them here around their
work, and :func:`current_names` reads them when a model call opens its scope. Context variables
follow LangChain's thread pools (it submits with a copied context) and asyncio tasks.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

__all__ = ["chain_named", "current_names", "graph_named"]

_graph: contextvars.ContextVar[str | None] = contextvars.ContextVar("otel_llm_langgraph_graph", default=None)
_chain: contextvars.ContextVar[str | None] = contextvars.ContextVar("otel_llm_langchain_chain", default=None)


def current_names() -> tuple[str | None, str | None]:
    """(the outermost running graph's name, the innermost named chain's name)."""
    return _graph.get(), _chain.get()


@contextmanager
def _naming(var: contextvars.ContextVar[str | None], name: str) -> Iterator[None]:
    token = var.set(name)
    try:
        yield
    finally:
        var.reset(token)


def graph_named(name: str) -> AbstractContextManager[None]:
    """The outermost graph names the work: a subgraph's node is a path below it (``_extract``)."""
    return _naming(_graph, _graph.get() or name)


def chain_named(name: str) -> AbstractContextManager[None]:
    return _naming(_chain, name)
