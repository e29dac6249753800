"""Usage as Gemini, Bedrock, DeepSeek, xAI and Cohere report it, in the one normalized shape.

Each provider counts differently, and a cost is only right when the counts mean what the price
book assumes (``Usage``: input INCLUDES cache reads and writes, output INCLUDES reasoning):

* Gemini: ``prompt_token_count`` includes ``cached_content_token_count``; thinking tokens
  (``thoughts_token_count``) are outside ``candidates_token_count`` but billed as output; a
  tool's prompt (``tool_use_prompt_token_count``) is billed as input.
* Bedrock Converse: ``inputTokens`` excludes ``cacheReadInputTokens`` and
  ``cacheWriteInputTokens``, as Anthropic's own API does.
* DeepSeek: ``prompt_tokens`` = ``prompt_cache_hit_tokens`` + ``prompt_cache_miss_tokens``.
* xAI: ``completion_tokens`` excludes ``reasoning_tokens`` ("counted separately from
  completion_tokens, but counted in total_tokens"), so ``total_tokens`` decides.
* Cohere: ``billed_units`` are what is charged (``tokens`` may include the prompt template).
* Mistral and Groq speak OpenAI's shape: use :func:`otel_llm.usage.openai_usage`.

The SDK instrumentation for these providers is a separate piece; these functions are what it
calls, and what lets the price book be tested on each provider's real counts today.
"""

from __future__ import annotations

from otel_llm.usage import Usage, anthropic_usage, openai_usage, read_counts

__all__ = ["bedrock_usage", "cohere_usage", "deepseek_usage", "gemini_usage", "xai_usage"]


def gemini_usage(
    prompt_token_count: object,
    candidates_token_count: object,
    *,
    cached_content_token_count: object = 0,
    thoughts_token_count: object = 0,
    tool_use_prompt_token_count: object = 0,
) -> Usage:
    """Gemini's ``usage_metadata``: thinking billed as output, tool prompts as input."""
    (prompt, candidates, cached, thoughts, tool_prompt), malformed = read_counts(
        prompt_token_count, candidates_token_count, cached_content_token_count, thoughts_token_count,
        tool_use_prompt_token_count)
    thoughts, tool_prompt = thoughts or 0, tool_prompt or 0
    return Usage(
        input_tokens=None if prompt is None and not tool_prompt else (prompt or 0) + tool_prompt,
        output_tokens=None if candidates is None and not thoughts else (candidates or 0) + thoughts,
        cache_read_tokens=cached or 0,
        reasoning_tokens=thoughts,
        malformed=malformed,
    )


def bedrock_usage(
    input_tokens: object,
    output_tokens: object,
    *,
    cache_read_input_tokens: object = 0,
    cache_write_input_tokens: object = 0,
) -> Usage:
    """Bedrock Converse's ``usage`` (``inputTokens``, ``cacheReadInputTokens``...)."""
    return anthropic_usage(
        input_tokens,
        output_tokens,
        cache_read_input_tokens=cache_read_input_tokens,
        cache_creation_input_tokens=cache_write_input_tokens,
    )


def deepseek_usage(
    prompt_tokens: object,
    completion_tokens: object,
    *,
    prompt_cache_hit_tokens: object = 0,
    reasoning_tokens: object = 0,
) -> Usage:
    """DeepSeek's ``usage``: cache hits are priced apart, reasoning is inside completion."""
    return openai_usage(
        prompt_tokens, completion_tokens, cached_tokens=prompt_cache_hit_tokens, reasoning_tokens=reasoning_tokens
    )


def xai_usage(
    prompt_tokens: object,
    completion_tokens: object,
    *,
    total_tokens: object = None,
    cached_tokens: object = 0,
    reasoning_tokens: object = 0,
) -> Usage:
    """xAI's ``usage``: reasoning is added to the output unless ``total_tokens`` shows it is
    already inside ``completion_tokens`` (prompt + completion == total)."""
    (prompt, completion, reasoning, total), _ = read_counts(
        prompt_tokens, completion_tokens, reasoning_tokens, total_tokens)
    prompt, completion, reasoning = prompt or 0, completion or 0, reasoning or 0
    included = total is not None and prompt + completion == total and reasoning <= completion
    base = openai_usage(prompt_tokens, completion_tokens, cached_tokens=cached_tokens, reasoning_tokens=reasoning)
    if included or not reasoning or base.output_tokens is None:
        return base
    return Usage(
        input_tokens=base.input_tokens,
        output_tokens=completion + reasoning,
        cache_read_tokens=base.cache_read_tokens,
        reasoning_tokens=reasoning,
        malformed=base.malformed,
    )


def cohere_usage(billed_input_tokens: object, billed_output_tokens: object) -> Usage:
    """Cohere's ``usage.billed_units``: the tokens Cohere charges for."""
    (billed_input, billed_output), malformed = read_counts(billed_input_tokens, billed_output_tokens)
    return Usage(input_tokens=billed_input, output_tokens=billed_output, malformed=malformed)
