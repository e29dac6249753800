"""The handler half every SDK with OpenAI-shaped bodies shares (groq, mistralai).

Their requests carry OpenAI's arguments and their responses OpenAI's fields, so starting the
call and recording a complete (non-streamed) response are the same for all of them, read by this
package's extraction; a subclass supplies only where the call goes (``endpoint``), the request
attributes its SDK names differently, and what its streams look like. Imports no SDK.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from otel_llm.instrumentation._lifecycle import LLMCall, Telemetry
from otel_llm.instrumentation._providers import ClientEndpoint
from otel_llm.instrumentation._wrapping import CallHandler
from otel_llm.instrumentation.openai._extract import request_attributes, response_attributes, usage_from_response
from otel_llm.instrumentation.openai._messages import request_content, response_content

__all__ = ["OpenAIShapeHandler"]


class OpenAIShapeHandler(CallHandler):
    """``begin`` for every call; ``record`` for a complete response. ``call.state`` is the kwargs."""

    operation: str

    def endpoint(self, instance: Any, kwargs: Mapping[str, Any]) -> ClientEndpoint:
        raise NotImplementedError

    def request_attributes(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        return request_attributes(kwargs)

    def begin(
        self, telemetry: Telemetry, instance: Any, kwargs: dict[str, Any]
    ) -> tuple[LLMCall | None, dict[str, Any]]:
        provider, host, port = self.endpoint(instance, kwargs)
        model = kwargs.get("model")
        call = telemetry.start_call(
            operation=self.operation,
            provider=provider,
            request_model=model if isinstance(model, str) else None,
            attributes=self.request_attributes(kwargs),
            server_address=host,
            server_port=port,
        )
        if call is None:
            return None, kwargs
        call.state = kwargs
        if telemetry.content.enabled:
            system, inputs = request_content(kwargs)
            telemetry.content.record(call.span, input_messages=inputs, system_instructions=system)
        return call, kwargs

    def record(self, call: LLMCall, result: Any) -> tuple[Any, bool]:
        """A complete response: attributes, usage and cost, output content; the wrapper ends the call."""
        call.record_response(response_attributes(result), usage_from_response(result))
        if call.telemetry.content.enabled:
            call.telemetry.content.record(call.span, output_messages=response_content(result))
        return result, False
