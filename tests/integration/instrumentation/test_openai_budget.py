"""Budgets wired into the instrumentation: refused before any byte is sent, soft marks the span,
settled spend equals the spans' cost. Real SDKs over real HTTP to the fake provider.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import anthropic
import openai
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from otel_llm import semconv, tag
from otel_llm.budget import Budget, BudgetExceeded, Limit
from otel_llm.fake_provider import FakeProvider, Script
from tests.integration.instrumentation.test_anthropic_fixtures import ask, instrumenting
from tests.integration.instrumentation.test_openai_fixtures import attrs, chat, one_span

# The request caps output at 64 tokens, so every estimate is well above one token.
ONE_TOKEN = Limit(per="user", max_tokens=1)


@pytest.fixture
def enforced() -> Iterator[Budget]:
    with Budget([ONE_TOKEN]) as budget:
        yield budget


@pytest.mark.usefixtures("openai_instrumentor", "enforced")
def test_enforced_budget_refuses_before_the_request_is_sent(
    openai_client: openai.OpenAI, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    with tag(user_id="u1"), pytest.raises(BudgetExceeded) as refused:
        openai_client.chat.completions.create(**chat(max_tokens=64))
    assert refused.value.key == "u1"
    assert fake_provider.requests == []
    span = one_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert attrs(span)[semconv.ERROR_TYPE] == "BudgetExceeded"


@pytest.mark.usefixtures("openai_instrumentor", "enforced")
async def test_enforced_budget_refuses_async_calls_too(
    async_openai_client: openai.AsyncOpenAI, fake_provider: FakeProvider
) -> None:
    with tag(user_id="u1"), pytest.raises(BudgetExceeded):
        await async_openai_client.chat.completions.create(**chat(max_tokens=64))
    assert fake_provider.requests == []


@pytest.mark.usefixtures("openai_instrumentor", "enforced")
def test_enforced_budget_refuses_the_stream_helper_on_enter(
    openai_client: openai.OpenAI, fake_provider: FakeProvider
) -> None:
    manager = openai_client.chat.completions.stream(**chat(max_tokens=64))
    with tag(user_id="u1"), pytest.raises(BudgetExceeded), manager:
        pytest.fail("the helper's block must not run")
    assert fake_provider.requests == []


@pytest.mark.usefixtures("openai_instrumentor")
def test_soft_budget_lets_the_call_through_and_marks_the_span(
    openai_client: openai.OpenAI, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    soft = Limit(per="user", max_tokens=1, enforce=False)
    with Budget([soft]), tag(user_id="u1"):
        reply = openai_client.chat.completions.create(**chat(max_tokens=64))
    assert reply.choices
    assert len(fake_provider.requests) == 1
    a = attrs(one_span(span_exporter))
    assert a[semconv.OTEL_LLM_BUDGET_EXCEEDED] is True
    assert a[semconv.OTEL_LLM_COST_USD] > 0


@pytest.mark.usefixtures("openai_instrumentor")
def test_spent_total_equals_the_spans_cost_and_tokens(
    openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter
) -> None:
    limit = Limit(per="feature", max_usd=Decimal(100))
    with Budget([limit]) as budget, tag(feature="search"):
        openai_client.chat.completions.create(**chat(max_tokens=64))
        for _ in openai_client.chat.completions.create(**chat(stream=True, stream_options={"include_usage": True})):
            pass
    spans = [attrs(s) for s in span_exporter.get_finished_spans()]
    assert len(spans) == 2
    assert all(semconv.OTEL_LLM_BUDGET_EXCEEDED not in a for a in spans)
    spent = budget.spent(limit, "search")
    assert spent.tokens == sum(
        a[semconv.GEN_AI_USAGE_INPUT_TOKENS] + a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] for a in spans
    )
    assert float(spent.usd) == pytest.approx(sum(a[semconv.OTEL_LLM_COST_USD] for a in spans), rel=1e-12)


@pytest.mark.usefixtures("openai_instrumentor")
def test_a_failed_call_releases_its_reservation(openai_client: openai.OpenAI, fake_provider: FakeProvider) -> None:
    limit = Limit(per="user", max_tokens=1_000_000)
    fake_provider.enqueue(Script(status=400))
    with Budget([limit]) as budget, tag(user_id="u1"), pytest.raises(openai.APIStatusError):
        openai_client.chat.completions.create(**chat(max_tokens=64))
    assert len(fake_provider.requests) == 1
    assert budget.spent(limit, "u1").tokens == 0


def test_anthropic_calls_are_checked_and_settled(
    fake_provider: FakeProvider,
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    limit = Limit(per="user", max_usd=Decimal(100))
    client = anthropic.Anthropic(base_url=fake_provider.anthropic_base_url, api_key="test-key", max_retries=0)
    with instrumenting(tracer_provider, meter_provider), Budget([limit]) as budget, tag(user_id="u2"):
        client.messages.create(**ask())
        with Budget([ONE_TOKEN]):
            with pytest.raises(BudgetExceeded):
                client.messages.create(**ask())
            with pytest.raises(BudgetExceeded):
                client.messages.stream(**ask())  # the helper is checked when called, before any request
    client.close()
    assert len(fake_provider.requests) == 1
    priced, *refused = sorted(span_exporter.get_finished_spans(), key=lambda s: s.status.status_code.value)
    a = attrs(priced)
    assert [s.status.status_code for s in refused] == [StatusCode.ERROR, StatusCode.ERROR]
    spent = budget.spent(limit, "u2")
    assert spent.tokens == a[semconv.GEN_AI_USAGE_INPUT_TOKENS] + a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS]
    assert float(spent.usd) == pytest.approx(a[semconv.OTEL_LLM_COST_USD], rel=1e-12)
