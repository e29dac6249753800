"""Budgets: deny before the call, warn in soft mode, settle actual usage, windows, concurrency."""

from __future__ import annotations

import asyncio
import logging
import threading
from decimal import Decimal

import pytest

from otel_llm import semconv, tag
from otel_llm.budget import Amount, Budget, BudgetExceeded, Estimate, Limit, after_call, before_call
from otel_llm.context import current_tag_attributes
from otel_llm.usage import Usage


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def user(uid: str, feature: str | None = None) -> dict[str, str]:
    attrs = {semconv.ENDUSER_ID: uid}
    if feature:
        attrs[semconv.OTEL_LLM_FEATURE] = feature
    return attrs


def test_enforced_token_limit_denies_once_reservations_reach_the_cap() -> None:
    limit = Limit(per="user", max_tokens=100)
    budget = Budget([limit], clock=Clock())
    for _ in range(4):
        budget.check(user("u1"), Estimate(25))
    with pytest.raises(BudgetExceeded) as refused:
        budget.check(user("u1"), Estimate(1))
    assert refused.value.key == "u1"
    assert refused.value.spent == Amount(100)
    assert refused.value.limit is limit
    assert "u1" in str(refused.value)
    # Another user has their own counter.
    budget.check(user("u2"), Estimate(100))
    assert budget.spent(limit, "u1") == Amount(100)


def test_a_refused_call_reserves_nothing() -> None:
    limit = Limit(per="user", max_tokens=100)
    budget = Budget([limit], clock=Clock())
    budget.check(user("u1"), Estimate(60))
    with pytest.raises(BudgetExceeded):
        budget.check(user("u1"), Estimate(50))
    assert budget.spent(limit, "u1") == Amount(60)
    budget.check(user("u1"), Estimate(40))


def test_settle_replaces_the_estimate_with_actual_usage_and_cost() -> None:
    limit = Limit(per="feature", max_usd=Decimal("0.010"))
    budget = Budget([limit], clock=Clock())
    ticket = budget.check(user("u1", "search"), Estimate(500, Decimal("0.004")))
    assert budget.spent(limit, "search") == Amount(500, Decimal("0.004"))
    budget.settle(ticket, Usage(input_tokens=300, output_tokens=20, cache_read_tokens=100), Decimal("0.0015"))
    assert budget.spent(limit, "search") == Amount(320, Decimal("0.0015"))
    failed = budget.check(user("u1", "search"), Estimate(10, Decimal("0.008")))
    budget.settle(failed, None, None)  # the call failed: nothing billed, reservation released
    assert budget.spent(limit, "search") == Amount(320, Decimal("0.0015"))


def test_usd_limit_refuses_when_estimate_would_cross_the_cap() -> None:
    limit = Limit(per="total", max_usd=0.01)  # a float is converted exactly, once
    assert limit.max_usd == Decimal("0.01")
    budget = Budget([limit], clock=Clock())
    budget.check({}, Estimate(10, Decimal("0.006")))
    with pytest.raises(BudgetExceeded):
        budget.check({}, Estimate(10, Decimal("0.005")))
    budget.check({}, Estimate(10, Decimal("0.004")))


def test_unpriced_estimate_passes_until_spent_then_refuses() -> None:
    budget = Budget([Limit(per="total", max_usd=Decimal("0.01"))], clock=Clock())
    ticket = budget.check({}, Estimate(10, None))
    budget.settle(ticket, Usage(10, 10), Decimal("0.02"))
    with pytest.raises(BudgetExceeded):
        budget.check({}, Estimate(10, None))


def test_tier_and_feature_filters_select_which_calls_count() -> None:
    free = Limit(per="user", tier="free", max_tokens=10)
    search = Limit(per="total", feature="search", max_tokens=1000)
    budget = Budget([free, search], tiers={"f1": "free", "p1": "pro"}.get, clock=Clock())
    budget.check(user("p1"), Estimate(500))  # pro user, no feature: no limit applies
    with pytest.raises(BudgetExceeded):
        budget.check(user("f1"), Estimate(11))
    budget.check(user("p1", "search"), Estimate(900))
    with pytest.raises(BudgetExceeded) as refused:
        budget.check(user("p1", "search"), Estimate(101))
    assert refused.value.limit is search
    assert budget.spent(free, "f1") == Amount()


def test_calls_without_the_per_key_are_not_limited() -> None:
    budget = Budget([Limit(per="user", max_tokens=1)], clock=Clock())
    budget.check({}, Estimate(10_000))


def test_windows_are_utc_hours_and_a_new_window_starts_empty() -> None:
    clock = Clock(3600 * 1000 + 3599)  # last second of an hour
    limit = Limit(per="user", max_tokens=10, window="hour")
    budget = Budget([limit], clock=clock)
    ticket = budget.check(user("u"), Estimate(10))
    with pytest.raises(BudgetExceeded):
        budget.check(user("u"), Estimate(1))
    clock.now += 1
    budget.check(user("u"), Estimate(10))
    budget.settle(ticket, Usage(5, 5), None)  # settling a closed window does not leak into the new one
    assert budget.spent(limit, "u") == Amount(10)


