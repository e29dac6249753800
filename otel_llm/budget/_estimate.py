"""The pre-call estimate: prompt tokens from tiktoken, output capped by the request's max tokens,
priced with the price book as if nothing were cached (the most the call can cost at that size).

Output is only counted when the request caps it (``max_tokens`` / ``max_completion_tokens``):
an uncapped request has no honest output estimate, and inventing one would refuse calls on a
guess. The settle after the call counts the real output either way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from otel_llm.budget._types import Estimate
from otel_llm.usage import Usage

if TYPE_CHECKING:
    from otel_llm.pricing import PriceBook

__all__ = ["estimate_call", "estimate_or_zero", "estimate_request"]

_log = logging.getLogger("otel_llm.budget")

_OUTPUT_CAPS = ("max_tokens", "max_completion_tokens", "max_output_tokens")  # chat, o-series, Responses


def estimate_call(
    model: str | None,
    provider: str | None,
    *,
    messages: Iterable[Mapping[str, Any]] | None = None,
    text: str | None = None,
    max_output_tokens: int | None = None,
    book: PriceBook | None = None,
) -> Estimate:
    """Estimate one request: ``messages`` (chat) plus ``text`` (a system prompt, instructions or a
    plain-text input). Unknown tokenizer: 0 prompt tokens (tiktoken logs why); unknown price:
    ``cost_usd`` None. Either way the call is checked with what is known, never a guess."""
    from otel_llm.tokens import count_message_tokens, count_text_tokens

    prompt = count_message_tokens(list(messages), model) if messages else 0
    if text:
        prompt = (prompt or 0) + (count_text_tokens(text, model) or 0)
    output = max_output_tokens if isinstance(max_output_tokens, int) and max_output_tokens > 0 else 0
    tokens = (prompt or 0) + output
    if book is None:
        from otel_llm.pricing import default_price_book

        book = default_price_book()
    usage = Usage(input_tokens=prompt or 0, output_tokens=output, estimated=True)
    cost = book.cost(usage, model, provider) if model else None
    return Estimate(tokens, cost.total_usd if cost is not None else None)


def _text_of(value: Any) -> str:
    """A system prompt / instructions / input as text: a string, or the text of content blocks."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(b.get("text", "") for b in value if isinstance(b, Mapping) and isinstance(b.get("text"), str))
    return ""


def _field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def _gemini_text(value: Any) -> str:
    """google-genai ``contents`` / ``system_instruction`` as text: strings, parts and ``Content``,
    as dicts or SDK models (the SDK accepts them all)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return "\n".join(t for t in map(_gemini_text, value) if t)
    parts = _field(value, "parts") if value is not None else None
    if parts is not None:
        return _gemini_text(parts)
    text = _field(value, "text") if value is not None else None
    return text if isinstance(text, str) else ""


def estimate_request(model: str | None, provider: str | None, request: Mapping[str, Any]) -> Estimate:
    """:func:`estimate_call` from an SDK call's keyword arguments: chat ``messages``, Anthropic
    ``system``, Responses ``instructions``/``input``, google-genai ``contents`` and ``config``
    (``system_instruction``, ``max_output_tokens``), and whichever max-tokens cap the API uses."""
    messages = request.get("messages")
    extra = [_text_of(request.get(key)) for key in ("system", "instructions", "prompt")]
    raw_input = request.get("input")
    if isinstance(raw_input, list) and messages is None:
        messages = [m for m in raw_input if isinstance(m, Mapping)]
    else:
        extra.append(_text_of(raw_input))
    config = request.get("config")
    extra.append(_gemini_text(request.get("contents")))
    if config is not None:
        extra.append(_gemini_text(_field(config, "system_instruction")))
    cap = next((request[k] for k in _OUTPUT_CAPS if request.get(k)), None)
    if cap is None and config is not None:
        cap = _field(config, "max_output_tokens")
    return estimate_call(model, provider, messages=messages if isinstance(messages, list) else None,
                         text="\n".join(t for t in extra if t) or None, max_output_tokens=cap)


def estimate_or_zero(estimate: Callable[[], Estimate]) -> Estimate:
    """``estimate()``, or a zero estimate if it fails (a bug of ours, say an unknown tokenizer):
    a budget already spent still refuses the call, and the settle counts the real usage."""
    try:
        return estimate()
    except Exception:
        _log.warning("budget: estimating the call failed; checking with a zero estimate", exc_info=True)
        return Estimate(0)
