"""The handler half every SDK with OpenAI-shaped bodies shares (groq, mistralai).

Their requests carry OpenAI's arguments and their responses OpenAI's fields, so starting the
call (the core's ``RequestHandler``) and recording a complete (non-streamed) response are the same
for all of them, read by this package's extraction; a subclass supplies only where the call goes
(``endpoint``), the request attributes its SDK names differently, and what its streams look like.
Imports no SDK.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from otel_llm.instrumentation._content import Message, Part
from otel_llm.instrumentation._lifecycle import LLMCall
from otel_llm.instrumentation._wrapping import RequestHandler
from otel_llm.instrumentation.openai._extract import request_attributes, response_attributes, usage_from_response
from otel_llm.instrumentation.openai._messages import request_content, response_content

__all__ = ["OpenAIShapeHandler"]


class OpenAIShapeHandler(RequestHandler):
    """Requests read as OpenAI's; ``record`` for a complete response. ``call.state`` is the kwargs."""

    def request_attributes(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        return request_attributes(kwargs)

    def request_content(self, kwargs: Mapping[str, Any]) -> tuple[list[Part], list[Message]]:
        return request_content(kwargs)

    def record(self, call: LLMCall, result: Any) -> tuple[Any, bool]:
        """A complete response: attributes, usage and cost, output content; the wrapper ends the call."""
        call.record_response(response_attributes(result), usage_from_response(result))
        if call.telemetry.content.enabled:
            call.telemetry.content.record(call.span, output_messages=response_content(result))
        return result, False
