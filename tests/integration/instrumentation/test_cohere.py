"""cohere over real HTTP to the fake provider's Cohere wire: one span per call, priced by billed units."""

from __future__ import annotations

import gc
import inspect
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from otel_llm import semconv
from otel_llm.fake_provider import FakeProvider, Script
from tests.integration.instrumentation.sdk_spans import attrs, only_span, spans_of

cohere = pytest.importorskip("cohere")

SCOPE = "otel_llm.instrumentation.cohere"
MODEL = "command-a-03-2025"  # $2.50/M input, $10/M output
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello to the test suite."}]
# Billed 1,000 input and 200 output tokens; Cohere's ``tokens`` say 1,087 input (its prompt template).
BILLED = Script(prompt_tokens=1000, completion_tokens=200)
BILLED_COST_USD = 0.0045  # 1000*2.5e-6 + 200*10e-6


@pytest.fixture
def client(cohere_instrumentor: Any, fake_provider: FakeProvider) -> Iterator[Any]:
    """Built after instrument(), as under opentelemetry-instrument (the client binds chat when constructed);
    the SDK retries twice by default."""
    with cohere.ClientV2(api_key="test-key", base_url=fake_provider.cohere_base_url) as c:
        yield c


@pytest.fixture
async def async_client(cohere_instrumentor: Any, fake_provider: FakeProvider) -> AsyncIterator[Any]:
    yield cohere.AsyncClientV2(api_key="test-key", base_url=fake_provider.cohere_base_url)


def span(exporter: InMemorySpanExporter) -> ReadableSpan:
    return only_span(exporter, SCOPE)


