"""The advisor's rules on plain numbers (``otel_llm.advise.findings`` is pure: rows in, findings out):
each model's cache minimum, and what makes a feature's calls scheduled (batchable) work. The same
rules over real traffic, in dollars, are in tests/cli/test_advise.py."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from otel_llm.advise.findings import Thresholds, batchable, repeated_prefixes, schedule
from otel_llm.pricing import default_price_book

BOOK = default_price_book()
LIMITS = Thresholds()


def _prefix_row(model: str, provider: str, prefix_tokens: int) -> dict[str, Any]:
    """A prefix sent ten times without a cache read, 3 of them after the cache would have expired."""
    return {"feature": "f", "provider": provider, "price_provider": provider, "price_model": model, "model": model,
            "prefix_fingerprint": "p" * 32, "uncached_calls": 10, "prefix_tokens": prefix_tokens, "writes": 3,
            "cache_control": ["none"]}


@pytest.mark.parametrize(("model", "provider", "minimum"), [
    ("gemini-2.5-flash", "gcp.gemini", 2048),  # Google's table: 2,048 for Gemini 2.5 Flash and Pro
    ("gemini-2.5-pro", "gcp.gemini", 2048),
    ("gemini-3-pro-preview", "gcp.gemini", 4096),  # 4,096 for Gemini 3.x
    ("gemini-3.1-pro-preview", "gcp.gemini", 4096),
    ("claude-haiku-4-5", "anthropic", 4096),
    ("claude-sonnet-4-5", "anthropic", 1024),
    ("gpt-4o", "openai", 1024),
])
def test_a_repeated_prefix_is_a_finding_from_its_models_cache_minimum_on(model: str, provider: str,
                                                                          minimum: int) -> None:
    below = repeated_prefixes([_prefix_row(model, provider, minimum - 1)], BOOK, Decimal(1), LIMITS)
    at = repeated_prefixes([_prefix_row(model, provider, minimum)], BOOK, Decimal(1), LIMITS)
    assert below == []
    price = BOOK.lookup(model, provider)
    assert price is not None and price.input is not None and price.cache_read is not None
    write = price.cache_write if price.cache_write is not None else price.input
    assert [f.saving_usd for f in at] == [minimum * (7 * (price.input - price.cache_read) - 3 * (write - price.input))]


def _usage_row(by_hour: dict[int, float], by_minute: dict[int, float], *, days: int, hours: int) -> dict[str, Any]:
    calls = sum(by_hour.values())
    assert calls == sum(by_minute.values())
    return {"feature": "job", "provider": "openai", "price_provider": "openai", "price_model": "gpt-4o",
            "model": "gpt-4o", "calls": int(calls), "streamed_calls": 0, "user_calls": 0, "input_tokens": 1000,
            "output_tokens": 100, "cache_read_tokens": 0, "cache_write_tokens": 0,
            "calls_by_hour": [by_hour.get(h, 0.0) for h in range(24)],
            "calls_by_minute": [by_minute.get(m, 0.0) for m in range(60)], "active_days": days, "active_hours": hours}


def test_a_nightly_job_seen_on_two_nights_is_scheduled_daily() -> None:
    row = _usage_row({2: 40.0, 3: 10.0}, {m: 5.0 for m in range(0, 50, 5)}, days=2, hours=4)
    assert schedule(row, LIMITS) == "daily at 02h, 03h UTC"
    (finding,) = batchable([row], BOOK, Decimal(1), LIMITS)
    assert finding.evidence["schedule"] == "daily at 02h, 03h UTC"


def test_one_night_alone_is_no_schedule_yet() -> None:
    assert schedule(_usage_row({2: 50.0}, {m: 5.0 for m in range(0, 50, 5)}, days=1, hours=1), LIMITS) is None


def test_a_job_at_fixed_minutes_of_every_hour_is_scheduled_hourly() -> None:
    by_hour = {h: 6.0 for h in range(24)}  # all day long: no daily cluster
    row = _usage_row(by_hour, {0: 48.0, 15: 48.0, 30: 24.0, 45: 24.0}, days=1, hours=24)
    assert schedule(row, LIMITS) == "hourly at minutes :00, :15, :30, :45"


def test_working_day_traffic_at_every_minute_is_not_scheduled() -> None:
    by_hour = {h: 20.0 for h in range(9, 18)}  # 180 calls from 09 to 17 over five days
    by_minute = {m: 3.0 for m in range(60)}
    assert schedule(_usage_row(by_hour, by_minute, days=5, hours=45), LIMITS) is None
    assert batchable([_usage_row(by_hour, by_minute, days=5, hours=45)], BOOK, Decimal(1), LIMITS) == []


def test_a_few_calls_fit_in_a_few_minutes_by_chance_and_are_no_hourly_schedule() -> None:
    # Ten calls at ten different minutes of five hours of one day: too few to tell a schedule.
    row = _usage_row({h: 2.0 for h in range(9, 14)}, {m: 1.0 for m in range(0, 60, 6)}, days=1, hours=5)
    assert schedule(row, LIMITS) is None
