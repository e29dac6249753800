"""One normalized token model for every provider.

Providers disagree on what "input tokens" means: OpenAI's ``prompt_tokens`` already contain the
cached ones, Anthropic's ``input_tokens`` exclude both cache reads and cache writes. Pricing,
spans and the ClickHouse views all read this one shape, so the difference is settled here once:
``input_tokens`` always INCLUDES cache read and cache write, ``output_tokens`` always INCLUDES
reasoning.

A count that is reported but is no count (negative, fractional, text) is read as "not reported",
so the rest of the report stays usable, and marks the usage ``malformed``: the span lifecycle then
flags the call as suspect and leaves it unpriced (see :mod:`otel_llm.usage_check`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

__all__ = ["Usage", "anthropic_usage", "openai_usage", "read_counts"]


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
    # Some count was reported but was no count at all; see the module docstring.
    malformed: bool = False

    @property
    def uncached_input_tokens(self) -> int:
        """Input tokens billed at the plain input price."""
        return max((self.input_tokens or 0) - self.cache_read_tokens - self.cache_write_tokens, 0)

    @property
    def is_empty(self) -> bool:
        """Nothing reported: no input, no output, and no malformed count (that is a report too)."""
        return self.input_tokens is None and self.output_tokens is None and not self.malformed

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


_MALFORMED = -1  # what _read returns for a value that is present but no count


def _read(value: object) -> int | None:
    """A provider-reported count: None when absent, ``_MALFORMED`` when present but no count >= 0.

    JSON has one number type, so an integral float (``1e3``) is a count; ``True`` is not. Size is
    not judged here: a count of any size is kept, and :mod:`otel_llm.usage_check` decides.
    """
    if type(value) is int:  # what the SDKs' models hold: the one fast path
        return value if value >= 0 else _MALFORMED
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value >= 0 else _MALFORMED
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    return _MALFORMED


def read_counts(*values: object) -> tuple[list[int | None], bool]:
    """Provider-reported counts read as this module reads them: each a count, or None when absent
    or no count at all; and whether any was malformed (the usage is then flagged, not priced).
    For the other providers' readers (:mod:`otel_llm.provider_usage`)."""
    counts = _counts(values)
    malformed = _MALFORMED in counts
    return (_without_malformed(counts) if malformed else counts), malformed


def _counts(values: tuple[object, ...]) -> list[int | None]:
    """Each value read by ``_read``; a plain count (what the SDKs' models hold) without the call,
    since this runs on every LLM call for every field of its usage."""
    return [v if type(v) is int and v >= 0 else _read(v) for v in values]


def _without_malformed(counts: list[int | None]) -> list[int | None]:
    return [None if c == _MALFORMED else c for c in counts]


def openai_usage(
    prompt_tokens: object,
    completion_tokens: object,
    *,
    cached_tokens: object = 0,
    reasoning_tokens: object = 0,
    input_audio_tokens: object = 0,
    output_audio_tokens: object = 0,
    cache_write_tokens: object = 0,
) -> Usage:
    """OpenAI-style counts: ``prompt_tokens`` already include ``cached_tokens`` (and cache writes)."""
    reported_counts = (
        prompt_tokens,
        completion_tokens,
        cached_tokens,
        reasoning_tokens,
        input_audio_tokens,
        output_audio_tokens,
        cache_write_tokens,
    )
    counts, malformed = read_counts(*reported_counts)
    prompt, completion, cached, reasoning, audio_in, audio_out, cache_write = counts
    return Usage(
        input_tokens=prompt,
        output_tokens=completion,
        cache_read_tokens=cached or 0,
        cache_write_tokens=cache_write or 0,
        reasoning_tokens=reasoning or 0,
        input_audio_tokens=audio_in or 0,
        output_audio_tokens=audio_out or 0,
        malformed=malformed,
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
    reported_counts = (
        input_tokens,
        output_tokens,
        cache_read_input_tokens,
        cache_creation_input_tokens,
        cache_creation_1h_input_tokens,
    )
    (base, output, raw_read, raw_write, raw_1h), malformed = read_counts(*reported_counts)
    cache_read, cache_write = raw_read or 0, raw_write or 0
    reported = base is not None or cache_read or cache_write
    total_input = (base or 0) + cache_read + cache_write if reported else None
    return Usage(
        input_tokens=total_input,
        output_tokens=output,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        cache_write_1h_tokens=raw_1h or 0,  # above cache_write it cannot be true: flagged, not trimmed
        malformed=malformed,
    )
