"""Budget estimates (tiktoken + price book) and refreshing counters from the ClickHouse rollups."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from otel_llm import semconv
from otel_llm.budget import (
    Amount,
    Budget,
    BudgetExceeded,
    Estimate,
    Limit,
    before_request,
    estimate_call,
    estimate_request,
    refresh_from_store,
)
from otel_llm.pricing import default_price_book
from otel_llm.query import ClickHouseSource
from otel_llm.tokens import count_message_tokens, count_text_tokens
from otel_llm.usage import Usage
from tests.cli.conftest import Call, insert_calls

NOW = dt.datetime(2026, 11, 20, 12, 30, tzinfo=dt.timezone.utc)
MESSAGES = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Summarize the report."}]


def test_estimate_counts_the_prompt_and_the_output_cap_at_list_price() -> None:
    prompt = count_message_tokens(MESSAGES, "gpt-4o")
    assert prompt is not None and prompt > 10
    estimate = estimate_call("gpt-4o", "openai", messages=MESSAGES, max_output_tokens=200)
    price = default_price_book().lookup("gpt-4o", "openai")
    assert price is not None and price.input is not None and price.output is not None
    assert estimate == Estimate(prompt + 200, prompt * price.input + 200 * price.output)
    # No cap on the output: only the prompt is estimated; unknown model: no price, tokens still counted.
    assert estimate_call("gpt-4o", "openai", messages=MESSAGES).tokens == prompt
    unknown = estimate_call("no-such-model-xyz", None, messages=MESSAGES, max_output_tokens=5)
    assert unknown.cost_usd is None and unknown.tokens > 5


def test_estimate_request_reads_each_api_shape() -> None:
    contract = "Clause 1. The supplier shall deliver within ten days."
    question = [{"role": "user", "content": "When is invoice 7 due?"}]
    anthropic_kwargs = {"model": "claude-haiku-4-5", "max_tokens": 300, "messages": question,
                        "system": [{"type": "text", "text": contract, "cache_control": {"type": "ephemeral"}}]}
    expected = (count_message_tokens(question, "claude-haiku-4-5") or 0) + (
        count_text_tokens(contract, "claude-haiku-4-5") or 0) + 300
    assert estimate_request("claude-haiku-4-5", "anthropic", anthropic_kwargs).tokens == expected
    responses_kwargs = {"model": "gpt-4o", "instructions": contract, "input": "Summarize.", "max_output_tokens": 50}
    expected = (count_text_tokens(contract + "\n" + "Summarize.", "gpt-4o") or 0) + 50
    assert estimate_request("gpt-4o", "openai", responses_kwargs).tokens == expected
    chat_kwargs = {"model": "gpt-4o", "messages": MESSAGES, "max_completion_tokens": 10}
    assert estimate_request("gpt-4o", "openai", chat_kwargs) == estimate_call(
        "gpt-4o", "openai", messages=MESSAGES, max_output_tokens=10)
    gemini_kwargs = {"model": "gemini-2.5-flash", "contents": [{"role": "user", "parts": [{"text": "Summarize."}]}],
                     "config": {"system_instruction": contract, "max_output_tokens": 40}}
    expected = (count_text_tokens("Summarize.\n" + contract, "gemini-2.5-flash") or 0) + 40
    assert estimate_request("gemini-2.5-flash", "gcp.gemini", gemini_kwargs).tokens == expected


def test_before_request_refuses_a_prompt_bigger_than_the_budget() -> None:
    attrs = {semconv.OTEL_LLM_FEATURE: "search"}
    request = {"messages": MESSAGES, "max_tokens": 100}
    assert before_request(attrs, "gpt-4o", "openai", request) is None  # no budget installed
    with Budget([Limit(per="feature", max_tokens=120)]):
        with pytest.raises(BudgetExceeded):
            before_request(attrs, "gpt-4o", "openai", request)  # prompt + 100 > 120
        reservation = before_request(attrs, "gpt-4o", "openai", {"messages": MESSAGES, "max_tokens": 10})
        assert reservation is not None and reservation.span_attributes == {}


@pytest.mark.totals
def test_refresh_adds_what_other_processes_spent_today(store: Any) -> None:
    client, database = store
    today = NOW.replace(tzinfo=None)
    insert_calls(client, database, [
        Call(today.replace(hour=9), user="alice", input=1000, output=10, cost="0.01"),
        Call(today.replace(hour=12, minute=5), user="alice", feature="search", input=1000, output=10, cost="0.01"),
        Call(today.replace(hour=12, minute=10), user="bob", input=500, output=0, cost="0.002"),
        Call(today - dt.timedelta(days=1), user="alice", input=99_999, cost="9"),  # yesterday: another window
    ])
    per_user = Limit(per="user", max_tokens=5000)
    free_tier = Limit(per="total", tier="free", max_usd=Decimal("0.05"))
    search_hour = Limit(per="feature", feature="search", window="hour", max_tokens=10_000)
    budget = Budget([per_user, free_tier, search_hour], tiers={"bob": "free"}, clock=NOW.timestamp)
    budget.settle(budget.check({semconv.ENDUSER_ID: "alice"}, Estimate(0)), Usage(300, 0), None)  # ours
    refresh_from_store(budget, ClickHouseSource(client), database)
    # The store is taken to include our own earlier calls (exported by now): max(ours, store), not a sum.
    assert budget.spent(per_user, "alice") == Amount(2020, Decimal("0.02"))
    budget.settle(budget.check({semconv.ENDUSER_ID: "alice"}, Estimate(0)), Usage(100, 0), None)
    assert budget.spent(per_user, "alice") == Amount(2120, Decimal("0.02"))  # calls since the refresh add up
    assert budget.spent(per_user, "bob") == Amount(500, Decimal("0.002"))
    assert budget.spent(free_tier) == Amount(500, Decimal("0.002"))
    assert budget.spent(search_hour, "search") == Amount(1010, Decimal("0.01"))
