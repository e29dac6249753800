"""The Bedrock wrap table: one row, botocore's single entry point for every AWS call.

The four Bedrock Runtime operations are picked out inside the wrapper (see ``_handlers``).
aiobotocore overrides ``_make_api_call`` with a coroutine and is not traced (yet).
"""

from __future__ import annotations

from otel_llm.instrumentation._wrapping import Row
from otel_llm.instrumentation.bedrock._handlers import bedrock_api_call

__all__ = ["ROWS"]

ROWS = (Row("botocore.client", "BaseClient._make_api_call", bedrock_api_call()),)
