"""Instrumentors that turn LLM SDK calls into priced GenAI spans and metrics.

One subpackage per SDK (``openai``, ``anthropic``); the modules here are the shared core every
SDK module builds on: the span lifecycle (``_lifecycle``), stream proxies (``_stream``), the
wrap table (``_wrapping``), provider naming (``_providers``), content capture (``_content``)
and the base instrumentor (``_instrumentor``).
"""
