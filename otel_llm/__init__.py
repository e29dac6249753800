"""otel-llm: every LLM call observable and priced, with no code change.

The public API is small: :func:`tag` to attribute calls to a feature and an end user, the
instrumentors (loaded by ``opentelemetry-instrument`` through entry points), and the ClickHouse
span exporter. Everything else is private.
"""

from otel_llm.context import tag

__all__ = ["tag"]
