"""Anthropic streams end their span exactly once, however the user leaves them.

``messages.create(stream=True)`` and the ``messages.stream()`` helper, sync and async: read to the
end, ``break``, ``close()``, ``with`` exit, an SDK error mid-stream, a user error in the loop, and
garbage collection of a stream (or a manager) nobody finished.
"""

from __future__ import annotations

import asyncio
import gc

import anthropic
import pytest
import test_anthropic_fixtures as fixtures
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from test_anthropic_fixtures import ask, only_span

from otel_llm import semconv
from otel_llm.fake_provider import FakeProvider, Script

instrumented = fixtures.instrumented
traced_client = fixtures.traced_client
async_traced_client = fixtures.async_traced_client

# 12 input tokens, 30 read from cache, 40 written; the reply streams 6 text deltas.
USAGE = Script(input_tokens=12, output_tokens=9, cache_read_tokens=30, cache_write_5m_tokens=40, chunks=6)


def assert_full_usage(span: ReadableSpan) -> None:
    attrs = span.attributes or {}
    assert attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 82  # 12 + 30 + 40, once (message_delta repeats them)
    assert attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 9
    assert attrs[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 30
    assert attrs[semconv.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS] == 40
    assert tuple(attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS]) == ("end_turn",)
    assert attrs[semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] > 0
    assert attrs[semconv.OTEL_LLM_COST_USD] > 0
    assert span.status.status_code is StatusCode.UNSET


def test_create_stream_read_to_the_end(
    traced_client: anthropic.Anthropic, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(USAGE)
    stream = traced_client.messages.create(**ask(stream=True))
    if type(anthropic.Stream) is type:  # 0.x's metaclass accepts only the exact class, never a proxy
        assert isinstance(stream, anthropic.Stream)
    with stream:
        deltas = [e for e in stream if e.type == "content_block_delta"]
    assert len(deltas) == 6
    assert_full_usage(only_span(span_exporter))


def test_create_stream_break_ends_the_span_at_once(
    traced_client: anthropic.Anthropic, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(USAGE)
    stream = traced_client.messages.create(**ask(stream=True))
    for event in stream:
        if event.type == "content_block_delta":
            break
    span = only_span(span_exporter)  # before close() and before the stream is collected
    attrs = span.attributes or {}
    assert attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 82  # known from message_start
    assert semconv.GEN_AI_RESPONSE_FINISH_REASONS not in attrs  # message_delta never arrived
    stream.close()
    assert len(span_exporter.get_finished_spans()) == 1


def test_close_before_reading_ends_the_span(
    traced_client: anthropic.Anthropic, span_exporter: InMemorySpanExporter
) -> None:
    stream = traced_client.messages.create(**ask(stream=True))
    stream.close()
    span = only_span(span_exporter)
    assert semconv.GEN_AI_USAGE_INPUT_TOKENS not in (span.attributes or {})
    assert span.status.status_code is StatusCode.UNSET


@pytest.mark.parametrize("fail_mode", ["error_event", "disconnect"])
def test_sdk_error_mid_stream_marks_the_span_and_reaches_the_user(
    traced_client: anthropic.Anthropic,
    fake_provider: FakeProvider,
    span_exporter: InMemorySpanExporter,
    fail_mode: str,
) -> None:
    fake_provider.enqueue(Script(chunks=6, fail_mid_stream=2, fail_mode=fail_mode))  # type: ignore[arg-type]
    stream = traced_client.messages.create(**ask(stream=True))
    with pytest.raises(Exception) as raised:
        for _ in stream:
            pass
    assert not isinstance(raised.value, AssertionError)
    span = only_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    recorded = [e.attributes["exception.type"] for e in span.events if e.name == "exception"]
    assert len(recorded) == 1 and str(recorded[0]).endswith(type(raised.value).__qualname__)


def test_user_error_inside_the_loop_is_not_the_calls_error(
    traced_client: anthropic.Anthropic, span_exporter: InMemorySpanExporter
) -> None:
    class UserBug(Exception):
        pass

    with pytest.raises(UserBug), traced_client.messages.create(**ask(stream=True)) as stream:
        for _ in stream:
            raise UserBug
    assert only_span(span_exporter).status.status_code is StatusCode.UNSET


def test_abandoned_stream_is_ended_by_garbage_collection(
    traced_client: anthropic.Anthropic, span_exporter: InMemorySpanExporter
) -> None:
    stream = traced_client.messages.create(**ask(stream=True))
    assert next(stream).type == "message_start"
    assert span_exporter.get_finished_spans() == ()
    del stream
    gc.collect()
    only_span(span_exporter)


def test_stream_helper_text_stream_and_final_message(
    traced_client: anthropic.Anthropic, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(USAGE)
    with traced_client.messages.stream(**ask()) as stream:
        assert type(stream).__name__ == "MessageStream"
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert final.content[0].text == text
    span = only_span(span_exporter)
    assert_full_usage(span)
    assert (span.attributes or {})[semconv.GEN_AI_RESPONSE_ID] == final.id
    assert (span.attributes or {})[semconv.GEN_AI_REQUEST_STREAM] is True


def test_stream_helper_closed_early(traced_client: anthropic.Anthropic, span_exporter: InMemorySpanExporter) -> None:
    with traced_client.messages.stream(**ask()) as stream:
        next(iter(stream))
        stream.close()
        only_span(span_exporter)
    only_span(span_exporter)


def test_stream_helper_never_entered_sends_nothing_and_ends_on_collection(
    traced_client: anthropic.Anthropic, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    manager = traced_client.messages.stream(**ask())
    del manager
    gc.collect()
    assert fake_provider.requests == []
    only_span(span_exporter)


def test_beta_stream_helper(
    traced_client: anthropic.Anthropic, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(USAGE)
    with traced_client.beta.messages.stream(**ask()) as stream:
        stream.until_done()
    assert_full_usage(only_span(span_exporter))


async def test_async_stream_helper_until_done_and_final_message(
    async_traced_client: anthropic.AsyncAnthropic, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(USAGE)
    async with async_traced_client.messages.stream(**ask()) as stream:
        await stream.until_done()
        final = await stream.get_final_message()
    span = only_span(span_exporter)
    assert_full_usage(span)
    assert (span.attributes or {})[semconv.GEN_AI_RESPONSE_ID] == final.id


async def test_async_stream_helper_error_on_enter_is_reraised(
    async_traced_client: anthropic.AsyncAnthropic, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(*[Script(status=500)] * 3)
    with pytest.raises(anthropic.InternalServerError):
        async with async_traced_client.messages.stream(**ask()):
            pass
    span = only_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})[semconv.ERROR_TYPE] == "500"


async def test_async_create_stream_break_and_close(
    async_traced_client: anthropic.AsyncAnthropic, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(USAGE)
    stream = await async_traced_client.messages.create(**ask(stream=True))
    async for event in stream:
        if event.type == "content_block_delta":
            break
    await stream.close()
    span = only_span(span_exporter)
    assert (span.attributes or {})[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 82


async def test_async_create_stream_text_via_anext(
    async_traced_client: anthropic.AsyncAnthropic, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(USAGE)
    stream = await async_traced_client.messages.create(**ask(stream=True))
    kinds = []
    while True:
        try:
            kinds.append((await stream.__anext__()).type)
        except StopAsyncIteration:
            break
    assert kinds[-1] == "message_stop"
    assert_full_usage(only_span(span_exporter))
    await asyncio.sleep(0)
