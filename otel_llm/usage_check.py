"""Whether a call's reported usage can be true: impossible usage is flagged, never priced.

Why: a provider, a proxy or a buggy gateway that reports ``cached_tokens: 1e9`` for a 10-token
prompt would put $75 on the span; 10**30 tokens put 1.5e23 dollars on the span, the cost metric
and every rollup, and overflow the int64 that OTLP carries. A price is exact or absent, so the
span lifecycle asks :func:`suspect_reason` before pricing: usage with a reason is marked
``otel_llm.usage.suspect`` (and ``otel_llm.usage.suspect_reason``) and gets no cost at all.

Only what cannot be true is flagged, never what is merely unusual:

- a reported count that is no count: negative, fractional or text (:attr:`Usage.malformed`);
- a count above :data:`MAX_PLAUSIBLE_TOKENS`, a hundred times the largest context window any
  model offers (about 10M tokens), which also covers everything beyond int64;
- cache reads plus cache writes above the input, which includes them (normalized usage);
- reasoning or audio tokens above the total they are part of, 1-hour cache writes above all writes.

Once the call is priced, :func:`beyond_context_window` also holds the input against the model's
own context window (the price carries it, so no second lookup): more than
:data:`CONTEXT_WINDOW_SLACK` times the window is flagged ``too_many_tokens`` too (gpt-4o's 128k
window: a 900M-token prompt is a lie the fixed ceiling lets through). The slack is wide because
maps lag behind providers that grow a window (Claude's 1M beta on a 200k listing is 5x); output
is not checked, since the maps' output limits are the least reliable and a false alarm unprices
a real call.
"""

from __future__ import annotations

from dataclasses import fields, replace
from operator import attrgetter

from otel_llm import semconv
from otel_llm.usage import Usage

__all__ = ["CONTEXT_WINDOW_SLACK", "INT64_MAX", "MAX_PLAUSIBLE_TOKENS", "beyond_context_window", "suspect_reason",
           "within_int64"]

INT64_MAX = 2**63 - 1  # the largest integer an OTLP attribute (and a ClickHouse Int64) holds
MAX_PLAUSIBLE_TOKENS = 1_000_000_000
CONTEXT_WINDOW_SLACK = 10  # input above this many times the model's context window cannot be true
_COUNTS = tuple(f.name for f in fields(Usage) if f.type not in ("bool", bool))  # every token count
_count_values = attrgetter(*_COUNTS)


def suspect_reason(usage: Usage) -> str | None:
    """Why ``usage`` cannot be true (a ``semconv.USAGE_SUSPECT_*`` value), or None when it can.

    Pure and cheap (a few comparisons), so it runs on every call. The first failed rule wins.
    """
    if usage.malformed:
        return semconv.USAGE_SUSPECT_MALFORMED
    for count in _count_values(usage):  # a loop, not max() over a generator: this runs on every call
        if count and count > MAX_PLAUSIBLE_TOKENS:
            return semconv.USAGE_SUSPECT_TOO_MANY
    total_in, total_out = usage.input_tokens, usage.output_tokens
    if total_in is not None:
        if usage.cache_read_tokens + usage.cache_write_tokens > total_in:
            return semconv.USAGE_SUSPECT_CACHE_ABOVE_INPUT
        if usage.input_audio_tokens > total_in:
            return semconv.USAGE_SUSPECT_PART_ABOVE_TOTAL
    if total_out is not None and max(usage.reasoning_tokens, usage.output_audio_tokens) > total_out:
        return semconv.USAGE_SUSPECT_PART_ABOVE_TOTAL
    if usage.cache_write_1h_tokens > usage.cache_write_tokens:
        return semconv.USAGE_SUSPECT_PART_ABOVE_TOTAL
    return None


def beyond_context_window(usage: Usage, max_input_tokens: int | None) -> str | None:
    """``too_many_tokens`` when the input (cache included) is over :data:`CONTEXT_WINDOW_SLACK`
    times the model's context window; None when it is not, or the window is unknown."""
    if max_input_tokens is None or usage.input_tokens is None:
        return None
    return semconv.USAGE_SUSPECT_TOO_MANY if usage.input_tokens > CONTEXT_WINDOW_SLACK * max_input_tokens else None


def within_int64(usage: Usage) -> Usage:
    """``usage`` with every count CLAMPED to :data:`INT64_MAX` (counts are never negative).

    Clamped rather than omitted: the span of a suspect call keeps the evidence (a count at the
    int64 ceiling reads as "absurdly large") next to the flag, and the OTLP exporter, which
    drops a larger integer attribute with an error, sends it.
    """
    clamped = {
        name: INT64_MAX for name, count in zip(_COUNTS, _count_values(usage), strict=True) if (count or 0) > INT64_MAX
    }
    return replace(usage, **clamped) if clamped else usage
