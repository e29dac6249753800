"""mistralai over real HTTP to the fake provider's Mistral wire: one priced span per call, however it ends."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from otel_llm import semconv
from otel_llm.fake_provider import FakeProvider, Script
from tests.integration.instrumentation.sdk_spans import attrs, only_span, spans_of

pytest.importorskip("mistralai")
try:  # mistralai 2.x and later: the SDK lives in mistralai.client
    from mistralai.client import Mistral, errors, models
    from mistralai.client.utils import BackoffStrategy, RetryConfig
    from mistralai.client.utils.eventstreaming import EventStream, EventStreamAsync
except ImportError:  # mistralai 1.x: the same classes at the top level, errors among the models
    from mistralai import Mistral, models
    from mistralai import models as errors
    from mistralai.utils import BackoffStrategy, RetryConfig
    from mistralai.utils.eventstreaming import EventStream, EventStreamAsync

pytestmark = pytest.mark.usefixtures("mistral_instrumentor")

SCOPE = "otel_llm.instrumentation.mistralai"
HAS_CLOSE = hasattr(EventStream, "close")  # mistralai 1.x streams have no close(), only ``with``
MODEL = "mistral-small-2603"  # $0.15/M input, $0.60/M output, $0.015/M cached input
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello to the test suite."}]
# 1,000 prompt tokens of which 640 cached (ten 64-token blocks), 200 completion tokens.
CACHED = Script(prompt_tokens=1000, completion_tokens=200, cached_tokens=640)
CACHED_COST_USD = 0.0001836  # 360*0.15e-6 + 640*0.015e-6 + 200*0.6e-6
PLAIN = Script(prompt_tokens=1000, completion_tokens=200)
PLAIN_COST_USD = 0.00027  # 1000*0.15e-6 + 200*0.6e-6


def span(exporter: InMemorySpanExporter) -> ReadableSpan:
    return only_span(exporter, SCOPE)


def assert_cached_priced(a: dict[str, Any]) -> None:
    assert a[semconv.GEN_AI_PROVIDER_NAME] == semconv.PROVIDER_MISTRAL
    assert a[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 1000
    assert a[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 640
    assert a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 200
    assert a[semconv.OTEL_LLM_COST_USD] == pytest.approx(CACHED_COST_USD, abs=1e-12)
    assert a[semconv.OTEL_LLM_COST_CACHE_READ_USD] == pytest.approx(640 * 0.015e-6, abs=1e-12)


def test_complete_is_one_priced_chat_span(
    fake_provider: FakeProvider, mistral_client: Any, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(CACHED)
    response = mistral_client.chat.complete(model=MODEL, messages=MESSAGES, temperature=0.2, random_seed=7)
    assert type(response) is models.ChatCompletionResponse
    s = span(span_exporter)
    a = attrs(s)
    assert s.name == f"chat {MODEL}" and s.kind is SpanKind.CLIENT
    assert_cached_priced(a)
    assert a[semconv.GEN_AI_RESPONSE_ID] == response.id
    assert a[semconv.GEN_AI_RESPONSE_MODEL] == MODEL
    assert a[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    assert a[semconv.GEN_AI_REQUEST_TEMPERATURE] == 0.2
    assert a[semconv.GEN_AI_REQUEST_SEED] == 7
    assert a[semconv.SERVER_ADDRESS] == "127.0.0.1"
    assert semconv.GEN_AI_INPUT_MESSAGES not in a  # content is off by default
    assert semconv.OTEL_LLM_USAGE_ESTIMATED not in a or a[semconv.OTEL_LLM_USAGE_ESTIMATED] is False


async def test_complete_async_is_priced_the_same(
    fake_provider: FakeProvider, mistral_client: Any, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(CACHED)
    response = await mistral_client.chat.complete_async(model=MODEL, messages=MESSAGES)
    assert isinstance(response, models.ChatCompletionResponse)
    assert_cached_priced(attrs(span(span_exporter)))


def test_stream_is_priced_from_the_usage_in_its_last_chunk(
    fake_provider: FakeProvider, mistral_client: Any, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(PLAIN)
    stream = mistral_client.chat.stream(model=MODEL, messages=MESSAGES)
    assert isinstance(stream, EventStream)
    text = "".join(e.data.choices[0].delta.content for e in stream if isinstance(e.data.choices[0].delta.content, str))
    assert text == "This is a deterministic reply from the otel-llm fake provider."
    a = attrs(span(span_exporter))
    assert a[semconv.GEN_AI_REQUEST_STREAM] is True
    assert a[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 1000 and a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 200
    assert a[semconv.OTEL_LLM_USAGE_ESTIMATED] is False
    assert a[semconv.OTEL_LLM_COST_USD] == pytest.approx(PLAIN_COST_USD, abs=1e-12)
    assert a[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)
    assert a[semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] > 0


async def test_stream_async_with_block(
    fake_provider: FakeProvider, mistral_client: Any, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(PLAIN)
    stream = await mistral_client.chat.stream_async(model=MODEL, messages=MESSAGES)
    assert isinstance(stream, EventStreamAsync)
    async with stream as entered:
        events = [e async for e in entered]
    assert events[-1].data.usage.prompt_tokens == 1000
    assert attrs(span(span_exporter))[semconv.OTEL_LLM_COST_USD] == pytest.approx(PLAIN_COST_USD, abs=1e-12)


def test_stream_left_early_ends_its_span_once_without_the_providers_usage(
    mistral_client: Any, span_exporter: InMemorySpanExporter
) -> None:
    stream = mistral_client.chat.stream(model=MODEL, messages=MESSAGES)
    for _event in stream:
        break
    s = span(span_exporter)  # ended at the break, not at garbage collection
    assert s.status.status_code is StatusCode.UNSET
    a = attrs(s)
    assert a.get(semconv.OTEL_LLM_USAGE_ESTIMATED, True) is True  # the usage chunk was never read
    if HAS_CLOSE:
        stream.close()
    gc.collect()
    assert len(spans_of(span_exporter, SCOPE)) == 1


async def test_async_stream_broken_then_closed(mistral_client: Any, span_exporter: InMemorySpanExporter) -> None:
    stream = await mistral_client.chat.stream_async(model=MODEL, messages=MESSAGES)
    async for _event in stream:
        break
    if HAS_CLOSE:
        await stream.close()
    else:  # 1.x: the abandoned iterator is closed by the event loop's async-generator hook
        del stream
        gc.collect()
        for _ in range(3):
            await asyncio.sleep(0)
    assert span(span_exporter).status.status_code is StatusCode.UNSET


def test_abandoned_stream_ends_on_garbage_collection(mistral_client: Any, span_exporter: InMemorySpanExporter) -> None:
    stream = mistral_client.chat.stream(model=MODEL, messages=MESSAGES)
    next(stream)
    assert spans_of(span_exporter, SCOPE) == []
    del stream
    gc.collect()
    span(span_exporter)


def test_connection_dropped_mid_stream_is_the_calls_error(
    fake_provider: FakeProvider, mistral_client: Any, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(fail_mid_stream=2))
    with pytest.raises(Exception) as caught:  # whatever the SDK raises, re-raised untouched
        list(mistral_client.chat.stream(model=MODEL, messages=MESSAGES))
    s = span(span_exporter)
    assert s.status.status_code is StatusCode.ERROR
    assert attrs(s)[semconv.ERROR_TYPE] == type(caught.value).__qualname__


def test_429_retried_by_the_sdks_retry_config_is_one_successful_span(
    fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    retry = RetryConfig("backoff", BackoffStrategy(1, 10, 1.1, 5000), False)
    fake_provider.enqueue(Script(status=429), CACHED)
    with Mistral(api_key="test-key", server_url=fake_provider.mistral_server_url, retry_config=retry) as client:
        client.chat.complete(model=MODEL, messages=MESSAGES)
    assert len(fake_provider.requests) == 2
    s = span(span_exporter)
    assert s.status.status_code is StatusCode.UNSET
    assert_cached_priced(attrs(s))


def test_500_is_recorded_and_the_sdk_error_reraised_untouched(
    fake_provider: FakeProvider, mistral_client: Any, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(status=500))
    with pytest.raises(errors.SDKError) as caught:
        mistral_client.chat.complete(model=MODEL, messages=MESSAGES)
    assert type(caught.value) is errors.SDKError and caught.value.status_code == 500
    s = span(span_exporter)
    assert s.status.status_code is StatusCode.ERROR
    assert attrs(s)[semconv.ERROR_TYPE] == "500"
    assert semconv.OTEL_LLM_COST_USD not in attrs(s)


def test_embeddings_sync_and_async(
    fake_provider: FakeProvider, mistral_client: Any, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(prompt_tokens=300))
    response = mistral_client.embeddings.create(model="mistral-embed", inputs=["one", "two"])
    assert len(response.data) == 2
    a = attrs(span(span_exporter))
    assert a[semconv.GEN_AI_OPERATION_NAME] == semconv.OP_EMBEDDINGS
    assert a[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 300
    assert a[semconv.OTEL_LLM_COST_USD] == pytest.approx(300 * 0.1e-6, abs=1e-12)  # $0.10/M


async def test_embeddings_async(
    fake_provider: FakeProvider, mistral_client: Any, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(prompt_tokens=300))
    await mistral_client.embeddings.create_async(model="mistral-embed", inputs="one")
    assert attrs(span(span_exporter))[semconv.OTEL_LLM_COST_USD] == pytest.approx(300 * 0.1e-6, abs=1e-12)


def test_unknown_model_is_flagged_never_priced(
    fake_provider: FakeProvider, mistral_client: Any, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(PLAIN)
    mistral_client.chat.complete(model="mistral-from-the-future", messages=MESSAGES)
    a = attrs(span(span_exporter))
    assert a[semconv.OTEL_LLM_COST_UNKNOWN_MODEL] is True
    assert semconv.OTEL_LLM_COST_USD not in a


def test_parse_gives_one_span(fake_provider: FakeProvider, mistral_client: Any, span_exporter: InMemorySpanExporter):
    from pydantic import BaseModel

    class Greeting(BaseModel):
        text: str

    fake_provider.enqueue(PLAIN)
    parsed = mistral_client.chat.parse(response_format=Greeting, model=MODEL, messages=MESSAGES)
    assert parsed.choices[0].message.parsed is not None
    assert attrs(span(span_exporter))[semconv.OTEL_LLM_COST_USD] == pytest.approx(PLAIN_COST_USD, abs=1e-12)


def test_uninstrument_restores_the_sdk(mistral_instrumentor: Any, mistral_client: Any, span_exporter) -> None:
    assert "Chat.complete" in mistral_instrumentor.wrapped_targets
    mistral_instrumentor.uninstrument()
    mistral_client.chat.complete(model=MODEL, messages=MESSAGES)
    assert spans_of(span_exporter, SCOPE) == []
    mistral_instrumentor.instrument()  # the fixture uninstruments again at teardown


@pytest.fixture
def sdk_traced_client(fake_provider: FakeProvider, tracer_provider: Any) -> Any:
    """A client whose own tracing hook is on, sending its spans to the test's provider (mistralai 2.x+)."""
    observability = pytest.importorskip("mistralai.extra.observability")
    if not hasattr(observability, "configure_telemetry"):
        pytest.skip("this mistralai has no per-client telemetry")
    client = Mistral(api_key="test-key", server_url=fake_provider.mistral_server_url)
    observability.configure_telemetry(client, provider=tracer_provider)
    return client


