"""The plausibility check: impossible usage gets a reason (and no price), possible usage never does."""

from __future__ import annotations

from dataclasses import fields

import pytest
from hypothesis import given
from hypothesis import strategies as st

from otel_llm import semconv
from otel_llm.pricing import default_price_book
from otel_llm.usage import Usage, anthropic_usage, openai_usage
from otel_llm.usage_check import (
    CONTEXT_WINDOW_SLACK,
    INT64_MAX,
    MAX_PLAUSIBLE_TOKENS,
    beyond_context_window,
    suspect_reason,
    within_int64,
)

REASONS = {
    semconv.USAGE_SUSPECT_MALFORMED,
    semconv.USAGE_SUSPECT_TOO_MANY,
    semconv.USAGE_SUSPECT_CACHE_ABOVE_INPUT,
    semconv.USAGE_SUSPECT_PART_ABOVE_TOTAL,
}
COUNT_FIELDS = [f.name for f in fields(Usage) if f.name not in ("estimated", "malformed")]

# What a provider's JSON (or a proxy's) can put in a usage field: counts of any size, negative
# numbers, fractions, nan/inf, text, booleans, nesting, or nothing.
reported = st.one_of(
    st.none(),
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=-(2**70), max_value=2**110),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
)


def _counts(usage: Usage) -> list[int]:
    return [getattr(usage, name) or 0 for name in COUNT_FIELDS]


@pytest.mark.parametrize(
    ("usage", "reason"),
    [
        (openai_usage(10, 5, cached_tokens=1e9), semconv.USAGE_SUSPECT_CACHE_ABOVE_INPUT),  # the issue's $75
        (openai_usage(10**30, 10**30), semconv.USAGE_SUSPECT_TOO_MANY),  # the 1.5e23 dollars
        (openai_usage(2**63, 1), semconv.USAGE_SUSPECT_TOO_MANY),  # beyond int64
        (openai_usage(MAX_PLAUSIBLE_TOKENS + 1, 1), semconv.USAGE_SUSPECT_TOO_MANY),
        (openai_usage(10, -1), semconv.USAGE_SUSPECT_MALFORMED),
        (openai_usage(10, 5, cached_tokens=2.5), semconv.USAGE_SUSPECT_MALFORMED),
        (openai_usage("ten", 5), semconv.USAGE_SUSPECT_MALFORMED),
        (openai_usage(10, 5, reasoning_tokens=6), semconv.USAGE_SUSPECT_PART_ABOVE_TOTAL),
        (openai_usage(10, 5, input_audio_tokens=11), semconv.USAGE_SUSPECT_PART_ABOVE_TOTAL),
        (openai_usage(10, 5, output_audio_tokens=6), semconv.USAGE_SUSPECT_PART_ABOVE_TOTAL),
        (openai_usage(10, 5, cached_tokens=8, cache_write_tokens=3), semconv.USAGE_SUSPECT_CACHE_ABOVE_INPUT),
        (anthropic_usage(-4, 2), semconv.USAGE_SUSPECT_MALFORMED),
        (
            anthropic_usage(1, 1, cache_creation_input_tokens=10, cache_creation_1h_input_tokens=11),
            semconv.USAGE_SUSPECT_PART_ABOVE_TOTAL,
        ),
        (anthropic_usage(10, 1, cache_read_input_tokens=MAX_PLAUSIBLE_TOKENS), semconv.USAGE_SUSPECT_TOO_MANY),
    ],
)
def test_impossible_usage_has_its_reason(usage: Usage, reason: str) -> None:
    assert suspect_reason(usage) == reason


@pytest.mark.parametrize(
    "usage",
    [
        openai_usage(1200, 300, cached_tokens=1000, reasoning_tokens=120),
        openai_usage(2048, 64, cached_tokens=2048, reasoning_tokens=64),  # everything cached, all reasoning
        openai_usage(MAX_PLAUSIBLE_TOKENS, MAX_PLAUSIBLE_TOKENS),  # the ceiling itself is allowed
        openai_usage(None, 5, cached_tokens=100),  # input not reported: nothing to compare against
        anthropic_usage(0, 0, cache_read_input_tokens=5000, cache_creation_input_tokens=300),
        Usage(input_tokens=10, output_tokens=5, estimated=True),
        Usage(),
    ],
)
def test_possible_usage_has_no_reason(usage: Usage) -> None:
    assert suspect_reason(usage) is None


