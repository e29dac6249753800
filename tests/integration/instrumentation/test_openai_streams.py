"""However a user leaves an OpenAI stream, its span ends exactly once, with what was streamed."""

from __future__ import annotations

import asyncio
import gc

import openai
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from otel_llm import semconv
from otel_llm.fake_provider import FakeProvider, Script
from tests.integration.instrumentation.test_openai_fixtures import attrs, chat, one_span, our_spans

pytestmark = pytest.mark.usefixtures("openai_instrumentor")


def test_early_break_ends_the_span_at_once(openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter):
    stream = openai_client.chat.completions.create(**chat(stream=True))
    for _chunk in stream:
        break
    span = one_span(span_exporter)
    assert span.status.status_code is StatusCode.UNSET
    stream.close()
    assert len(our_spans(span_exporter)) == 1


def test_async_break_then_loop_shutdown_is_not_an_error(
    fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    # At loop shutdown asyncio cancels the pending close of the abandoned generator: the
    # CancelledError thrown in at its yield is the consumer leaving, not a failed call.
    async def main() -> None:
        client = openai.AsyncOpenAI(base_url=fake_provider.openai_base_url, api_key="test-key")
        stream = await client.chat.completions.create(**chat(stream=True))
        async for _chunk in stream:
            break

    asyncio.run(main())
    gc.collect()
    span = one_span(span_exporter)
    assert span.status.status_code is StatusCode.UNSET
    assert semconv.ERROR_TYPE not in span.attributes


def test_close_ends_the_span(openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter) -> None:
    stream = openai_client.chat.completions.create(**chat(stream=True))
    next(stream)
    stream.close()
    one_span(span_exporter)


def test_with_block_ends_the_span(openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter) -> None:
    with openai_client.chat.completions.create(**chat(stream=True)) as stream:
        assert isinstance(stream, openai.Stream)
        next(stream)
    one_span(span_exporter)


async def test_async_close_and_with(
    async_openai_client: openai.AsyncOpenAI, span_exporter: InMemorySpanExporter
) -> None:
    stream = await async_openai_client.chat.completions.create(**chat(stream=True))
    await stream.__anext__()
    await stream.close()
    async with await async_openai_client.chat.completions.create(**chat(stream=True)) as entered:
        async for _chunk in entered:
            break
    assert len(our_spans(span_exporter)) == 2


def test_abandoned_stream_ends_on_garbage_collection(
    openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter
) -> None:
    stream = openai_client.chat.completions.create(**chat(stream=True))
    next(stream)
    assert our_spans(span_exporter) == []
    del stream
    gc.collect()
    one_span(span_exporter)


@pytest.mark.parametrize("mode", ["disconnect", "error_event"])
def test_sdk_error_mid_stream_is_recorded_and_reraised(
    mode: str, fake_provider: FakeProvider, openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(fail_mid_stream=2, fail_mode=mode))  # type: ignore[arg-type]
    stream = openai_client.chat.completions.create(**chat(stream=True))
    # openai 3.x wraps a dropped connection in APIConnectionError; 2.x lets httpx's error through.
    with pytest.raises(Exception) as caught:  # whatever the SDK raises, re-raised untouched
        list(stream)
    span = one_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert attrs(span)[semconv.ERROR_TYPE] in (
        type(caught.value).__qualname__,
        str(getattr(caught.value, "status_code", "")),
    )


def test_user_exception_in_the_loop_does_not_fail_the_span(
    openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter
) -> None:
    with pytest.raises(KeyError):
        for _chunk in openai_client.chat.completions.create(**chat(stream=True)):
            raise KeyError("user bug")
    gc.collect()
    assert one_span(span_exporter).status.status_code is StatusCode.UNSET


def test_stream_tokens_are_estimated_without_changing_the_request(
    fake_provider: FakeProvider, openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter
) -> None:
    chunks = list(openai_client.chat.completions.create(**chat(stream=True)))
    assert "stream_options" not in fake_provider.requests[-1].body
    assert all(c.choices for c in chunks)
    a = attrs(one_span(span_exporter))
    assert a[semconv.OTEL_LLM_USAGE_ESTIMATED] is True
    assert a[semconv.GEN_AI_USAGE_INPUT_TOKENS] > 0
    assert a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] > 0
    assert a[semconv.OTEL_LLM_COST_USD] > 0


def test_injected_stream_usage_is_exact_and_its_chunk_hidden(
    inject_stream_usage: None,
    fake_provider: FakeProvider,
    openai_client: openai.OpenAI,
    span_exporter: InMemorySpanExporter,
) -> None:
    fake_provider.enqueue(Script(prompt_tokens=1200, completion_tokens=7))
    chunks = list(openai_client.chat.completions.create(**chat(stream=True)))
    assert fake_provider.requests[-1].body["stream_options"] == {"include_usage": True}
    assert chunks and all(c.choices for c in chunks), "the usage-only chunk must not reach user code"
    a = attrs(one_span(span_exporter))
    assert a[semconv.OTEL_LLM_USAGE_ESTIMATED] is False
    assert a[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 1200
    assert a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 7


def test_users_own_include_usage_chunk_is_kept(
    inject_stream_usage: None, openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter
) -> None:
    chunks = list(openai_client.chat.completions.create(**chat(stream=True, stream_options={"include_usage": True})))
    assert chunks[-1].usage is not None and not chunks[-1].choices
    assert attrs(one_span(span_exporter))[semconv.OTEL_LLM_USAGE_ESTIMATED] is False


def test_streamed_tool_call_arguments_count_as_estimated_output(
    openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter
) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
    chunks = list(
        openai_client.chat.completions.create(
            **chat(stream=True, tools=[tool], tool_choice={"type": "function", "function": {"name": "get_weather"}})
        )
    )
    assert any(c.choices and c.choices[0].delta.tool_calls for c in chunks)
    assert not "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    a = attrs(one_span(span_exporter))
    assert a[semconv.OTEL_LLM_USAGE_ESTIMATED] is True
    assert a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] > 0
    assert a[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("tool_calls",)


def test_helper_stream_closed_outside_its_with_ends_the_span_at_close(
    openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter
) -> None:
    """``ChatCompletionStream.close()`` closes the HTTP response behind our raw-stream proxy."""
    stream = openai_client.chat.completions.stream(**chat()).__enter__()
    assert isinstance(stream, openai.lib.streaming.chat.ChatCompletionStream)
    next(iter(stream))
    assert our_spans(span_exporter) == []
    stream.close()
    span = one_span(span_exporter)
    assert attrs(span)[semconv.GEN_AI_RESPONSE_MODEL]
    stream.close()
    assert len(our_spans(span_exporter)) == 1


def test_helper_stream_own_with_block_ends_the_span(
    openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter
) -> None:
    with openai_client.responses.stream(model="gpt-4o", input="hello").__enter__() as stream:
        next(iter(stream))
    one_span(span_exporter)


async def test_async_helper_stream_closed_outside_its_with_ends_the_span_at_close(
    async_openai_client: openai.AsyncOpenAI, span_exporter: InMemorySpanExporter
) -> None:
    stream = await async_openai_client.chat.completions.stream(**chat()).__aenter__()
    await stream.__aiter__().__anext__()
    assert our_spans(span_exporter) == []
    await stream.close()
    one_span(span_exporter)