def _sdk_spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if s.instrumentation_scope.name.startswith("mistralai_sdk")]


def test_the_sdks_own_span_is_off_for_the_calls_we_trace(
    fake_provider: FakeProvider, sdk_traced_client: Any, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(PLAIN)
    sdk_traced_client.chat.complete(model=MODEL, messages=MESSAGES)
    list(sdk_traced_client.chat.stream(model=MODEL, messages=MESSAGES))
    assert _sdk_spans(span_exporter) == []  # one span per call carries the usage: ours
    assert len(spans_of(span_exporter, SCOPE)) == 2
    sdk_traced_client.embeddings.create(model="mistral-embed", inputs="x")  # traced by us too
    assert _sdk_spans(span_exporter) == []


def test_keep_emits_the_sdks_span_as_a_child_of_ours(
    mistral_instrumentor: Any, tracer_provider: Any, meter_provider: Any, fake_provider: FakeProvider,
    sdk_traced_client: Any, span_exporter: InMemorySpanExporter,
) -> None:
    mistral_instrumentor.uninstrument()
    mistral_instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider, sdk_spans="keep")
    sdk_traced_client.chat.complete(model=MODEL, messages=MESSAGES)
    ours, (theirs,) = span(span_exporter), _sdk_spans(span_exporter)
    assert theirs.parent is not None and theirs.parent.span_id == ours.context.span_id


def test_the_request_shape_is_on_the_span(
    fake_provider: FakeProvider, mistral_client: Any, span_exporter: InMemorySpanExporter
) -> None:
    for _ in range(2):
        mistral_client.chat.complete(model=MODEL, messages=MESSAGES)
    first, again = (attrs(s) for s in spans_of(span_exporter, SCOPE))
    assert first[semconv.OTEL_LLM_REQUEST_FINGERPRINT] == again[semconv.OTEL_LLM_REQUEST_FINGERPRINT]
    assert len(first[semconv.OTEL_LLM_REQUEST_PREFIX_FINGERPRINT]) == 32  # the system message
    assert (first[semconv.OTEL_LLM_REQUEST_MESSAGE_COUNT], first[semconv.OTEL_LLM_REQUEST_TURN_INDEX]) == (2, 1)
    assert first[semconv.OTEL_LLM_REQUEST_MAX_TOKENS_SET] is False