@given(
    prompt=reported,
    completion=reported,
    cached=reported,
    reasoning=reported,
    audio_in=reported,
    audio_out=reported,
    cache_write=reported,
)
def test_any_openai_report_is_either_priceable_within_bounds_or_flagged(
    prompt: object,
    completion: object,
    cached: object,
    reasoning: object,
    audio_in: object,
    audio_out: object,
    cache_write: object,
) -> None:
    usage = openai_usage(
        prompt,
        completion,
        cached_tokens=cached,
        reasoning_tokens=reasoning,
        input_audio_tokens=audio_in,
        output_audio_tokens=audio_out,
        cache_write_tokens=cache_write,
    )
    reason = suspect_reason(usage)
    clamped = within_int64(usage)
    assert all(0 <= count <= INT64_MAX for count in _counts(clamped))
    assert suspect_reason(clamped) == reason  # clamping never launders a suspect report
    if reason is None:
        _assert_priceable(usage)
    else:
        assert reason in REASONS


@given(base=reported, output=reported, read=reported, write=reported, write_1h=reported)
def test_any_anthropic_report_is_either_priceable_within_bounds_or_flagged(
    base: object, output: object, read: object, write: object, write_1h: object
) -> None:
    usage = anthropic_usage(
        base,
        output,
        cache_read_input_tokens=read,
        cache_creation_input_tokens=write,
        cache_creation_1h_input_tokens=write_1h,
    )
    reason = suspect_reason(usage)
    assert all(0 <= count <= INT64_MAX for count in _counts(within_int64(usage)))
    if reason is None:
        _assert_priceable(usage)


def _assert_priceable(usage: Usage) -> None:
    """What the lifecycle then prices: well-formed, bounded, parts within totals, a bounded cost."""
    assert not usage.malformed
    assert all(0 <= count <= MAX_PLAUSIBLE_TOKENS for count in _counts(usage))
    if usage.input_tokens is not None:
        assert usage.cache_read_tokens + usage.cache_write_tokens <= usage.input_tokens
    if usage.output_tokens is not None:
        assert usage.reasoning_tokens <= usage.output_tokens
    assert usage.cache_write_1h_tokens <= usage.cache_write_tokens
    cost = default_price_book().cost(usage, "gpt-4o-mini", "openai")
    assert cost is None or 0 <= cost.total_usd <= 2 * MAX_PLAUSIBLE_TOKENS * 0.6e-6  # output is the dearest


@given(
    st.integers(min_value=0, max_value=MAX_PLAUSIBLE_TOKENS).flatmap(
        lambda total_in: st.tuples(
            st.just(total_in),
            st.integers(min_value=0, max_value=total_in),
            st.integers(min_value=0, max_value=MAX_PLAUSIBLE_TOKENS),
        )
    ),
    st.floats(min_value=0, max_value=1),
)
def test_every_consistent_usage_within_the_ceiling_passes(sizes: tuple[int, int, int], reasoning_share: float) -> None:
    total_in, cached, total_out = sizes
    usage = openai_usage(total_in, total_out, cached_tokens=cached, reasoning_tokens=int(total_out * reasoning_share))
    assert suspect_reason(usage) is None
    assert within_int64(usage) is usage  # nothing to clamp: the same object, no copy


def test_clamping_keeps_every_count_it_can() -> None:
    usage = anthropic_usage(2**63, 7, cache_read_input_tokens=2**64)
    clamped = within_int64(usage)
    assert (clamped.input_tokens, clamped.cache_read_tokens, clamped.output_tokens) == (INT64_MAX, INT64_MAX, 7)


def test_input_far_beyond_the_models_context_window_is_too_many_tokens() -> None:
    """gpt-4o (a 128k window in the snapshot): a 900M-token prompt passes the fixed ceiling but is
    7000 windows; the price the lifecycle already found carries the window, so the rule needs no lookup."""
    cost = default_price_book().cost(Usage(input_tokens=900_000_000, output_tokens=1), "gpt-4o", "openai")
    assert cost is not None and cost.max_input_tokens == 128_000
    huge = Usage(input_tokens=900_000_000, output_tokens=1)
    assert suspect_reason(huge) is None  # below MAX_PLAUSIBLE_TOKENS
    assert beyond_context_window(huge, cost.max_input_tokens) == semconv.USAGE_SUSPECT_TOO_MANY
    edge = CONTEXT_WINDOW_SLACK * 128_000
    assert beyond_context_window(Usage(input_tokens=edge, output_tokens=1), 128_000) is None
    above = Usage(input_tokens=edge + 1, output_tokens=1)
    assert beyond_context_window(above, 128_000) == semconv.USAGE_SUSPECT_TOO_MANY
    assert beyond_context_window(huge, None) is None  # window unknown: only the fixed ceiling applies
