"""Pure readers of the Agents SDK: which agent is running, and the usage it reports.

The SDK keeps its own trace context (``agents.tracing``, a context variable): while an agent runs,
the current span is that agent's span (``AgentSpanData``: name, handoffs) or, from 0.2x, its turn
span (``TurnSpanData``: agent_name). Both exist, as no-op spans, when the SDK's tracing is disabled,
so the agent is known either way. After a handoff the next agent's span is current: its calls
carry its name.
"""

from __future__ import annotations

from typing import Any

from otel_llm.usage import Usage, openai_usage

__all__ = ["current_agent", "usage_of"]


def current_agent() -> str | None:
    """The name of the agent whose turn is running, or None outside an agent run."""
    from agents.tracing import get_current_span
    from agents.tracing.span_data import AgentSpanData, TurnSpanData

    data = getattr(get_current_span(), "span_data", None)
    if isinstance(data, AgentSpanData):
        name = data.name
    elif isinstance(data, TurnSpanData):
        name = data.agent_name
    else:
        return None
    return name if isinstance(name, str) and name else None


def usage_of(usage: Any) -> Usage | None:
    """The usage of one model response: the SDK's ``ModelResponse.usage`` and the Responses API's
    ``response.usage`` share these names and OpenAI's meaning (input includes cached tokens,
    output includes reasoning)."""
    if usage is None:
        return None
    inputs = getattr(usage, "input_tokens_details", None)
    outputs = getattr(usage, "output_tokens_details", None)
    found = openai_usage(
        getattr(usage, "input_tokens", None),
        getattr(usage, "output_tokens", None),
        cached_tokens=getattr(inputs, "cached_tokens", 0) or 0,
        reasoning_tokens=getattr(outputs, "reasoning_tokens", 0) or 0,
    )
    return None if found.is_empty else found
