"""Every traced OpenAI operation, sync and async, streamed and not: one priced span each.

Real ``openai`` SDK over real HTTP to the fake provider on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import openai
import pydantic
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from otel_llm import semconv
from tests.integration.instrumentation.test_openai_fixtures import MODEL, attrs, chat, one_span

pytestmark = pytest.mark.usefixtures("openai_instrumentor")


class Greeting(pydantic.BaseModel):
    greeting: str


def _assert_priced_span(exporter: InMemorySpanExporter, operation: str, model: str) -> dict[str, Any]:
    span = one_span(exporter)
    a = attrs(span)
    assert span.name == f"{operation} {model}"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    assert a[semconv.GEN_AI_OPERATION_NAME] == operation
    assert a[semconv.GEN_AI_PROVIDER_NAME] == semconv.PROVIDER_OPENAI
    assert a[semconv.GEN_AI_REQUEST_MODEL] == model
    assert a[semconv.SERVER_ADDRESS] == "127.0.0.1"
    assert isinstance(a[semconv.SERVER_PORT], int)
    assert a[semconv.GEN_AI_USAGE_INPUT_TOKENS] > 0
    assert a[semconv.OTEL_LLM_COST_USD] > 0
    assert a[semconv.OTEL_LLM_PRICING_VERSION]
    assert a[semconv.OTEL_LLM_PRICING_SOURCE] == semconv.PRICING_SOURCE_EXACT
    assert semconv.OTEL_LLM_COST_UNKNOWN_MODEL not in a
    return a


# Each builder serves both clients: with AsyncOpenAI it returns the awaitable.
CALLS: dict[str, tuple[str, str, Callable[[Any], Any]]] = {
    "chat.create": ("chat", MODEL, lambda c: c.chat.completions.create(**chat())),
    "chat.parse": ("chat", MODEL, lambda c: c.chat.completions.parse(**chat(response_format=Greeting))),
    "responses.create": ("chat", MODEL, lambda c: c.responses.create(model=MODEL, input="hello")),
    "responses.parse": ("chat", MODEL, lambda c: c.responses.parse(model=MODEL, input="hello")),
    "embeddings.create": (
        "embeddings",
        "text-embedding-3-small",
        lambda c: c.embeddings.create(model="text-embedding-3-small", input="hello"),
    ),
    "completions.create": (
        "text_completion",
        "gpt-3.5-turbo-instruct",
        lambda c: c.completions.create(model="gpt-3.5-turbo-instruct", prompt="hello"),
    ),
}


@pytest.mark.parametrize("name", CALLS)
def test_sync_call(name: str, openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter) -> None:
    operation, model, call = CALLS[name]
    result = call(openai_client)
    assert isinstance(result, pydantic.BaseModel)
    a = _assert_priced_span(span_exporter, operation, model)
    if operation != "embeddings":
        assert a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] > 0
        assert a[semconv.GEN_AI_RESPONSE_ID] == result.id
        assert a[semconv.GEN_AI_RESPONSE_FINISH_REASONS]


@pytest.mark.parametrize("name", CALLS)
async def test_async_call(
    name: str, async_openai_client: openai.AsyncOpenAI, span_exporter: InMemorySpanExporter
) -> None:
    operation, model, call = CALLS[name]
    result = await call(async_openai_client)
    assert isinstance(result, pydantic.BaseModel)
    _assert_priced_span(span_exporter, operation, model)


def test_chat_parse_keeps_the_parsed_object(openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter):
    completion = openai_client.chat.completions.parse(**chat(response_format=Greeting))
    assert isinstance(completion.choices[0].message.parsed, Greeting)
    assert attrs(one_span(span_exporter))[semconv.GEN_AI_OUTPUT_TYPE] == "json"


STREAMS: dict[str, tuple[str, str, Callable[[openai.OpenAI], Any]]] = {
    "chat": ("chat", MODEL, lambda c: c.chat.completions.create(**chat(stream=True))),
    "responses": ("chat", MODEL, lambda c: c.responses.create(model=MODEL, input="hello", stream=True)),
    "completions": (
        "text_completion",
        "gpt-3.5-turbo-instruct",
        lambda c: c.completions.create(model="gpt-3.5-turbo-instruct", prompt="hello", stream=True),
    ),
}


@pytest.mark.parametrize("name", STREAMS)
def test_sync_stream(name: str, openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter) -> None:
    operation, model, call = STREAMS[name]
    stream = call(openai_client)
    assert isinstance(stream, openai.Stream)
    chunks = list(stream)
    assert len(chunks) > 2
    a = _assert_priced_span(span_exporter, operation, model)
    assert a[semconv.GEN_AI_REQUEST_STREAM] is True
    assert a[semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] > 0
    assert a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] > 0


@pytest.mark.parametrize("name", STREAMS)
async def test_async_stream(
    name: str, async_openai_client: openai.AsyncOpenAI, span_exporter: InMemorySpanExporter
) -> None:
    operation, model, call = STREAMS[name]
    stream = await call(async_openai_client)  # type: ignore[arg-type]
    assert isinstance(stream, openai.AsyncStream)
    chunks = [chunk async for chunk in stream]
    assert len(chunks) > 2
    a = _assert_priced_span(span_exporter, operation, model)
    assert a[semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] > 0


def test_chat_stream_helper(openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter) -> None:
    with openai_client.chat.completions.stream(**chat()) as stream:
        text = "".join(e.delta for e in stream if e.type == "content.delta")
        final = stream.get_final_completion()
    assert text and final.choices[0].message.content == text
    a = _assert_priced_span(span_exporter, "chat", MODEL)
    assert a[semconv.GEN_AI_RESPONSE_ID] == final.id


def test_responses_stream_helper(openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter) -> None:
    with openai_client.responses.stream(model=MODEL, input="hello") as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == final.output_text
    a = _assert_priced_span(span_exporter, "chat", MODEL)
    assert a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == final.usage.output_tokens


async def test_async_stream_helpers(
    async_openai_client: openai.AsyncOpenAI, span_exporter: InMemorySpanExporter
) -> None:
    async with async_openai_client.chat.completions.stream(**chat()) as stream:
        final = await stream.get_final_completion()
    async with async_openai_client.responses.stream(model=MODEL, input="hello") as rstream:
        await rstream.until_done()
    assert final.choices[0].message.content
    names = [s.name for s in span_exporter.get_finished_spans()]
    assert names == ["chat gpt-4o", "chat gpt-4o"]


def test_stream_helper_exit_after_break_ends_the_span(
    openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter
) -> None:
    with openai_client.chat.completions.stream(**chat()) as stream:
        for _event in stream:
            break
        assert span_exporter.get_finished_spans() == ()
    one_span(span_exporter)