def assert_billed_priced(a: dict[str, Any]) -> None:
    assert a[semconv.GEN_AI_PROVIDER_NAME] == semconv.PROVIDER_COHERE
    assert a[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 1000  # billed, not the 1,087 Cohere's tokenizer saw
    assert a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 200
    assert a[semconv.OTEL_LLM_COST_USD] == pytest.approx(BILLED_COST_USD, abs=1e-12)


def test_chat_is_one_span_priced_by_billed_units(
    fake_provider: FakeProvider, client: Any, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(BILLED)
    response = client.chat(model=MODEL, messages=MESSAGES, temperature=0.3, p=0.9, k=40, max_tokens=300)
    assert response.usage.tokens.input_tokens == 1087
    s = span(span_exporter)
    a = attrs(s)
    assert s.name == f"chat {MODEL}" and s.kind is SpanKind.CLIENT
    assert_billed_priced(a)
    assert a[semconv.GEN_AI_RESPONSE_ID] == response.id
    assert a[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("COMPLETE",)
    assert a[semconv.GEN_AI_REQUEST_TOP_P] == 0.9 and a[semconv.GEN_AI_REQUEST_TOP_K] == 40
    assert a[semconv.GEN_AI_REQUEST_MAX_TOKENS] == 300
    assert a[semconv.SERVER_ADDRESS] == "127.0.0.1"
    assert semconv.GEN_AI_INPUT_MESSAGES not in a and semconv.GEN_AI_OUTPUT_MESSAGES not in a


async def test_async_chat(fake_provider: FakeProvider, async_client: Any, span_exporter) -> None:
    fake_provider.enqueue(BILLED)
    response = await async_client.chat(model=MODEL, messages=MESSAGES)
    assert response.message.content[0].text
    assert_billed_priced(attrs(span(span_exporter)))


def test_chat_stream_is_priced_from_message_end(fake_provider: FakeProvider, client: Any, span_exporter) -> None:
    fake_provider.enqueue(BILLED)
    stream = client.chat_stream(model=MODEL, messages=MESSAGES)
    assert inspect.isgenerator(stream)
    events = list(stream)
    assert [e.type for e in events][:2] == ["message-start", "content-start"] and events[-1].type == "message-end"
    a = attrs(span(span_exporter))
    assert_billed_priced(a)
    assert a[semconv.GEN_AI_REQUEST_STREAM] is True
    assert a[semconv.GEN_AI_RESPONSE_ID] == events[0].id
    assert a[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("COMPLETE",)
    assert a[semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] > 0


async def test_async_chat_stream(fake_provider: FakeProvider, async_client: Any, span_exporter) -> None:
    fake_provider.enqueue(BILLED)
    stream = async_client.chat_stream(model=MODEL, messages=MESSAGES)
    assert inspect.isasyncgen(stream)
    assert [e async for e in stream][-1].type == "message-end"
    assert_billed_priced(attrs(span(span_exporter)))


def test_stream_broken_early_ends_once_without_a_guessed_cost(client: Any, span_exporter) -> None:
    stream = client.chat_stream(model=MODEL, messages=MESSAGES)
    for _event in stream:
        break
    s = span(span_exporter)
    assert s.status.status_code is StatusCode.UNSET
    assert semconv.GEN_AI_USAGE_INPUT_TOKENS not in attrs(s) and semconv.OTEL_LLM_COST_USD not in attrs(s)
    stream.close()
    gc.collect()
    assert len(spans_of(span_exporter, SCOPE)) == 1


async def test_async_stream_broken_then_closed(async_client: Any, span_exporter) -> None:
    stream = async_client.chat_stream(model=MODEL, messages=MESSAGES)
    async for _event in stream:
        break
    await stream.aclose()
    assert span(span_exporter).status.status_code is StatusCode.UNSET


def test_abandoned_stream_ends_on_garbage_collection(client: Any, span_exporter) -> None:
    stream = client.chat_stream(model=MODEL, messages=MESSAGES)
    next(stream)
    assert spans_of(span_exporter, SCOPE) == []
    del stream
    gc.collect()
    span(span_exporter)


def test_connection_dropped_mid_stream_is_the_calls_error(
    fake_provider: FakeProvider, client: Any, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(fail_mid_stream=2))
    with pytest.raises(Exception) as caught:  # whatever the SDK raises, re-raised untouched
        list(client.chat_stream(model=MODEL, messages=MESSAGES))
    s = span(span_exporter)
    assert s.status.status_code is StatusCode.ERROR
    assert attrs(s)[semconv.ERROR_TYPE] == type(caught.value).__qualname__


def test_429_retried_by_the_sdk_is_one_successful_span(
    fake_provider: FakeProvider, client: Any, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(status=429), BILLED)
    client.chat(model=MODEL, messages=MESSAGES)
    assert len(fake_provider.requests) == 2
    s = span(span_exporter)
    assert s.status.status_code is StatusCode.UNSET
    assert_billed_priced(attrs(s))


def test_final_500_is_an_error_span_and_the_sdk_error_is_unchanged(
    fake_provider: FakeProvider, client: Any, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(status=500), Script(status=500), Script(status=500))
    with pytest.raises(cohere.InternalServerError) as caught:
        client.chat(model=MODEL, messages=MESSAGES)
    assert type(caught.value) is cohere.InternalServerError
    assert len(fake_provider.requests) == 3
    s = span(span_exporter)
    assert s.status.status_code is StatusCode.ERROR
    assert attrs(s)[semconv.ERROR_TYPE] == "500"


def test_stream_429_is_not_retried_by_the_sdk_and_is_the_calls_error(
    fake_provider: FakeProvider, client: Any, span_exporter: InMemorySpanExporter
) -> None:
    # cohere retries its JSON requests but not its streamed ones: the 429 surfaces from the first
    # iteration, untouched, and fails the one span.
    fake_provider.enqueue(Script(status=429))
    with pytest.raises(cohere.TooManyRequestsError) as caught:
        list(client.chat_stream(model=MODEL, messages=MESSAGES))
    assert type(caught.value) is cohere.TooManyRequestsError
    assert len(fake_provider.requests) == 1
    s = span(span_exporter)
    assert s.status.status_code is StatusCode.ERROR
    assert attrs(s)[semconv.ERROR_TYPE] == "429"


def test_embed_sync_and_async_priced_by_billed_input(
    fake_provider: FakeProvider, client: Any, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(prompt_tokens=500))
    response = client.embed(model="embed-v4.0", texts=["one", "two"], input_type="search_document",
                            embedding_types=["float"])
    assert len(response.embeddings.float_) == 2
    a = attrs(span(span_exporter))
    assert a[semconv.GEN_AI_OPERATION_NAME] == semconv.OP_EMBEDDINGS
    assert a[semconv.GEN_AI_REQUEST_ENCODING_FORMATS] == ("float",)
    assert a[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 500
    assert a[semconv.OTEL_LLM_COST_USD] == pytest.approx(500 * 0.12e-6, abs=1e-12)  # $0.12/M


async def test_async_embed(fake_provider: FakeProvider, async_client: Any, span_exporter) -> None:
    fake_provider.enqueue(Script(prompt_tokens=500))
    await async_client.embed(model="embed-v4.0", texts=["one"], input_type="search_query", embedding_types=["float"])
    assert attrs(span(span_exporter))[semconv.OTEL_LLM_COST_USD] == pytest.approx(500 * 0.12e-6, abs=1e-12)


def test_v1_chat_is_priced_from_meta_billed_units(
    cohere_instrumentor: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(BILLED)
    with cohere.Client(api_key="test-key", base_url=fake_provider.cohere_base_url) as v1:
        response = v1.chat(model=MODEL, message="Say hello.", preamble="Be brief.")
    assert response.text
    assert_billed_priced(attrs(span(span_exporter)))


def test_unknown_model_is_flagged_never_priced(fake_provider: FakeProvider, client: Any, span_exporter) -> None:
    client.chat(model="command-from-the-future", messages=MESSAGES)
    a = attrs(span(span_exporter))
    assert a[semconv.OTEL_LLM_COST_UNKNOWN_MODEL] is True
    assert semconv.OTEL_LLM_COST_USD not in a


@pytest.mark.parametrize("malformed", [{"billed_units.input_tokens": -3}, {"billed_units.output_tokens": "many"}])
def test_malformed_billed_units_are_flagged_suspect_and_unpriced(
    malformed: dict[str, Any], fake_provider: FakeProvider, client: Any, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(malformed_usage=malformed))
    assert client.chat(model=MODEL, messages=MESSAGES).message
    a = attrs(span(span_exporter))
    assert a[semconv.OTEL_LLM_USAGE_SUSPECT] is True
    assert semconv.OTEL_LLM_COST_USD not in a


def test_v1_chat_stream_json_lines_priced_from_stream_end(
    cohere_instrumentor: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(BILLED)
    with cohere.Client(api_key="test-key", base_url=fake_provider.cohere_base_url) as v1:
        events = list(v1.chat_stream(model=MODEL, message="Say hello."))
    assert events[0].event_type == "stream-start" and events[-1].event_type == "stream-end"
    a = attrs(span(span_exporter))
    assert_billed_priced(a)
    assert a[semconv.GEN_AI_RESPONSE_ID] == events[-1].response.response_id
    assert a[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("COMPLETE",)
