"""Instrumentors that turn LLM SDK calls into priced GenAI spans and metrics.

One subpackage per SDK (``openai``, ``anthropic``, ``mistralai``, ``groq``, ``cohere``, and the
gateway ``litellm``); the modules here are the shared core every SDK module builds on: the span
lifecycle (``_lifecycle``), stream proxies (``_stream``), the wrap table and the usual ``begin``
(``_wrapping``), provider naming (``_providers``), content capture (``_content``), call observers
(``_observers``) and the base instrumentor (``_instrumentor``).

Public here: the call-observer registry, through which code above the instrumentation (budgets)
sees every call before its request and after its end without the instrumentation importing it::

    from otel_llm.instrumentation import CallObserver, add_call_observer, remove_call_observer

``call_observers()`` is the registered tuple (for code that, like the budget API, acts on it).
"""

from otel_llm.instrumentation._observers import CallObserver, add_call_observer, call_observers, remove_call_observer

__all__ = ["CallObserver", "add_call_observer", "call_observers", "remove_call_observer"]
