"""One normalized token model for every provider.

Providers disagree on what "input tokens" means: OpenAI's ``prompt_tokens`` already contain the
cached ones, Anthropic's ``input_tokens`` exclude both cache reads and cache writes. Pricing,
spans and the ClickHouse views all read this one shape, so the difference is settled here once:
``input_tokens`` always INCLUDES cache read and cache write, ``output_tokens`` always INCLUDES
reasoning.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

__all__ = ["Usage", "anthropic_usage", "openai_usage"]


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts of one call. ``None`` means "not reported", which is not the same as 0."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    # Of cache_write_tokens, those written with the 1-hour TTL (Anthropic prices them higher).
    cache_write_1h_tokens: int = 0
    reasoning_tokens: int = 0
    input_audio_tokens: int = 0
    output_audio_tokens: int = 0
    estimated: bool = False

    @property
    def uncached_input_tokens(self) -> int:
        """Input tokens billed at the plain input price."""
        return max((self.input_tokens or 0) - self.cache_read_tokens - self.cache_write_tokens, 0)

    @property
    def is_empty(self) -> bool:
        return self.input_tokens is None and self.output_tokens is None

    def merged(self, newer: Usage) -> Usage:
        """Combine a later streamed usage report with this one.

        Streamed usage is cumulative (Anthropic's ``message_delta`` repeats and extends what
        ``message_start`` said), so a later known value replaces an earlier one; summing would
        double count. A field the later report leaves unset (None or 0) keeps the earlier value.
        """
        changes = {}
        for f in fields(self):
            new_value = getattr(newer, f.name)
            if f.name == "estimated":
                continue
            if new_value:
                changes[f.name] = new_value
        merged = replace(self, **changes)
        if not merged.is_empty:
            merged = replace(merged, estimated=self.estimated and newer.estimated)
        return merged


def _int(value: object) -> int:
    """Coerce a provider-reported count; anything malformed counts as 0 rather than raising."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return max(value, 0)
    if isinstance(value, float) and value.is_integer():
        return max(int(value), 0)
    return 0


def _opt_int(value: object) -> int | None:
    return None if value is None else _int(value)


def openai_usage(
    prompt_tokens: object,
    completion_tokens: object,
    *,
    cached_tokens: object = 0,
    reasoning_tokens: object = 0,
    input_audio_tokens: object = 0,
    output_audio_tokens: object = 0,
) -> Usage:
    """OpenAI-style counts: ``prompt_tokens`` already include ``cached_tokens``."""
    return Usage(
        input_tokens=_opt_int(prompt_tokens),
        output_tokens=_opt_int(completion_tokens),
        cache_read_tokens=_int(cached_tokens),
        reasoning_tokens=_int(reasoning_tokens),
        input_audio_tokens=_int(input_audio_tokens),
        output_audio_tokens=_int(output_audio_tokens),
    )


def anthropic_usage(
    input_tokens: object,
    output_tokens: object,
    *,
    cache_read_input_tokens: object = 0,
    cache_creation_input_tokens: object = 0,
    cache_creation_1h_input_tokens: object = 0,
) -> Usage:
    """Anthropic-style counts: ``input_tokens`` EXCLUDE cache reads and writes, so add them."""
    cache_read = _int(cache_read_input_tokens)
    cache_write = _int(cache_creation_input_tokens)
    base = _opt_int(input_tokens)
    reported = base is not None or cache_read or cache_write
    total_input = (base or 0) + cache_read + cache_write if reported else None
    return Usage(
        input_tokens=total_input,
        output_tokens=_opt_int(output_tokens),
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        cache_write_1h_tokens=min(_int(cache_creation_1h_input_tokens), cache_write),
    )