def test_soft_limit_warns_once_per_window_and_marks_the_span(caplog: pytest.LogCaptureFixture) -> None:
    budget = Budget([Limit(per="user", max_tokens=10, enforce=False)], clock=Clock())
    assert budget.check(user("u"), Estimate(10)).span_attributes == {}
    with caplog.at_level(logging.WARNING, logger="otel_llm.budget"):
        over = [budget.check(user("u"), Estimate(5)) for _ in range(3)]
    assert all(t.span_attributes == {semconv.OTEL_LLM_BUDGET_EXCEEDED: True} for t in over)
    assert len([r for r in caplog.records if "soft budget" in r.message]) == 1


def test_invalid_limits_raise_at_once() -> None:
    with pytest.raises(ValueError):
        Limit(per="team", max_tokens=1)
    with pytest.raises(ValueError):
        Limit(per="user", window="week", max_tokens=1)
    with pytest.raises(ValueError):
        Limit(per="user")


def test_store_totals_add_other_processes_without_double_counting_ours() -> None:
    limit = Limit(per="user", max_tokens=1000)
    budget = Budget([limit], clock=Clock())
    budget.settle(budget.check(user("u"), Estimate(0)), Usage(100, 0), None)
    # The store saw our 100 plus 500 from other processes.
    budget.set_store_totals(limit, {"u": Amount(600)})
    assert budget.spent(limit, "u") == Amount(600)
    budget.settle(budget.check(user("u"), Estimate(0)), Usage(50, 0), None)
    assert budget.spent(limit, "u") == Amount(650)
    # A stale store total (lower than what we counted ourselves) never lowers the counter.
    budget.set_store_totals(limit, {"u": Amount(10)})
    assert budget.spent(limit, "u") == Amount(150)


def test_many_threads_get_exactly_the_headroom() -> None:
    limit = Limit(per="user", max_tokens=100)
    budget = Budget([limit], clock=Clock())
    allowed: list[int] = []
    denied: list[int] = []
    barrier = threading.Barrier(50)

    def call(i: int) -> None:
        barrier.wait()
        try:
            budget.check(user("u"), Estimate(10))
            allowed.append(i)
        except BudgetExceeded:
            denied.append(i)

    threads = [threading.Thread(target=call, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(allowed) == 10
    assert len(denied) == 40
    assert budget.spent(limit, "u") == Amount(100)


async def test_many_asyncio_tasks_through_the_hooks() -> None:
    limit = Limit(per="user", max_tokens=100)
    budget = Budget([limit], clock=Clock())
    estimates: list[int] = []

    def estimate() -> Estimate:
        estimates.append(1)
        return Estimate(10)

    async def call(uid: str) -> bool:
        with tag(user_id=uid):
            await asyncio.sleep(0)
            try:
                reservation = before_call(current_tag_attributes(), estimate)
            except BudgetExceeded:
                return False
            await asyncio.sleep(0)
            after_call(reservation, Usage(4, 1), None)  # each call really used 5 tokens
            return True

    with budget:
        results = await asyncio.gather(*(call("u") for _ in range(30)))
    # Reservations of 10 are settled to 5, so more than 10 calls fit, but never past the cap.
    assert budget.spent(limit, "u").tokens <= 100
    assert sum(results) == budget.spent(limit, "u").tokens // 5
    assert sum(results) >= 10
    assert before_call(user("u"), estimate) is None  # uninstalled on exit: no estimate computed
    assert len(estimates) == 30


def test_hooks_release_other_budgets_when_one_refuses_and_survive_a_failing_estimate() -> None:
    loose = Budget([Limit(per="user", max_tokens=1000)], clock=Clock())
    tight = Budget([Limit(per="user", max_tokens=5)], clock=Clock())

    def broken() -> Estimate:
        raise RuntimeError("tokenizer missing")

    with loose, tight:
        with pytest.raises(BudgetExceeded):
            before_call(user("u"), lambda: Estimate(10))
        assert loose.spent(loose.limits[0], "u") == Amount()
        reservation = before_call(user("u"), broken)
        assert reservation is not None and len(reservation.tickets) == 2
        after_call(reservation, Usage(3, 3), None)
        assert tight.spent(tight.limits[0], "u") == Amount(6)
        with pytest.raises(BudgetExceeded):
            before_call(user("u"), broken)


def test_public_surface_is_what_it_claims() -> None:
    import otel_llm.budget as budget_api

    assert sorted(budget_api.__all__) == sorted([
        "Amount", "Budget", "BudgetExceeded", "Estimate", "Limit", "Reservation", "Ticket", "after_call",
        "before_call", "before_request", "estimate_call", "estimate_request", "refresh_from_store",
    ])
    assert all(hasattr(budget_api, name) for name in budget_api.__all__)
    assert budget_api.BudgetExceeded.__doc__ and "BEFORE the request is sent" in budget_api.BudgetExceeded.__doc__


def test_library_packages_import_on_their_own() -> None:
    """otel_llm.alerts and otel_llm.budget use the CLI's query layer; importing them first must not cycle."""
    import subprocess
    import sys

    for module in ("otel_llm.alerts", "otel_llm.budget", "otel_llm.query"):
        done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
