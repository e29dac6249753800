"""The normalized token model: one meaning of "input" and "output" for every provider."""

from __future__ import annotations

import pytest

from otel_llm.usage import Usage, anthropic_usage, openai_usage


def test_openai_prompt_tokens_already_include_cached() -> None:
    usage = openai_usage(1200, 300, cached_tokens=1000, reasoning_tokens=120)
    assert usage.input_tokens == 1200
    assert usage.cache_read_tokens == 1000
    assert usage.uncached_input_tokens == 200
    assert usage.output_tokens == 300
    assert usage.reasoning_tokens == 120


def test_anthropic_input_tokens_exclude_cache_so_they_are_added() -> None:
    usage = anthropic_usage(
        50, 400, cache_read_input_tokens=2000, cache_creation_input_tokens=300, cache_creation_1h_input_tokens=100
    )
    assert usage.input_tokens == 2350
    assert usage.uncached_input_tokens == 50
    assert usage.cache_write_tokens == 300
    assert usage.cache_write_1h_tokens == 100


def test_anthropic_1h_writes_above_total_writes_are_kept_as_reported_for_the_check_to_flag() -> None:
    usage = anthropic_usage(1, 1, cache_creation_input_tokens=10, cache_creation_1h_input_tokens=99)
    assert (usage.cache_write_tokens, usage.cache_write_1h_tokens) == (10, 99)  # usage_check: part_above_total


@pytest.mark.parametrize("bad", ["12", -5, 3.5, True, [1], {"a": 1}, float("nan"), float("-inf")])
def test_malformed_counts_are_read_as_unreported_and_mark_the_usage(bad: object) -> None:
    usage = openai_usage(bad, bad, cached_tokens=bad, reasoning_tokens=bad)
    assert (usage.input_tokens, usage.output_tokens, usage.cache_read_tokens) == (None, None, 0)
    assert usage.malformed and not usage.is_empty  # a malformed report is still a report: flagged, not ignored
    assert anthropic_usage(10, 2, cache_read_input_tokens=bad).malformed


def test_integral_floats_are_counts_as_json_has_one_number_type() -> None:
    usage = openai_usage(1e3, 2.0, cached_tokens=1e2)
    assert (usage.input_tokens, usage.output_tokens, usage.cache_read_tokens, usage.malformed) == (1000, 2, 100, False)


def test_a_malformed_report_stays_malformed_when_streamed_reports_merge() -> None:
    assert anthropic_usage(-1, 1).merged(anthropic_usage(5, 9)).malformed
    assert not anthropic_usage(5, 1).merged(Usage(output_tokens=9)).malformed


def test_missing_counts_stay_unknown() -> None:
    usage = openai_usage(None, None)
    assert usage.is_empty
    assert anthropic_usage(None, None).input_tokens is None


def test_streamed_reports_merge_without_double_counting() -> None:
    start = anthropic_usage(10, 1, cache_read_input_tokens=90)
    delta = Usage(output_tokens=42)
    final = start.merged(delta)
    assert final.input_tokens == 100
    assert final.cache_read_tokens == 90
    assert final.output_tokens == 42
    # A repeated cumulative report changes nothing.
    assert final.merged(delta) == final


def test_measured_usage_clears_the_estimated_flag() -> None:
    estimate = Usage(input_tokens=10, output_tokens=5, estimated=True)
    assert estimate.merged(Usage(input_tokens=12, output_tokens=6)).estimated is False
    assert estimate.merged(Usage(input_tokens=12, estimated=True)).estimated is True
