"""boto3's bedrock-runtime client over real HTTP against the fake provider, traced by BedrockInstrumentor.

Every test uses the real boto3 client (SigV4 signing with fake credentials, botocore's own
retries and its own eventstream parser) pointed at the fake provider with ``endpoint_url``. The
costs are computed by hand from the list prices of the models used:

- ``us.anthropic.claude-3-5-haiku-20241022-v1:0``: $0.80 / $4.00 per 1M in/out, cache read $0.08,
  cache write $1.00
- ``amazon.nova-lite-v1:0``: $0.06 / $0.24; ``amazon.titan-embed-text-v2:0``: $0.02 input
- ``meta.llama3-1-8b-instruct-v1:0``: $0.22 / $0.22; ``mistral.mistral-large-2402-v1:0``: $4 / $12
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from otel_llm import semconv
from otel_llm.fake_provider import FakeProvider, Script

boto3 = pytest.importorskip("boto3")
from botocore.config import Config  # noqa: E402
from botocore.eventstream import EventStream  # noqa: E402
from botocore.exceptions import ClientError, EventStreamError  # noqa: E402
from botocore.response import StreamingBody  # noqa: E402

HAIKU = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
NOVA = "amazon.nova-lite-v1:0"
TITAN = "amazon.titan-embed-text-v2:0"
MESSAGES = [{"role": "user", "content": [{"text": "Say hello."}]}]
ANTHROPIC_BODY = {
    "anthropic_version": "bedrock-2023-05-31",
    "max_tokens": 64,
    "messages": [{"role": "user", "content": "Say hello."}],
}


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and region, as a user's environment would provide them."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKEFAKE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def bedrock_instrumentor(tracer_provider: TracerProvider, meter_provider: MeterProvider) -> Iterator[Any]:
    from otel_llm.instrumentation.bedrock import BedrockInstrumentor

    instrumentor = BedrockInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    yield instrumentor
    instrumentor.uninstrument()


def _config() -> Config:
    # botocore's own retry: a throttled first attempt is retried once, as in production.
    return Config(retries={"mode": "standard", "max_attempts": 2})


@pytest.fixture
def client(fake_provider: FakeProvider, aws_env: None, bedrock_instrumentor: Any) -> Any:
    return boto3.client("bedrock-runtime", endpoint_url=fake_provider.url, config=_config())


def only_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    spans = exporter.get_finished_spans()
    assert len(spans) == 1, [s.name for s in spans]
    return spans[0]


def usage_of(span: ReadableSpan) -> tuple[Any, ...]:
    a = span.attributes or {}
    return (
        a.get(semconv.GEN_AI_USAGE_INPUT_TOKENS),
        a.get(semconv.GEN_AI_USAGE_OUTPUT_TOKENS),
        a.get(semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS),
        a.get(semconv.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS),
    )


def cost_of(span: ReadableSpan) -> float | None:
    return (span.attributes or {}).get(semconv.OTEL_LLM_COST_USD)


def test_converse_is_one_priced_span(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(input_tokens=1000, output_tokens=200))

    response = client.converse(
        modelId=HAIKU, messages=MESSAGES, inferenceConfig={"maxTokens": 64, "temperature": 0.5, "topP": 0.9}
    )

    assert response["usage"]["inputTokens"] == 1000
    span = only_span(span_exporter)
    attrs = span.attributes or {}
    assert span.name == f"chat {HAIKU}"
    assert attrs[semconv.GEN_AI_PROVIDER_NAME] == "aws.bedrock"
    assert attrs[semconv.GEN_AI_OPERATION_NAME] == "chat"
    assert attrs[semconv.GEN_AI_REQUEST_MODEL] == HAIKU
    assert attrs[semconv.GEN_AI_REQUEST_MAX_TOKENS] == 64
    assert attrs[semconv.GEN_AI_REQUEST_TEMPERATURE] == 0.5
    assert attrs[semconv.GEN_AI_REQUEST_STREAM] is False
    assert attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("end_turn",)
    assert attrs[semconv.SERVER_ADDRESS] == "127.0.0.1"
    assert usage_of(span) == (1000, 200, 0, 0)
    assert cost_of(span) == pytest.approx(1000 * 0.8e-6 + 200 * 4e-6, abs=1e-12)  # $0.0016
    assert semconv.GEN_AI_INPUT_MESSAGES not in attrs and semconv.GEN_AI_OUTPUT_MESSAGES not in attrs  # off by default


def test_converse_cache_read_and_write_are_added_to_input_and_priced(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    # Converse's inputTokens (100) EXCLUDES the 2,000 cache reads and 500 cache writes.
    fake_provider.enqueue(Script(input_tokens=100, output_tokens=50, cache_read_tokens=2000, cache_write_5m_tokens=500))

    response = client.converse(modelId=HAIKU, messages=MESSAGES)

    assert response["usage"]["cacheReadInputTokens"] == 2000
    span = only_span(span_exporter)
    assert usage_of(span) == (2600, 50, 2000, 500)
    expected = 100 * 0.8e-6 + 2000 * 0.08e-6 + 500 * 1e-6 + 50 * 4e-6  # $0.00094
    assert cost_of(span) == pytest.approx(expected, abs=1e-12)


def test_converse_stream_keeps_the_event_stream_and_ends_once_with_usage(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(input_tokens=400, output_tokens=80, chunks=5))

    response = client.converse_stream(modelId=NOVA, messages=MESSAGES)
    stream = response["stream"]
    assert isinstance(stream, EventStream)
    assert span_exporter.get_finished_spans() == ()  # open until the stream is read
    events = [next(iter(e)) for e in stream]

    assert events[0] == "messageStart" and events[-1] == "metadata"
    assert events.count("contentBlockDelta") == 5
    span = only_span(span_exporter)
    attrs = span.attributes or {}
    assert attrs[semconv.GEN_AI_REQUEST_STREAM] is True
    assert attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("end_turn",)
    assert semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK in attrs
    assert usage_of(span) == (400, 80, 0, 0)
    assert cost_of(span) == pytest.approx(400 * 0.06e-6 + 80 * 0.24e-6, abs=1e-12)


def test_stream_broken_early_ends_the_span_at_the_break(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(chunks=8))
    response = client.converse_stream(modelId=NOVA, messages=MESSAGES)

    for event in response["stream"]:
        if "contentBlockDelta" in event:
            break

    span = only_span(span_exporter)
    assert span.status.status_code is not StatusCode.ERROR
    assert usage_of(span)[0] is None  # the usage event was never read: nothing made up
    assert semconv.OTEL_LLM_COST_USD not in (span.attributes or {})
    response["stream"].close()
    gc.collect()
    assert len(span_exporter.get_finished_spans()) == 1  # close and GC after the break: still one


def test_stream_closed_unread_and_stream_dropped_each_end_one_span(
    client: Any, span_exporter: InMemorySpanExporter
) -> None:
    client.converse_stream(modelId=NOVA, messages=MESSAGES)["stream"].close()
    assert len(span_exporter.get_finished_spans()) == 1

    response = client.converse_stream(modelId=NOVA, messages=MESSAGES)
    del response
    gc.collect()
    assert len(span_exporter.get_finished_spans()) == 2


def test_in_stream_exception_is_the_calls_error_and_reraised(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(chunks=6, fail_mid_stream=2, fail_mode="error_event"))
    stream = client.converse_stream(modelId=NOVA, messages=MESSAGES)["stream"]

    with pytest.raises(EventStreamError, match="modelStreamErrorException"):
        for _ in stream:
            pass

    span = only_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})[semconv.ERROR_TYPE] == "EventStreamError"


def test_invoke_model_anthropic_body_is_read_for_usage_and_still_readable(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(input_tokens=300, output_tokens=40, cache_read_tokens=1000))

    response = client.invoke_model(modelId=HAIKU, body=json.dumps(ANTHROPIC_BODY))

    assert isinstance(response["body"], StreamingBody)
    body = json.loads(response["body"].read())
    assert body["usage"]["cache_read_input_tokens"] == 1000
    span = only_span(span_exporter)
    assert (span.attributes or {})[semconv.GEN_AI_REQUEST_MAX_TOKENS] == 64
    assert usage_of(span) == (1300, 40, 1000, 0)
    assert cost_of(span) == pytest.approx(300 * 0.8e-6 + 1000 * 0.08e-6 + 40 * 4e-6, abs=1e-12)


def test_invoke_model_nova_and_titan_embeddings(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(input_tokens=1200, output_tokens=300), Script(input_tokens=5000))
    nova_body = {"schemaVersion": "messages-v1", "messages": MESSAGES, "inferenceConfig": {"max_new_tokens": 64}}

    client.invoke_model(modelId=NOVA, body=json.dumps(nova_body))
    embedded = client.invoke_model(modelId=TITAN, body=json.dumps({"inputText": "hello world"}))

    assert json.loads(embedded["body"].read())["inputTextTokenCount"] == 5000
    nova, titan = span_exporter.get_finished_spans()
    assert (nova.attributes or {})[semconv.GEN_AI_REQUEST_MAX_TOKENS] == 64
    assert usage_of(nova)[:2] == (1200, 300)
    assert cost_of(nova) == pytest.approx(1200 * 0.06e-6 + 300 * 0.24e-6, abs=1e-12)
    assert titan.name == f"embeddings {TITAN}"
    assert (titan.attributes or {})[semconv.GEN_AI_OPERATION_NAME] == "embeddings"
    assert usage_of(titan)[0] == 5000
    assert cost_of(titan) == pytest.approx(5000 * 0.02e-6, abs=1e-12)


@pytest.mark.parametrize(
    ("model", "body", "price_in", "price_out"),
    [
        ("meta.llama3-1-8b-instruct-v1:0", {"prompt": "hi", "max_gen_len": 64}, 0.22e-6, 0.22e-6),
        ("mistral.mistral-large-2402-v1:0", {"prompt": "hi", "max_tokens": 64}, 4e-6, 12e-6),  # headers only
        ("cohere.command-r-v1:0", {"message": "hi", "max_tokens": 64}, 0.5e-6, 1.5e-6),  # headers only
    ],
)
def test_invoke_model_other_vendors_from_body_or_headers(
    client: Any,
    fake_provider: FakeProvider,
    span_exporter: InMemorySpanExporter,
    model: str,
    body: dict[str, Any],
    price_in: float,
    price_out: float,
) -> None:
    fake_provider.enqueue(Script(input_tokens=700, output_tokens=90))

    client.invoke_model(modelId=model, body=json.dumps(body))

    span = only_span(span_exporter)
    assert usage_of(span)[:2] == (700, 90)
    assert (span.attributes or {})[semconv.GEN_AI_REQUEST_MAX_TOKENS] == 64
    assert cost_of(span) == pytest.approx(700 * price_in + 90 * price_out, abs=1e-12)


@pytest.mark.parametrize(
    ("model", "body"),
    [
        (HAIKU, ANTHROPIC_BODY),
        (NOVA, {"messages": MESSAGES}),
        ("meta.llama3-1-8b-instruct-v1:0", {"prompt": "hi"}),
        ("mistral.mistral-large-2402-v1:0", {"prompt": "hi"}),
    ],
)
def test_invoke_model_with_response_stream_usage_from_the_chunks(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter, model: str, body: dict[str, Any]
) -> None:
    fake_provider.enqueue(Script(input_tokens=250, output_tokens=6, chunks=6))

    response = client.invoke_model_with_response_stream(modelId=model, body=json.dumps(body))
    assert isinstance(response["body"], EventStream)
    chunks = [json.loads(event["chunk"]["bytes"]) for event in response["body"]]

    assert "amazon-bedrock-invocationMetrics" in chunks[-1]
    span = only_span(span_exporter)
    assert (span.attributes or {})[semconv.GEN_AI_REQUEST_STREAM] is True
    assert usage_of(span)[:2] == (250, 6)
    assert (span.attributes or {})[semconv.GEN_AI_RESPONSE_FINISH_REASONS]
    assert cost_of(span) is not None and cost_of(span) > 0


def test_inference_profile_arn_is_priced_as_its_model(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    arn = f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/{HAIKU}"
    fake_provider.enqueue(Script(input_tokens=1000, output_tokens=100))

    client.converse(modelId=arn, messages=MESSAGES)

    encoded = "inference-profile%2Fus.anthropic.claude-3-5-haiku-20241022-v1%3A0/converse"
    assert fake_provider.requests[-1].path.endswith(encoded)
    span = only_span(span_exporter)
    assert (span.attributes or {})[semconv.GEN_AI_REQUEST_MODEL] == arn
    assert cost_of(span) == pytest.approx(1000 * 0.8e-6 + 100 * 4e-6, abs=1e-12)


def test_application_inference_profile_is_flagged_unpriced_never_zero(
    client: Any, span_exporter: InMemorySpanExporter
) -> None:
    arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6"
    with pytest.raises(ClientError):  # the fake knows no model behind it, as Bedrock knows no such profile
        client.invoke_model(modelId=arn, body=json.dumps(ANTHROPIC_BODY))
    client.converse(modelId=arn, messages=MESSAGES)

    failed, answered = span_exporter.get_finished_spans()
    assert failed.status.status_code is StatusCode.ERROR
    assert (answered.attributes or {})[semconv.OTEL_LLM_COST_UNKNOWN_MODEL] is True
    assert cost_of(answered) is None


def test_throttling_retried_by_botocore_is_one_successful_span(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(status=429), Script(input_tokens=10, output_tokens=5))

    response = client.converse(modelId=HAIKU, messages=MESSAGES)

    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    assert len(fake_provider.requests) == 2
    span = only_span(span_exporter)
    assert span.status.status_code is not StatusCode.ERROR
    assert usage_of(span)[:2] == (10, 5)


def test_throttling_past_the_retries_is_recorded_and_reraised_untouched(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(*[Script(status=429)] * 4)

    with pytest.raises(ClientError) as raised:
        client.converse(modelId=HAIKU, messages=MESSAGES)

    attempts = raised.value.response["ResponseMetadata"]["RetryAttempts"] + 1
    assert attempts == len(fake_provider.requests) > 1
    assert type(raised.value).__name__ == "ThrottlingException"
    assert isinstance(raised.value, client.exceptions.ThrottlingException)
    span = only_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})[semconv.ERROR_TYPE] == "ThrottlingException"


def test_a_non_bedrock_aws_call_gets_no_span(
    fake_provider: FakeProvider, aws_env: None, bedrock_instrumentor: Any, span_exporter: InMemorySpanExporter
) -> None:
    s3 = boto3.client("s3", endpoint_url=fake_provider.url)
    with pytest.raises(ClientError):  # the fake answers S3 with a 404: the call still went through us
        s3.list_buckets()

    assert fake_provider.requests[-1].method == "GET"
    assert span_exporter.get_finished_spans() == ()


def test_uninstrument_restores_make_api_call(
    fake_provider: FakeProvider, aws_env: None, tracer_provider: TracerProvider, span_exporter: InMemorySpanExporter
) -> None:
    from botocore.client import BaseClient

    from otel_llm.instrumentation.bedrock import BedrockInstrumentor

    original = BaseClient.__dict__["_make_api_call"]
    instrumentor = BedrockInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider)
    assert instrumentor.wrapped_targets == ["BaseClient._make_api_call"]
    instrumentor.uninstrument()

    assert BaseClient.__dict__["_make_api_call"] is original
    client = boto3.client("bedrock-runtime", endpoint_url=fake_provider.url)
    client.converse(modelId=HAIKU, messages=MESSAGES)
    assert span_exporter.get_finished_spans() == ()


class _Recorder:
    """A call observer (what a budget is) that keeps what it was shown."""

    def __init__(self) -> None:
        self.seen: list[tuple[str | None, str, Any]] = []
        self.ended: list[tuple[Any, Any]] = []

    def before_request(self, tags: Any, model: str | None, provider: str, request: Any) -> object:
        self.seen.append((model, provider, request.get("messages")))
        return len(self.seen)

    def after_call(self, token: object, usage: Any, cost_usd: Any) -> None:
        self.ended.append((usage.input_tokens if usage else None, cost_usd))


def test_call_observers_see_the_converse_request_and_its_priced_end(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    from otel_llm.instrumentation import add_call_observer, remove_call_observer

    observer = _Recorder()
    add_call_observer(observer)
    try:
        fake_provider.enqueue(Script(input_tokens=1000, output_tokens=200))
        client.converse(modelId=HAIKU, messages=MESSAGES)
    finally:
        remove_call_observer(observer)

    assert observer.seen == [(HAIKU, "aws.bedrock", MESSAGES)]
    ((tokens, cost),) = observer.ended
    assert tokens == 1000 and float(cost) == pytest.approx(0.0016, abs=1e-12)


CONVERSE_PROMPT: dict[str, Any] = {
    "system": [{"text": "You are terse. Secret: s3cr3t"}],
    "messages": [
        {"role": "user", "content": [{"text": "Weather in Oslo?"}]},
        {
            "role": "assistant",
            "content": [{"toolUse": {"toolUseId": "tu_1", "name": "weather", "input": {"q": "Oslo"}}}],
        },
        {
            "role": "user",
            "content": [
                {"toolResult": {"toolUseId": "tu_1", "content": [{"text": "rain"}]}},
                {"image": {"format": "png", "source": {"bytes": b"\x89PNG"}}},
            ],
        },
    ],
}


@pytest.fixture
def capturing_client(
    fake_provider: FakeProvider,
    aws_env: None,
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Any]:
    from otel_llm.instrumentation.bedrock import BedrockInstrumentor

    monkeypatch.setenv(semconv.ENV_CAPTURE_CONTENT, "SPAN_ONLY")
    instrumentor = BedrockInstrumentor()
    instrumentor.instrument(
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        content_redactor=lambda text: text.replace("s3cr3t", "[REDACTED]"),
    )
    yield boto3.client("bedrock-runtime", endpoint_url=fake_provider.url, config=_config())
    instrumentor.uninstrument()


def _content(span: ReadableSpan, key: str) -> Any:
    return json.loads(str((span.attributes or {})[key]))


@pytest.mark.parametrize("streamed", [False, True])
def test_converse_content_is_recorded_when_capture_is_on(
    capturing_client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter, streamed: bool
) -> None:
    fake_provider.enqueue(Script(text="Rain in Oslo."))
    if streamed:
        for _ in capturing_client.converse_stream(modelId=HAIKU, **CONVERSE_PROMPT)["stream"]:
            pass
    else:
        capturing_client.converse(modelId=HAIKU, **CONVERSE_PROMPT)

    span = only_span(span_exporter)
    assert _content(span, semconv.GEN_AI_SYSTEM_INSTRUCTIONS) == [
        {"type": "text", "content": "You are terse. Secret: [REDACTED]"}
    ]
    inputs = _content(span, semconv.GEN_AI_INPUT_MESSAGES)
    assert [m["role"] for m in inputs] == ["user", "assistant", "user"]
    assert inputs[1]["parts"] == [{"type": "tool_call", "id": "tu_1", "name": "weather", "arguments": '{"q": "Oslo"}'}]
    assert inputs[2]["parts"][1] == {"type": "image"}  # the bytes are not recorded
    assert _content(span, semconv.GEN_AI_OUTPUT_MESSAGES) == [
        {"role": "assistant", "parts": [{"type": "text", "content": "Rain in Oslo."}], "finish_reason": "end_turn"}
    ]


@pytest.mark.parametrize("streamed", [False, True])
def test_invoke_model_anthropic_body_content_is_recorded(
    capturing_client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter, streamed: bool
) -> None:
    fake_provider.enqueue(Script(text="Hello."))
    if streamed:
        body = capturing_client.invoke_model_with_response_stream(modelId=HAIKU, body=json.dumps(ANTHROPIC_BODY))
        for _ in body["body"]:
            pass
    else:
        capturing_client.invoke_model(modelId=HAIKU, body=json.dumps(ANTHROPIC_BODY))
    (span,) = span_exporter.get_finished_spans()
    assert _content(span, semconv.GEN_AI_INPUT_MESSAGES)[0]["parts"] == [{"type": "text", "content": "Say hello."}]
    assert _content(span, semconv.GEN_AI_OUTPUT_MESSAGES)[0]["parts"] == [{"type": "text", "content": "Hello."}]


def test_fail_first_header_fails_only_botocores_first_attempt(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    """The header an app without the control API uses (the e2e app): botocore numbers its attempts
    in ``amz-sdk-request``, so only the first one fails and botocore's own retry succeeds."""
    from otel_llm.fake_provider import FAIL_FIRST_HEADER

    def add_header(request: Any, **_: Any) -> None:
        request.headers[FAIL_FIRST_HEADER] = "503"

    client.meta.events.register("before-sign.bedrock-runtime.Converse", add_header)
    response = client.converse(modelId=HAIKU, messages=MESSAGES)

    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    assert [r.headers["amz-sdk-request"].split(";")[0] for r in fake_provider.requests] == ["attempt=1", "attempt=2"]
    assert only_span(span_exporter).status.status_code is not StatusCode.ERROR
