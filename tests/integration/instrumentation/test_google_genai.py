"""google-genai over real HTTP to the fake provider's Gemini wire: one correct, priced span per request.

Prices (the bundled book, per million tokens): gemini-2.5-pro $1.25 in / $10 out / $0.125 cache
read, and above 200,000 input tokens $2.50 / $15 / $0.25; gemini-2.5-flash $0.30 / $2.50 (flex
$0.15 / $1.25), the same on Vertex AI; gemini-embedding-001 $0.15; Vertex text-embedding-004 $0.10.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from otel_llm import semconv
from otel_llm.fake_provider import FakeProvider, Script

genai = pytest.importorskip("google.genai")
from google.genai import errors, types  # noqa: E402

from otel_llm.instrumentation.google_genai import GoogleGenAIInstrumentor  # noqa: E402

FLASH = "gemini-2.5-flash"
PRO = "gemini-2.5-pro"
# google-genai 1.x drops the Gemini API's embedding usage (its EmbedContentResponse has no
# usage_metadata): such a span then carries no usage and no cost, never $0.
EMBED_USAGE = "usage_metadata" in types.EmbedContentResponse.model_fields
# One fast retry, as a production client would configure (google-genai retries only when asked).
RETRY = types.HttpRetryOptions(attempts=3, initial_delay=0.001, max_delay=0.01, jitter=0)


@pytest.fixture
def instrumented(tracer_provider: TracerProvider, meter_provider: MeterProvider) -> Iterator[GoogleGenAIInstrumentor]:
    instrumentor = GoogleGenAIInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    yield instrumentor
    instrumentor.uninstrument()


@pytest.fixture
def client(fake_provider: FakeProvider, instrumented: GoogleGenAIInstrumentor) -> Any:
    return genai.Client(api_key="gemini-test-key", http_options=types.HttpOptions(base_url=fake_provider.url))


@pytest.fixture
def vertex_client(fake_provider: FakeProvider, instrumented: GoogleGenAIInstrumentor) -> Any:
    from google.oauth2.credentials import Credentials

    return genai.Client(
        vertexai=True,
        project="proj",
        location="us-central1",
        credentials=Credentials(token="vertex-secret-token"),
        http_options=types.HttpOptions(base_url=fake_provider.url),
    )


def only_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    spans = exporter.get_finished_spans()
    assert len(spans) == 1, [s.name for s in spans]
    return spans[0]


def attrs_of(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def assert_cost(attrs: dict[str, Any], usd: float) -> None:
    assert attrs[semconv.OTEL_LLM_COST_USD] == pytest.approx(usd, abs=1e-12)
    assert semconv.OTEL_LLM_COST_UNKNOWN_MODEL not in attrs


# --- generate_content -----------------------------------------------------------------------


def test_generate_content_is_one_client_span_with_gemini_usage_normalized_and_priced(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(
        Script(
            prompt_token_count=1000,
            cached_content_token_count=400,
            candidates_token_count=200,
            thoughts_token_count=50,
            tool_use_prompt_token_count=100,
        )
    )
    config = types.GenerateContentConfig(temperature=0.2, top_k=5, max_output_tokens=64, stop_sequences=["END"])
    response = client.models.generate_content(model=PRO, contents="Name a flower shop.", config=config)

    assert type(response) is types.GenerateContentResponse
    assert response.text  # the SDK's own object, its behaviour intact
    span = only_span(span_exporter)
    assert span.name == f"generate_content {PRO}"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    attrs = attrs_of(span)
    host, port = fake_provider.url.removeprefix("http://").split(":")
    assert attrs[semconv.GEN_AI_OPERATION_NAME] == "generate_content"
    assert attrs[semconv.GEN_AI_PROVIDER_NAME] == "gcp.gemini"
    assert (attrs[semconv.SERVER_ADDRESS], attrs[semconv.SERVER_PORT]) == (host, int(port))
    assert attrs[semconv.GEN_AI_REQUEST_MODEL] == PRO
    assert attrs[semconv.GEN_AI_REQUEST_TEMPERATURE] == 0.2
    assert attrs[semconv.GEN_AI_REQUEST_TOP_K] == 5
    assert attrs[semconv.GEN_AI_REQUEST_MAX_TOKENS] == 64
    assert list(attrs[semconv.GEN_AI_REQUEST_STOP_SEQUENCES]) == ["END"]
    assert attrs[semconv.GEN_AI_RESPONSE_MODEL] == PRO
    assert attrs[semconv.GEN_AI_RESPONSE_ID] == response.response_id
    assert list(attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS]) == ["stop"]
    # promptTokenCount includes the 400 cached; the 100 tool-use prompt tokens are input too;
    # the 50 thoughts are billed as output on top of the 200 candidates.
    assert attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 1100
    assert attrs[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 400
    assert attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 250
    assert attrs[semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] == 50
    # 700 uncached * 1.25e-6 + 400 cached * 0.125e-6 + 250 out * 10e-6
    assert_cost(attrs, 0.000875 + 0.00005 + 0.0025)
    assert semconv.GEN_AI_INPUT_MESSAGES not in attrs  # content is off by default
    assert semconv.GEN_AI_OUTPUT_MESSAGES not in attrs


@pytest.mark.parametrize(
    ("prompt", "usd"),
    [
        (200_000, 200_000 * 1.25e-6 + 1000 * 10e-6),  # at the line: the base tier
        (250_000, 250_000 * 2.5e-6 + 1000 * 15e-6),  # above: the WHOLE request at the long-context rate
    ],
)
def test_the_over_200k_tier_applies_per_request(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter, prompt: int, usd: float
) -> None:
    fake_provider.enqueue(Script(prompt_token_count=prompt, candidates_token_count=1000))
    client.models.generate_content(model=f"models/{PRO}", contents="long document")
    attrs = attrs_of(only_span(span_exporter))
    assert attrs[semconv.GEN_AI_REQUEST_MODEL] == PRO  # "models/" prefix dropped for pricing
    assert_cost(attrs, usd)


def test_flex_service_tier_is_priced_at_flex_rates(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(prompt_token_count=10_000, candidates_token_count=1000))
    config = types.GenerateContentConfig(service_tier="flex")
    client.models.generate_content(model=FLASH, contents="batchable", config=config)
    assert_cost(attrs_of(only_span(span_exporter)), 10_000 * 0.15e-6 + 1000 * 1.25e-6)


def test_unknown_model_is_flagged_never_priced_at_zero(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(prompt_token_count=10, candidates_token_count=5))
    client.models.generate_content(model="tunedModels/my-tuned-123", contents="hi")
    attrs = attrs_of(only_span(span_exporter))
    assert attrs[semconv.OTEL_LLM_COST_UNKNOWN_MODEL] is True
    assert semconv.OTEL_LLM_COST_USD not in attrs
    assert attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 10


# --- streams --------------------------------------------------------------------------------


def test_stream_keeps_the_last_cumulative_usage_never_the_sum(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    # 10 chunks, each repeating promptTokenCount=100 and a growing candidatesTokenCount.
    fake_provider.enqueue(Script(prompt_token_count=100, chunks=10, thoughts_token_count=5))
    stream = client.models.generate_content_stream(model=FLASH, contents="stream please")
    texts = [chunk.text for chunk in stream]

    assert "".join(t for t in texts if t) == "".join(f"tok{i} " for i in range(10))
    attrs = attrs_of(only_span(span_exporter))
    assert attrs[semconv.GEN_AI_REQUEST_STREAM] is True
    assert attrs[semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] > 0
    assert list(attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS]) == ["stop"]
    assert attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 100
    assert attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 15  # 10 candidates + 5 thoughts
    assert_cost(attrs, 100 * 0.3e-6 + 15 * 2.5e-6)


def test_stream_left_by_break_ends_its_span_at_once(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(prompt_token_count=100, chunks=10))
    for _chunk in client.models.generate_content_stream(model=FLASH, contents="stop early"):
        break
    attrs = attrs_of(only_span(span_exporter))
    # What was reported before leaving: the prompt and one streamed token.
    assert (attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS], attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS]) == (100, 1)
    assert only_span(span_exporter).status.status_code is StatusCode.UNSET


def test_stream_closed_or_abandoned_ends_its_span_once(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    stream = client.models.generate_content_stream(model=FLASH, contents="close me")
    next(stream)
    stream.close()
    assert len(span_exporter.get_finished_spans()) == 1
    abandoned = client.models.generate_content_stream(model=FLASH, contents="forget me")
    next(abandoned)
    del abandoned
    gc.collect()
    assert len(span_exporter.get_finished_spans()) == 2


@pytest.mark.parametrize("fail_mode", ["disconnect", "error_event"])
def test_stream_cut_by_the_server_records_the_sdk_error_and_reraises_it(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter, fail_mode: str
) -> None:
    fake_provider.enqueue(Script(chunks=10, fail_mid_stream=3, fail_mode=fail_mode))  # type: ignore[arg-type]
    seen = 0
    with pytest.raises(Exception) as raised:
        for _chunk in client.models.generate_content_stream(model=FLASH, contents="flaky"):
            seen += 1
    assert seen == 3
    span = only_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    expected = "500" if fail_mode == "error_event" else type(raised.value).__qualname__  # the SDK's ServerError
    assert attrs_of(span)[semconv.ERROR_TYPE] == expected


# --- chats ----------------------------------------------------------------------------------


def test_chat_send_message_and_stream_are_one_span_per_request(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    chat = client.chats.create(model=FLASH)
    fake_provider.enqueue(Script(prompt_token_count=20, candidates_token_count=10))
    reply = chat.send_message("Hello")
    fake_provider.enqueue(Script(prompt_token_count=40, chunks=4))
    streamed = [chunk for chunk in chat.send_message_stream("And again")]

    assert type(reply) is types.GenerateContentResponse
    assert all(type(c) is types.GenerateContentResponse for c in streamed)
    spans = span_exporter.get_finished_spans()
    assert [s.name for s in spans] == [f"generate_content {FLASH}"] * 2
    assert len(fake_provider.requests) == 2
    assert len(fake_provider.requests[1].body["contents"]) == 3  # the history went with the second request
    first, second = (attrs_of(s) for s in spans)
    assert_cost(first, 20 * 0.3e-6 + 10 * 2.5e-6)
    assert_cost(second, 40 * 0.3e-6 + 4 * 2.5e-6)
    assert second[semconv.GEN_AI_REQUEST_STREAM] is True


# --- embeddings -----------------------------------------------------------------------------


def test_embed_content_is_one_embeddings_span_priced_on_its_input(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(prompt_token_count=40))
    result = client.models.embed_content(model="gemini-embedding-001", contents=["first text", "second text"])

    assert type(result) is types.EmbedContentResponse
    assert len(result.embeddings) == 2
    assert fake_provider.requests[0].path.endswith("/models/gemini-embedding-001:batchEmbedContents")
    span = only_span(span_exporter)
    assert span.name == "embeddings gemini-embedding-001"
    attrs = attrs_of(span)
    assert attrs[semconv.GEN_AI_OPERATION_NAME] == "embeddings"
    assert semconv.GEN_AI_USAGE_OUTPUT_TOKENS not in attrs
    if not EMBED_USAGE:
        assert semconv.GEN_AI_USAGE_INPUT_TOKENS not in attrs and semconv.OTEL_LLM_COST_USD not in attrs
        return
    assert attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 40
    assert_cost(attrs, 40 * 0.15e-6)


# --- async ----------------------------------------------------------------------------------


async def test_async_generate_stream_and_embed_are_one_priced_span_each(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(
        Script(prompt_token_count=30, candidates_token_count=10),
        Script(prompt_token_count=50, chunks=5),
        Script(prompt_token_count=12),
    )
    response = await client.aio.models.generate_content(model=FLASH, contents="async hello")
    chunks = [chunk async for chunk in await client.aio.models.generate_content_stream(model=FLASH, contents="s")]
    embedded = await client.aio.models.embed_content(model="gemini-embedding-001", contents="embed me")

    assert type(response) is types.GenerateContentResponse
    assert len(chunks) == 6  # five pieces, then the final chunk with the finish reason
    assert type(embedded) is types.EmbedContentResponse
    spans = span_exporter.get_finished_spans()
    assert [s.name for s in spans] == [f"generate_content {FLASH}"] * 2 + ["embeddings gemini-embedding-001"]
    costs = [attrs_of(s).get(semconv.OTEL_LLM_COST_USD) for s in spans]
    embed_cost = 12 * 0.15e-6 if EMBED_USAGE else None
    assert costs[:2] == pytest.approx([30 * 0.3e-6 + 10 * 2.5e-6, 50 * 0.3e-6 + 5 * 2.5e-6], abs=1e-12)
    assert costs[2] == (pytest.approx(embed_cost, abs=1e-12) if EMBED_USAGE else None)


async def test_async_stream_left_by_break_ends_its_span(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(prompt_token_count=50, chunks=5))
    stream = await client.aio.models.generate_content_stream(model=FLASH, contents="stop early")
    async for _chunk in stream:
        break
    await stream.aclose()  # what a `break` leaves to the event loop's async-generator hook
    for _ in range(50):  # the SDK's inner generators are closed by the loop on its next turns
        if span_exporter.get_finished_spans():
            break
        await asyncio.sleep(0)
    attrs = attrs_of(only_span(span_exporter))
    assert (attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS], attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS]) == (50, 1)


# --- errors ---------------------------------------------------------------------------------


def test_a_429_retried_by_the_sdk_is_one_successful_span(
    fake_provider: FakeProvider, instrumented: GoogleGenAIInstrumentor, span_exporter: InMemorySpanExporter
) -> None:
    client = genai.Client(api_key="k", http_options=types.HttpOptions(base_url=fake_provider.url, retry_options=RETRY))
    fake_provider.enqueue(Script(status=429), Script(prompt_token_count=10, candidates_token_count=10))
    client.models.generate_content(model=FLASH, contents="retry me")

    assert len(fake_provider.requests) == 2
    span = only_span(span_exporter)
    assert span.status.status_code is StatusCode.UNSET
    assert_cost(attrs_of(span), 10 * 0.3e-6 + 10 * 2.5e-6)


def test_errors_after_the_sdk_retries_are_reraised_untouched_with_their_status(
    fake_provider: FakeProvider, instrumented: GoogleGenAIInstrumentor, span_exporter: InMemorySpanExporter
) -> None:
    client = genai.Client(api_key="k", http_options=types.HttpOptions(base_url=fake_provider.url, retry_options=RETRY))
    fake_provider.enqueue(*[Script(status=500, error_message="boom")] * 3)
    with pytest.raises(errors.ServerError) as raised:
        client.models.generate_content(model=FLASH, contents="fail me")

    assert raised.value.code == 500
    assert raised.value.status == "INTERNAL"
    assert raised.value.message == "boom"
    assert len(fake_provider.requests) == 3  # the SDK's own retries, inside one span
    span = only_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    attrs = attrs_of(span)
    assert attrs[semconv.ERROR_TYPE] == "500"
    assert semconv.OTEL_LLM_COST_USD not in attrs
    assert span.events[0].name == "exception"


def test_a_client_error_is_not_retried_and_carries_its_status(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(status=400))
    with pytest.raises(errors.ClientError):
        client.models.generate_content(model=FLASH, contents="bad")
    assert attrs_of(only_span(span_exporter))[semconv.ERROR_TYPE] == "400"


# --- Vertex AI ------------------------------------------------------------------------------


def test_vertex_client_is_gcp_vertex_ai_over_the_vertex_url(
    vertex_client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(prompt_token_count=1000, candidates_token_count=100))
    vertex_client.models.generate_content(model=FLASH, contents="hello vertex")
    fake_provider.enqueue(Script(prompt_token_count=6))
    vertex_client.models.embed_content(model="text-embedding-004", contents=["one", "two"])

    paths = [r.path for r in fake_provider.requests]
    prefix = "/v1beta1/projects/proj/locations/us-central1/publishers/google/models/"
    assert paths == [prefix + f"{FLASH}:generateContent", prefix + "text-embedding-004:predict"]
    generate, embed = span_exporter.get_finished_spans()
    assert attrs_of(generate)[semconv.GEN_AI_PROVIDER_NAME] == "gcp.vertex_ai"
    assert_cost(attrs_of(generate), 1000 * 0.3e-6 + 100 * 2.5e-6)
    # Vertex's predict reports per-input token counts only (here 6 + 0): summed, priced as input.
    assert attrs_of(embed)[semconv.GEN_AI_PROVIDER_NAME] == "gcp.vertex_ai"
    assert attrs_of(embed)[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 6
    assert_cost(attrs_of(embed), 6 * 0.1e-6)
    assert "vertex-secret-token" not in str([s.attributes for s in span_exporter.get_finished_spans()])


# --- instrumentor ---------------------------------------------------------------------------


def test_uninstrument_restores_every_method(
    fake_provider: FakeProvider, tracer_provider: TracerProvider, span_exporter: InMemorySpanExporter
) -> None:
    from google.genai import models

    original = models.Models.__dict__["_generate_content"]
    instrumentor = GoogleGenAIInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider)
    assert len(instrumentor.wrapped_targets) == 6
    instrumentor.uninstrument()
    assert models.Models.__dict__["_generate_content"] is original
    client = genai.Client(api_key="k", http_options=types.HttpOptions(base_url=fake_provider.url))
    client.models.generate_content(model=FLASH, contents="untraced")
    assert span_exporter.get_finished_spans() == ()


# --- automatic function calling -------------------------------------------------------------


def get_weather(city: str, days: int) -> str:
    """The weather in a city for the next days."""
    return f"rain in {city} for {days} days"


def test_automatic_function_calling_is_one_span_per_request_each_priced_at_its_own_tier(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    # Two requests of 150k prompt tokens each: 300k in all, but neither crosses the 200k line.
    fake_provider.enqueue(*[Script(prompt_token_count=150_000, candidates_token_count=100)] * 2)
    config = types.GenerateContentConfig(tools=[get_weather])
    response = client.models.generate_content(model=PRO, contents="Weather in Oslo?", config=config)

    assert response.text  # the SDK ran the function and sent its result back
    second = fake_provider.requests[1].body["contents"]
    assert second[-1]["parts"][0]["functionResponse"]["name"] == "get_weather"
    spans = span_exporter.get_finished_spans()
    assert [s.name for s in spans] == [f"generate_content {PRO}"] * 2
    for span in spans:
        assert_cost(attrs_of(span), 150_000 * 1.25e-6 + 100 * 10e-6)


# --- budgets --------------------------------------------------------------------------------


def test_a_budget_settles_gemini_spend_and_refuses_the_next_call_before_sending(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    from otel_llm import tag
    from otel_llm.budget import Budget, BudgetExceeded, Limit

    fake_provider.enqueue(Script(prompt_token_count=10, candidates_token_count=5))
    with Budget([Limit(per="user", max_tokens=5)]), tag(user_id="u1"):
        client.models.generate_content(model=FLASH, contents="first")  # a 1-token prompt, uncapped: let through
        with pytest.raises(BudgetExceeded):
            client.models.generate_content(model=FLASH, contents="second")
    assert len(fake_provider.requests) == 1  # the refused call sent nothing
    first, refused = span_exporter.get_finished_spans()
    assert_cost(attrs_of(first), 10 * 0.3e-6 + 5 * 2.5e-6)
    assert attrs_of(refused)[semconv.ERROR_TYPE] == "BudgetExceeded"


# --- metrics and tags -----------------------------------------------------------------------


def test_metrics_carry_the_provider_and_feature_and_the_spans_the_tags(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter, metric_reader: Any
) -> None:
    from otel_llm import tag

    fake_provider.enqueue(Script(prompt_token_count=100, candidates_token_count=20))
    with tag(feature="triage", user_id="acme"):
        client.models.generate_content(model=FLASH, contents="tagged")
    attrs = attrs_of(only_span(span_exporter))
    assert (attrs[semconv.OTEL_LLM_FEATURE], attrs[semconv.ENDUSER_ID]) == ("triage", "acme")
    data = metric_reader.get_metrics_data()
    points = {
        m.name: list(m.data.data_points) for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics
    }
    (cost,) = points[semconv.METRIC_COST]
    assert cost.value == pytest.approx(100 * 0.3e-6 + 20 * 2.5e-6, abs=1e-12)
    assert cost.attributes[semconv.GEN_AI_PROVIDER_NAME] == "gcp.gemini"
    assert cost.attributes[semconv.OTEL_LLM_FEATURE] == "triage"
    tokens = {p.attributes[semconv.GEN_AI_TOKEN_TYPE]: p.sum for p in points[semconv.METRIC_TOKEN_USAGE]}
    assert tokens == {"input": 100, "output": 20}
    assert all(semconv.ENDUSER_ID not in p.attributes for ps in points.values() for p in ps)  # no user id


def test_an_enforced_budget_refuses_a_capped_gemini_call_before_sending(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    from otel_llm import tag
    from otel_llm.budget import Budget, BudgetExceeded, Limit

    config = types.GenerateContentConfig(max_output_tokens=64)  # the estimate counts this cap
    with Budget([Limit(per="user", max_tokens=50)]), tag(user_id="u1"), pytest.raises(BudgetExceeded):
        client.models.generate_content(model=FLASH, contents="capped", config=config)
    assert fake_provider.requests == []
    assert attrs_of(only_span(span_exporter))[semconv.ERROR_TYPE] == "BudgetExceeded"


@pytest.mark.parametrize("streamed", [False, True])
def test_our_span_is_current_while_the_sdk_sends_the_request(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter, monkeypatch: Any, streamed: bool
) -> None:
    """So HTTP client spans nest under ours; a sync stream sends its request on the first chunk."""
    from google.genai import _api_client
    from opentelemetry import trace

    seen: list[Any] = []
    name = "request_streamed" if streamed else "request"
    original = getattr(_api_client.BaseApiClient, name)

    def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(trace.get_current_span().get_span_context().span_id)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(_api_client.BaseApiClient, name, spy)
    if streamed:
        list(client.models.generate_content_stream(model=FLASH, contents="observed"))
    else:
        client.models.generate_content(model=FLASH, contents="observed")
    assert seen == [only_span(span_exporter).context.span_id]
