"""One span per provider request carries usage: how our instrumentations and other projects' nest.

Three layers can see the same model call: a framework (LangChain, LangGraph, an agent SDK), a
gateway (LiteLLM) and the provider SDK (openai, anthropic, ...). The rule, after the GenAI
semantic conventions' proposal for nested inference spans: the OUTERMOST inference span carries
usage and cost, and an inner instrumentation that finds one already active stays silent (no span,
no metrics, no budget charge). Frameworks are not inference spans; they only name the work.

- **Ours inside ours.** While one of our calls runs its SDK method, the wrapper marks the context
  (``_wrapping.inside_llm_call``); a wrapped method reached from inside (LiteLLM calling the
  openai SDK) calls straight through. Only a gateway's call spans the provider request, so the
  gateway's span carries the usage.
- **Other projects.** OpenLLMetry's framework instrumentations set the context value
  :data:`OPENLLMETRY_SUPPRESS_KEY` around the model call (their framework span then carries the
  usage); our wrapper honours it and calls straight through. Our own calls set the same value,
  so OpenLLMetry's provider instrumentations inside one of our calls stay silent too.
- **Frameworks of ours.** A framework instrumentation opens a :class:`ModelScope` around a model
  invocation instead of a span. Every call we trace inside it gets the scope's attributes (the
  chain, graph node or agent: ``otel_llm.workflow``) and is counted in ``scope.traced_calls``; a
  scope that ends with no traced call (a chat model whose provider SDK we do not instrument) is
  where the framework emits a usage span of its own, from what the framework reports.

The scope lives in a ``contextvars.ContextVar``, so it follows asyncio tasks and copied contexts
like :mod:`otel_llm.context`'s tags.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType

__all__ = [
    "OPENLLMETRY_SUPPRESS_KEY",
    "ModelScope",
    "current_model_scope",
    "entered_scope",
    "model_scope",
    "new_model_scope",
]

# The raw context key OpenLLMetry's instrumentations read and set (``opentelemetry.semconv_ai``).
OPENLLMETRY_SUPPRESS_KEY = "suppress_language_model_instrumentation"


class ModelScope:
    """A framework's model invocation: attributes for the calls traced inside, and their count."""

    __slots__ = ("attributes", "traced_calls")

    def __init__(self, attributes: Mapping[str, str]) -> None:
        self.attributes: Mapping[str, str] = MappingProxyType(dict(attributes))
        self.traced_calls = 0


_scope: contextvars.ContextVar[ModelScope | None] = contextvars.ContextVar("otel_llm_model_scope", default=None)


def current_model_scope() -> ModelScope | None:
    """The innermost open scope, or None outside any framework's model invocation."""
    return _scope.get()


def new_model_scope(attributes: Mapping[str, str]) -> ModelScope:
    """A scope for one model invocation, not yet current; it inherits the current scope's
    attributes (a LangGraph node's chain inside the graph) and overrides the keys it sets."""
    outer = _scope.get()
    return ModelScope({**outer.attributes, **attributes} if outer is not None else attributes)


@contextmanager
def entered_scope(scope: ModelScope) -> Iterator[ModelScope]:
    """Make ``scope`` current for a block. A framework's stream enters its one scope around each
    step it pulls from the model (never across a ``yield``: the consumer's loop body is not part
    of the model call, and a context variable set inside a generator would leak into it)."""
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


@contextmanager
def model_scope(attributes: Mapping[str, str]) -> Iterator[ModelScope]:
    """Open a scope for one model invocation (see :func:`new_model_scope`) and make it current."""
    with entered_scope(new_model_scope(attributes)) as scope:
        yield scope
