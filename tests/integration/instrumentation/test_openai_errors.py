"""SDK errors are recorded and re-raised untouched; malformed usage never breaks the user's call."""

from __future__ import annotations

from typing import Any

import openai
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from otel_llm import semconv
from otel_llm.fake_provider import MISSING, FakeProvider, Script
from tests.integration.instrumentation.test_openai_fixtures import attrs, chat, one_span

pytestmark = pytest.mark.usefixtures("openai_instrumentor")


def test_retried_429_gives_one_successful_span(
    fake_provider: FakeProvider, openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(status=429))
    completion = openai_client.chat.completions.create(**chat())
    assert completion.choices[0].message.content
    assert len(fake_provider.requests) == 2  # the SDK retried by itself
    span = one_span(span_exporter)
    assert span.status.status_code is StatusCode.UNSET
    assert semconv.ERROR_TYPE not in attrs(span)


def test_final_500_is_an_error_span_and_the_sdk_exception_is_unchanged(
    fake_provider: FakeProvider, openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(status=500), Script(status=500), Script(status=500))
    with pytest.raises(openai.InternalServerError) as caught:
        openai_client.chat.completions.create(**chat())
    assert type(caught.value) is openai.InternalServerError
    assert caught.value.status_code == 500
    span = one_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert attrs(span)[semconv.ERROR_TYPE] == "500"
    assert any(e.name == "exception" for e in span.events)


async def test_async_error_is_recorded(
    fake_provider: FakeProvider, async_openai_client: openai.AsyncOpenAI, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(status=400))
    with pytest.raises(openai.BadRequestError):
        await async_openai_client.embeddings.create(model="text-embedding-3-small", input="x")
    assert attrs(one_span(span_exporter))[semconv.ERROR_TYPE] == "400"


MALFORMED: dict[str, dict[str, Any]] = {
    "no usage": {},
    "prompt tokens missing": {"prompt_tokens": MISSING},
    "prompt tokens a string": {"prompt_tokens": "1200"},
    "negative completion": {"completion_tokens": -5},
    "null details": {"prompt_tokens_details": None},
    "details a list": {"prompt_tokens_details": [1, 2]},
    "cached a float": {"prompt_tokens_details.cached_tokens": 3.5},
    "cached null": {"prompt_tokens_details.cached_tokens": None},
    "reasoning a dict": {"completion_tokens_details.reasoning_tokens": {"n": 1}},
    "everything null": {"prompt_tokens": None, "completion_tokens": None, "total_tokens": None},
}


@pytest.mark.parametrize("case", MALFORMED)
@pytest.mark.parametrize("stream", [False, True])
def test_malformed_usage_never_breaks_the_call(
    case: str,
    stream: bool,
    inject_stream_usage: None,
    fake_provider: FakeProvider,
    openai_client: openai.OpenAI,
    span_exporter: InMemorySpanExporter,
) -> None:
    script = Script(omit_usage=True) if case == "no usage" else Script(malformed_usage=MALFORMED[case])
    fake_provider.enqueue(script)
    if stream:
        chunks = list(openai_client.chat.completions.create(**chat(stream=True)))
        assert chunks
    else:
        assert openai_client.chat.completions.create(**chat()).choices
    span = one_span(span_exporter)
    a = attrs(span)
    assert span.status.status_code is StatusCode.UNSET
    cost = a.get(semconv.OTEL_LLM_COST_USD)
    assert cost is None or cost >= 0
    if semconv.GEN_AI_USAGE_INPUT_TOKENS in a:
        assert isinstance(a[semconv.GEN_AI_USAGE_INPUT_TOKENS], int) and a[semconv.GEN_AI_USAGE_INPUT_TOKENS] >= 0
    if case in ("no usage", "everything null") and not stream:
        assert semconv.OTEL_LLM_COST_USD not in a  # nothing reported: no cost, never a silent $0
