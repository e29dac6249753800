"""groq's own SDK over real HTTP to the fake provider's Groq wire: one priced span per call."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from otel_llm import semconv
from otel_llm.fake_provider import FakeProvider, Script
from tests.integration.instrumentation.sdk_spans import attrs, only_span, spans_of

groq = pytest.importorskip("groq")
from groq.types.chat import ChatCompletion  # noqa: E402

pytestmark = pytest.mark.usefixtures("groq_instrumentor")

SCOPE = "otel_llm.instrumentation.groq"
MODEL = "openai/gpt-oss-20b"  # on Groq: $0.075/M input, $0.30/M output, $0.0375/M cached input
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello to the test suite."}]
# 2,000 prompt tokens of which 1,024 cached, 500 completion tokens.
CACHED = Script(prompt_tokens=2000, completion_tokens=500, cached_tokens=1024)
CACHED_COST_USD = 0.0002616  # 976*0.075e-6 + 1024*0.0375e-6 + 500*0.3e-6


def span(exporter: InMemorySpanExporter) -> ReadableSpan:
    return only_span(exporter, SCOPE)


def assert_cached_priced(a: dict[str, Any]) -> None:
    assert a[semconv.GEN_AI_PROVIDER_NAME] == semconv.PROVIDER_GROQ
    assert a[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 2000
    assert a[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 1024
    assert a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 500
    assert a[semconv.OTEL_LLM_USAGE_ESTIMATED] is False
    assert a[semconv.OTEL_LLM_COST_USD] == pytest.approx(CACHED_COST_USD, abs=1e-12)


def test_create_is_one_priced_chat_span(
    fake_provider: FakeProvider, groq_client: Any, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(CACHED)
    completion = groq_client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=64, seed=3)
    assert type(completion) is ChatCompletion
    s = span(span_exporter)
    a = attrs(s)
    assert s.name == f"chat {MODEL}" and s.kind is SpanKind.CLIENT
    assert_cached_priced(a)
    assert a[semconv.GEN_AI_RESPONSE_ID] == completion.id
    assert a[semconv.GEN_AI_RESPONSE_MODEL] == MODEL
    assert a[semconv.GEN_AI_RESPONSE_SERVICE_TIER] == "on_demand"
    assert a[semconv.GEN_AI_REQUEST_MAX_TOKENS] == 64 and a[semconv.GEN_AI_REQUEST_SEED] == 3
    assert semconv.GEN_AI_INPUT_MESSAGES not in a


async def test_async_create(
    fake_provider: FakeProvider, async_groq_client: Any, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(CACHED)
    await async_groq_client.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert_cached_priced(attrs(span(span_exporter)))


def test_stream_is_priced_from_x_groq_usage_without_changing_the_request(
    fake_provider: FakeProvider, groq_client: Any, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(CACHED)
    stream = groq_client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    assert isinstance(stream, groq.Stream)
    chunks = list(stream)
    assert chunks[-1].x_groq.usage.prompt_tokens == 2000
    assert "stream_options" not in fake_provider.requests[-1].body
    a = attrs(span(span_exporter))
    assert a[semconv.GEN_AI_REQUEST_STREAM] is True
    assert a[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    assert_cached_priced(a)


async def test_async_stream(fake_provider: FakeProvider, async_groq_client: Any, span_exporter) -> None:
    fake_provider.enqueue(CACHED)
    stream = await async_groq_client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    assert isinstance(stream, groq.AsyncStream)
    async with stream:
        assert [c async for c in stream]
    assert_cached_priced(attrs(span(span_exporter)))


def test_stream_broken_early_ends_the_span_once_estimated(groq_client: Any, span_exporter) -> None:
    stream = groq_client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    for _chunk in stream:
        break
    s = span(span_exporter)
    assert s.status.status_code is StatusCode.UNSET
    assert attrs(s).get(semconv.OTEL_LLM_USAGE_ESTIMATED, True) is True
    stream.close()
    gc.collect()
    assert len(spans_of(span_exporter, SCOPE)) == 1


async def test_async_stream_broken_early(async_groq_client: Any, span_exporter) -> None:
    stream = await async_groq_client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    async for _chunk in stream:
        break
    await stream.close()
    assert span(span_exporter).status.status_code is StatusCode.UNSET


def test_abandoned_stream_ends_on_garbage_collection(groq_client: Any, span_exporter) -> None:
    stream = groq_client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    next(stream)
    assert spans_of(span_exporter, SCOPE) == []
    del stream
    gc.collect()
    span(span_exporter)


@pytest.mark.parametrize("mode", ["disconnect", "error_event"])
def test_error_mid_stream_is_recorded_and_reraised(
    mode: str, fake_provider: FakeProvider, groq_client: Any, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(fail_mid_stream=2, fail_mode=mode))  # type: ignore[arg-type]
    with pytest.raises(Exception) as caught:
        list(groq_client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True))
    s = span(span_exporter)
    assert s.status.status_code is StatusCode.ERROR
    expected = (type(caught.value).__qualname__, str(getattr(caught.value, "status_code", "")))
    assert attrs(s)[semconv.ERROR_TYPE] in expected


def test_429_retried_by_the_sdk_is_one_successful_span(
    fake_provider: FakeProvider, groq_client: Any, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(status=429), CACHED)
    groq_client.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert len(fake_provider.requests) == 2
    s = span(span_exporter)
    assert s.status.status_code is StatusCode.UNSET
    assert_cached_priced(attrs(s))


def test_final_500_is_an_error_span_and_the_sdk_exception_is_unchanged(
    fake_provider: FakeProvider, groq_client: Any, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(status=500), Script(status=500), Script(status=500))
    with pytest.raises(groq.InternalServerError) as caught:
        groq_client.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert type(caught.value) is groq.InternalServerError
    assert len(fake_provider.requests) == 3
    s = span(span_exporter)
    assert s.status.status_code is StatusCode.ERROR
    assert attrs(s)[semconv.ERROR_TYPE] == "500"


def test_raw_response_is_traced_once(fake_provider: FakeProvider, groq_client: Any, span_exporter) -> None:
    fake_provider.enqueue(CACHED)
    raw = groq_client.chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)
    assert raw.parse().choices
    assert_cached_priced(attrs(span(span_exporter)))


def test_unknown_model_is_flagged_never_priced(fake_provider: FakeProvider, groq_client: Any, span_exporter) -> None:
    groq_client.chat.completions.create(model="llama-from-the-future", messages=MESSAGES)
    a = attrs(span(span_exporter))
    assert a[semconv.OTEL_LLM_COST_UNKNOWN_MODEL] is True
    assert semconv.OTEL_LLM_COST_USD not in a


def test_the_request_shape_is_on_the_span_and_identical_requests_match(
    fake_provider: FakeProvider, groq_client: Any, span_exporter: InMemorySpanExporter
) -> None:
    for question in ("Say hello to the test suite.", "Say hello to the test suite.", "Say goodbye."):
        fake_provider.enqueue(Script(prompt_tokens=100, completion_tokens=5))
        groq_client.chat.completions.create(model=MODEL, max_tokens=64, messages=[
            MESSAGES[0], {"role": "user", "content": question}])
    first, again, other = (attrs(s) for s in spans_of(span_exporter, SCOPE))
    assert first[semconv.OTEL_LLM_REQUEST_FINGERPRINT] == again[semconv.OTEL_LLM_REQUEST_FINGERPRINT]
    assert first[semconv.OTEL_LLM_REQUEST_FINGERPRINT] != other[semconv.OTEL_LLM_REQUEST_FINGERPRINT]
    assert first[semconv.OTEL_LLM_REQUEST_PREFIX_FINGERPRINT] == other[semconv.OTEL_LLM_REQUEST_PREFIX_FINGERPRINT]
    assert (first[semconv.OTEL_LLM_REQUEST_MESSAGE_COUNT], first[semconv.OTEL_LLM_REQUEST_TURN_INDEX]) == (2, 1)
    assert first[semconv.OTEL_LLM_REQUEST_MAX_TOKENS_SET] is True
    assert first[semconv.OTEL_LLM_REQUEST_CACHE_CONTROL] == semconv.CACHE_CONTROL_NONE
