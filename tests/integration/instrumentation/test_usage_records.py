"""A call whose span is sampled out still records its usage and cost, once, as a log event.

Real openai SDK over real HTTP to the fake provider; real SDK tracer, meter and logger providers
with in-memory exporters. A sampled call is recorded by its span only; a sampled-out call by its
``gen_ai.client.inference.operation.details`` event only, carrying the same attributes, its trace
and span ids, and no content.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import openai
import pytest
from opentelemetry import context, trace
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, Sampler
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from otel_llm import semconv, tag
from otel_llm.budget import Budget, Limit
from otel_llm.fake_provider import FakeProvider, Script
from otel_llm.instrumentation.openai import OpenAIInstrumentor
from tests.integration.instrumentation.test_openai_fixtures import attrs, chat, our_spans


class Pipeline:
    """Providers sharing one sampler, each with an in-memory exporter, and the instrumentor on them."""

    def __init__(self, sampler: Sampler) -> None:
        self.spans = InMemorySpanExporter()
        self.tracer_provider = TracerProvider(sampler=sampler)
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.logs = InMemoryLogRecordExporter()
        self.logger_provider = LoggerProvider()
        self.logger_provider.add_log_record_processor(SimpleLogRecordProcessor(self.logs))
        self.metrics = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.metrics])
        self.instrumentor = OpenAIInstrumentor()
        self.instrumentor.instrument(
            tracer_provider=self.tracer_provider,
            meter_provider=self.meter_provider,
            logger_provider=self.logger_provider,
        )

    def records(self) -> list[Any]:
        return [r.log_record for r in self.logs.get_finished_logs()]

    def cost_metric(self) -> float:
        data = self.metrics.get_metrics_data()
        return sum(
            point.value
            for rm in data.resource_metrics
            for sm in rm.scope_metrics
            for metric in sm.metrics
            if metric.name == semconv.METRIC_COST
            for point in metric.data.data_points
        )

    def close(self) -> None:
        self.instrumentor.uninstrument()
        for provider in (self.tracer_provider, self.logger_provider, self.meter_provider):
            provider.shutdown()


def _pipeline(sampler: Sampler) -> Iterator[Pipeline]:
    pipeline = Pipeline(sampler)
    yield pipeline
    pipeline.close()


@pytest.fixture
def sampled_out() -> Iterator[Pipeline]:
    yield from _pipeline(ALWAYS_OFF)


@pytest.fixture
def sampled() -> Iterator[Pipeline]:
    yield from _pipeline(ALWAYS_ON)


TAGS = {"feature": "summaries", "user_id": "acme_7", "session_id": "s-1"}


def test_a_sampled_out_call_emits_one_event_with_usage_cost_and_tags(
    sampled_out: Pipeline, openai_client: openai.OpenAI, fake_provider: FakeProvider
) -> None:
    fake_provider.enqueue(Script(prompt_tokens=1200, cached_tokens=1000, completion_tokens=40))
    with tag(**TAGS):
        openai_client.chat.completions.create(**chat())
    assert our_spans(sampled_out.spans) == []
    (record,) = sampled_out.records()
    assert record.event_name == semconv.EVENT_INFERENCE_DETAILS == "gen_ai.client.inference.operation.details"
    a = dict(record.attributes)
    assert a[semconv.GEN_AI_OPERATION_NAME] == "chat"
    assert a[semconv.GEN_AI_PROVIDER_NAME] == "openai"
    assert a[semconv.GEN_AI_REQUEST_MODEL] == "gpt-4o"
    assert a[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 1200
    assert a[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 1000
    assert a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 40
    assert a[semconv.OTEL_LLM_CACHE_HIT] is True
    assert a[semconv.OTEL_LLM_COST_USD] > 0
    assert a[semconv.OTEL_LLM_PRICING_VERSION]
    assert a[semconv.OTEL_LLM_PRICING_SOURCE] == semconv.PRICING_SOURCE_EXACT
    assert a[semconv.OTEL_LLM_FEATURE] == "summaries"
    assert a[semconv.USER_ID] == "acme_7"
    assert a[semconv.SESSION_ID] == "s-1"
    assert a[semconv.OTEL_LLM_CALL_DURATION_NS] > 0
    assert record.timestamp is not None and record.timestamp > 0
    # Money is not sampled: the cost counter saw the call too, at the event's cost.
    assert sampled_out.cost_metric() == pytest.approx(a[semconv.OTEL_LLM_COST_USD])


def test_the_event_carries_the_sampled_out_span_ids(
    sampled_out: Pipeline, openai_client: openai.OpenAI, fake_provider: FakeProvider
) -> None:
    parent = SpanContext(trace_id=0xABC, span_id=0xDEF, is_remote=True, trace_flags=TraceFlags(0))
    token = context.attach(trace.set_span_in_context(NonRecordingSpan(parent)))
    try:
        openai_client.chat.completions.create(**chat())
    finally:
        context.detach(token)
    (record,) = sampled_out.records()
    assert record.trace_id == 0xABC
    assert record.span_id not in (0, 0xDEF, None)  # the call's own (non-recording) span
    assert not TraceFlags(record.trace_flags).sampled


def test_a_sampled_call_emits_no_event(
    sampled: Pipeline, openai_client: openai.OpenAI, fake_provider: FakeProvider
) -> None:
    openai_client.chat.completions.create(**chat())
    assert len(our_spans(sampled.spans)) == 1
    assert sampled.records() == []


def test_the_event_has_exactly_the_attributes_the_span_would_have(
    openai_client: openai.OpenAI, fake_provider: FakeProvider
) -> None:
    """The same call, sampled then sampled out: one span, then one event, alike but for timing."""
    differ = {semconv.OTEL_LLM_CALL_DURATION_NS, semconv.GEN_AI_RESPONSE_ID}  # timing; one id per reply
    found = []
    for sampler in (ALWAYS_ON, ALWAYS_OFF):
        for pipeline in _pipeline(sampler):
            fake_provider.enqueue(Script(prompt_tokens=300, completion_tokens=12))
            with tag(**TAGS):
                openai_client.chat.completions.create(**chat())
            spans = our_spans(pipeline.spans)
            found.append(attrs(spans[0]) if spans else {k: v for k, v in pipeline.records()[0].attributes.items()})
    span_attrs, event_attrs = found
    assert set(event_attrs) == set(span_attrs) | {semconv.OTEL_LLM_CALL_DURATION_NS}
    assert {k: v for k, v in event_attrs.items() if k not in differ} == {
        k: v for k, v in span_attrs.items() if k not in differ
    }


def test_content_stays_off_the_event_even_when_captured_on_spans(
    monkeypatch: pytest.MonkeyPatch, openai_client: openai.OpenAI, fake_provider: FakeProvider
) -> None:
    monkeypatch.setenv(semconv.ENV_CAPTURE_CONTENT, "true")
    for pipeline in _pipeline(ALWAYS_OFF):
        openai_client.chat.completions.create(**chat())
        (record,) = pipeline.records()
        keys = set(record.attributes)
        assert not keys & {semconv.GEN_AI_INPUT_MESSAGES, semconv.GEN_AI_OUTPUT_MESSAGES}
        assert record.body is None


def test_a_failed_sampled_out_call_records_its_error_type(
    sampled_out: Pipeline, openai_client: openai.OpenAI, fake_provider: FakeProvider
) -> None:
    fake_provider.enqueue(Script(status=400))
    with pytest.raises(openai.BadRequestError):
        openai_client.chat.completions.create(**chat())
    (record,) = sampled_out.records()
    assert record.attributes[semconv.ERROR_TYPE] == "400"
    assert semconv.OTEL_LLM_COST_USD not in record.attributes


def test_a_sampled_out_stream_records_its_usage_and_first_chunk_time(
    sampled_out: Pipeline, openai_client: openai.OpenAI, fake_provider: FakeProvider
) -> None:
    stream = openai_client.chat.completions.create(**chat(stream=True, stream_options={"include_usage": True}))
    for _ in stream:
        pass
    (record,) = sampled_out.records()
    a = record.attributes
    assert a[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] > 0
    assert a[semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] >= 0
    assert a[semconv.OTEL_LLM_COST_USD] > 0


def test_a_budget_settles_sampled_out_calls_at_their_cost(
    sampled_out: Pipeline, openai_client: openai.OpenAI, fake_provider: FakeProvider
) -> None:
    limit = Limit(per="user", max_usd=Decimal(100))
    with Budget([limit]) as budget, tag(user_id="u9"):
        openai_client.chat.completions.create(**chat())
        spent = budget.spent(limit, "u9")
    (record,) = sampled_out.records()
    assert spent.usd > 0
    assert float(spent.usd) == pytest.approx(record.attributes[semconv.OTEL_LLM_COST_USD])


def test_a_logs_api_without_events_is_said_once_and_calls_go_on(
    caplog: pytest.LogCaptureFixture, openai_client: openai.OpenAI, fake_provider: FakeProvider
) -> None:
    """An old opentelemetry-api whose Logger takes only ``emit(record)``: one line naming the fix."""
    from opentelemetry._logs import Logger, LoggerProvider

    class OldLogger(Logger):
        def emit(self, record: Any) -> None:  # type: ignore[override]
            raise AssertionError("never called")

        def enabled(self, *args: Any, **kwargs: Any) -> bool:
            return True

    class OldProvider(LoggerProvider):
        def get_logger(self, *args: Any, **kwargs: Any) -> Logger:
            return OldLogger("old")

    instrumentor = OpenAIInstrumentor()
    provider = TracerProvider(sampler=ALWAYS_OFF)
    instrumentor.instrument(tracer_provider=provider, logger_provider=OldProvider())
    try:
        reply = openai_client.chat.completions.create(**chat())
    finally:
        instrumentor.uninstrument()
    assert reply.choices
    warnings = [r.getMessage() for r in caplog.records if "cannot emit log events" in r.getMessage()]
    assert len(warnings) == 1 and "pip install -U opentelemetry-sdk" in warnings[0]
