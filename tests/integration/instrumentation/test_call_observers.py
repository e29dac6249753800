"""The call-observer protocol on its own (no budget): what an observer sees before the request and
after the call, a refusal that releases the observers before it, and an observer's bug that never
reaches the user. Real OpenAI SDK over real HTTP to the fake provider."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

import openai
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from otel_llm import semconv, tag
from otel_llm.fake_provider import FakeProvider, Script
from otel_llm.instrumentation import CallObserver, add_call_observer, call_observers, remove_call_observer
from otel_llm.usage import Usage
from tests.integration.instrumentation.test_openai_fixtures import attrs, chat, one_span


class Refused(Exception):
    pass


class Recorder:
    """Records what it is shown; refuses the call when ``refuse`` is set."""

    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.before: list[tuple[dict[str, str], str | None, str, dict[str, Any], bool]] = []
        self.after: list[tuple[object, Usage | None, Decimal | None]] = []

    def before_request(
        self, tags: Mapping[str, str], model: str | None, provider: str, request: Mapping[str, Any]
    ) -> object | None:
        recording = trace.get_current_span().is_recording()  # the call's span is current
        self.before.append((dict(tags), model, provider, dict(request), recording))
        if self.refuse:
            raise Refused("no")
        return f"token-{len(self.before)}"

    def after_call(self, token: object, usage: Usage | None, cost_usd: Decimal | None) -> None:
        self.after.append((token, usage, cost_usd))


class Broken:
    def before_request(self, *args: Any) -> object:
        return "token"

    def after_call(self, *args: Any) -> None:
        raise RuntimeError("a bug in the observer")


def observing(*observers: CallObserver) -> Iterator[None]:
    for observer in observers:
        add_call_observer(observer)
    try:
        yield
    finally:
        for observer in observers:
            remove_call_observer(observer)


@pytest.mark.usefixtures("openai_instrumentor")
def test_an_observer_sees_the_request_before_it_is_sent_and_the_priced_usage_after(
    openai_client: openai.OpenAI, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    seen = Recorder()
    for _ in observing(seen):
        with tag(feature="search", user_id="u1"):
            openai_client.chat.completions.create(**chat(max_tokens=64))
    assert call_observers() == ()
    [(tags, model, provider, request, span_current)] = seen.before
    assert (tags[semconv.OTEL_LLM_FEATURE], tags[semconv.ENDUSER_ID]) == ("search", "u1")
    assert (model, provider, request["max_tokens"], span_current) == ("gpt-4o", semconv.PROVIDER_OPENAI, 64, True)
    [(token, usage, cost)] = seen.after
    a = attrs(one_span(span_exporter))
    assert token == "token-1"
    assert usage is not None and usage.output_tokens == a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS]
    assert cost is not None and float(cost) == pytest.approx(a[semconv.OTEL_LLM_COST_USD], rel=1e-12)
    assert len(fake_provider.requests) == 1


@pytest.mark.usefixtures("openai_instrumentor")
def test_a_refusal_reaches_the_user_unsent_and_releases_the_observers_before_it(
    openai_client: openai.OpenAI, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    first, refusing = Recorder(), Recorder(refuse=True)
    for _ in observing(first, refusing):
        with pytest.raises(Refused):
            openai_client.chat.completions.create(**chat(max_tokens=64))
    assert fake_provider.requests == []
    assert first.after == [("token-1", None, None)]  # released, nothing billed
    assert refusing.after == []
    span = one_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR


@pytest.mark.usefixtures("openai_instrumentor")
def test_a_failed_call_ends_with_no_usage_and_a_broken_observer_is_contained(
    openai_client: openai.OpenAI, fake_provider: FakeProvider, caplog: pytest.LogCaptureFixture
) -> None:
    seen = Recorder()
    fake_provider.enqueue(Script(status=400))
    for _ in observing(Broken(), seen):
        with pytest.raises(openai.APIStatusError):
            openai_client.chat.completions.create(**chat(max_tokens=64))
        reply = openai_client.chat.completions.create(**chat(max_tokens=64))  # Broken's bug stays ours
    assert reply.choices
    assert "Broken.after_call" in caplog.text  # logged as ours, never raised to the user
    failed, succeeded = seen.after
    assert failed == ("token-1", None, None)
    assert succeeded[1] is not None
