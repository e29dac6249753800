"""Impossible usage over real HTTP: flagged ``otel_llm.usage.suspect``, never priced, never out of int64.

The real openai and anthropic SDKs call the fake provider, which answers with the usage the issue
reproduced (``cached_tokens: 1e9`` for a 10-token prompt cost $75; 10**30 tokens cost 1.5e23 and
broke the OTLP encoder) and the other shapes that cannot be true. Each span must carry the flag and
its reason, no cost attribute, token attributes within int64, and encode for OTLP without an error;
the cost metric records nothing and the unpriced-calls counter counts the call as suspect.
"""

from __future__ import annotations

import logging
from typing import Any

import anthropic
import openai
import pytest
import test_anthropic_fixtures as anthropic_fixtures
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_llm import semconv
from otel_llm.fake_provider import FakeProvider, Script
from otel_llm.usage_check import INT64_MAX
from tests.integration.instrumentation.test_openai_fixtures import MESSAGES, one_span

instrumented = anthropic_fixtures.instrumented
traced_client = anthropic_fixtures.traced_client

OPENAI_MODEL = "gpt-4o-mini"  # $0.075/M cached: the issue's $75 for 1e9 cached tokens
HUGE = 10**30
COST_KEYS = {k for k in vars(semconv).values() if isinstance(k, str) and k.startswith("otel_llm.cost.")}

INPUT, OUTPUT = semconv.GEN_AI_USAGE_INPUT_TOKENS, semconv.GEN_AI_USAGE_OUTPUT_TOKENS
CACHE_READ = semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS

# case: (what the provider answers, the reason on the span, token attributes it keeps; None: absent)
OPENAI_CASES: dict[str, tuple[Script, str, dict[str, int | None]]] = {
    "1e9 cached of a 10-token prompt": (
        Script(prompt_tokens=10, malformed_usage={"prompt_tokens_details.cached_tokens": 1e9}),
        semconv.USAGE_SUSPECT_CACHE_ABOVE_INPUT,
        {INPUT: 10, CACHE_READ: 10**9},  # the evidence stays on the span
    ),
    "10**30 prompt and completion": (
        Script(prompt_tokens=HUGE, completion_tokens=HUGE),
        semconv.USAGE_SUSPECT_TOO_MANY,
        {INPUT: INT64_MAX, OUTPUT: INT64_MAX},  # clamped into int64, not dropped by the encoder
    ),
    "900M prompt, 7000x gpt-4o-mini's 128k window": (  # under the fixed 1e9 ceiling; $135 if priced
        Script(prompt_tokens=900_000_000),
        semconv.USAGE_SUSPECT_TOO_MANY,
        {INPUT: 900_000_000},
    ),
    "negative completion": (
        Script(malformed_usage={"completion_tokens": -5}),
        semconv.USAGE_SUSPECT_MALFORMED,
        {OUTPUT: None},  # read as not reported: no output attribute at all
    ),
    "fractional cached": (
        Script(malformed_usage={"prompt_tokens_details.cached_tokens": 3.5}),
        semconv.USAGE_SUSPECT_MALFORMED,
        {CACHE_READ: 0},
    ),
    "prompt as text": (
        Script(malformed_usage={"prompt_tokens": "many"}),
        semconv.USAGE_SUSPECT_MALFORMED,
        {INPUT: None},
    ),
    "reasoning above completion": (
        Script(completion_tokens=5, reasoning_tokens=50),
        semconv.USAGE_SUSPECT_PART_ABOVE_TOTAL,
        {OUTPUT: 5, semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: 50},
    ),
}

ANTHROPIC_CASES: dict[str, tuple[Script, str, dict[str, int | None]]] = {
    "10**30 cache reads": (
        Script(input_tokens=10, cache_read_tokens=HUGE),
        semconv.USAGE_SUSPECT_TOO_MANY,
        {INPUT: INT64_MAX, CACHE_READ: INT64_MAX},
    ),
    "10**30 output": (Script(output_tokens=HUGE), semconv.USAGE_SUSPECT_TOO_MANY, {OUTPUT: INT64_MAX}),
    "negative input": (Script(malformed_usage={"input_tokens": -4}), semconv.USAGE_SUSPECT_MALFORMED, {INPUT: None}),
    "500M cache reads, 500x the model's context window": (
        Script(input_tokens=10, cache_read_tokens=500_000_000),
        semconv.USAGE_SUSPECT_TOO_MANY,
        {INPUT: 500_000_010, CACHE_READ: 500_000_000},
    ),
    "1h writes above all writes": (
        Script(malformed_usage={"cache_creation.ephemeral_1h_input_tokens": 500}),
        semconv.USAGE_SUSPECT_PART_ABOVE_TOTAL,
        {semconv.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS: 0, semconv.OTEL_LLM_USAGE_CACHE_WRITE_1H_INPUT_TOKENS: 500},
    ),
    "fractional cache write": (
        Script(malformed_usage={"cache_creation_input_tokens": 2.5}),
        semconv.USAGE_SUSPECT_MALFORMED,
        {semconv.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS: 0},
    ),
}


def _points(reader: InMemoryMetricReader) -> dict[str, list[Any]]:
    data = reader.get_metrics_data()
    return {
        metric.name: list(metric.data.data_points)
        for rm in (data.resource_metrics if data else ())
        for sm in rm.scope_metrics
        for metric in sm.metrics
    }


def _assert_flagged_and_unpriced(
    span: ReadableSpan,
    reason: str,
    kept: dict[str, int | None],
    reader: InMemoryMetricReader,
    caplog: pytest.LogCaptureFixture,
) -> None:
    attrs = dict(span.attributes or {})
    assert {key: attrs.get(key) for key in kept} == kept
    assert attrs[semconv.OTEL_LLM_USAGE_SUSPECT] is True
    assert attrs[semconv.OTEL_LLM_USAGE_SUSPECT_REASON] == reason
    assert not COST_KEYS & attrs.keys()  # absent, never a made-up number (and not "unknown model")
    counts = [v for k, v in attrs.items() if k.startswith("gen_ai.usage.") or k.startswith("otel_llm.usage.")]
    assert all(0 <= v <= INT64_MAX for v in counts if type(v) is int)
    with caplog.at_level(logging.ERROR):
        encoded = encode_spans([span])  # what the OTLP exporter sends: nothing out of range
    assert len(encoded.resource_spans[0].scope_spans[0].spans[0].attributes) == len(attrs)
    assert "out of range" not in caplog.text
    points = _points(reader)
    assert semconv.METRIC_COST not in points  # the absurd cost reaches no metric either
    assert semconv.METRIC_TOKEN_USAGE not in points
    (unpriced,) = points[semconv.METRIC_UNKNOWN_MODEL_CALLS]
    assert unpriced.value == 1 and unpriced.attributes[semconv.OTEL_LLM_USAGE_SUSPECT] is True


@pytest.mark.usefixtures("openai_instrumentor")
@pytest.mark.parametrize("case", OPENAI_CASES)
@pytest.mark.parametrize("stream", [False, True], ids=["response", "stream"])
def test_openai_impossible_usage_is_flagged_and_not_priced(
    case: str,
    stream: bool,
    fake_provider: FakeProvider,
    openai_client: openai.OpenAI,
    span_exporter: InMemorySpanExporter,
    metric_reader: InMemoryMetricReader,
    caplog: pytest.LogCaptureFixture,
) -> None:
    script, reason, kept = OPENAI_CASES[case]
    fake_provider.enqueue(script)
    request: dict[str, Any] = {"model": OPENAI_MODEL, "messages": MESSAGES}
    if stream:
        chunks = list(
            openai_client.chat.completions.create(**request, stream=True, stream_options={"include_usage": True})
        )
        assert chunks[-1].usage is not None  # the app still gets the provider's usage chunk
    else:
        assert openai_client.chat.completions.create(**request).choices[0].message.content
    _assert_flagged_and_unpriced(one_span(span_exporter), reason, kept, metric_reader, caplog)


# The SDK's own stream accumulator warns while it copies the malformed field; the app sees that too.
@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings:UserWarning")
@pytest.mark.parametrize("case", ANTHROPIC_CASES)
@pytest.mark.parametrize("stream", [False, True], ids=["response", "stream"])
def test_anthropic_impossible_usage_is_flagged_and_not_priced(
    case: str,
    stream: bool,
    fake_provider: FakeProvider,
    traced_client: anthropic.Anthropic,
    span_exporter: InMemorySpanExporter,
    metric_reader: InMemoryMetricReader,
    caplog: pytest.LogCaptureFixture,
) -> None:
    script, reason, kept = ANTHROPIC_CASES[case]
    fake_provider.enqueue(script)
    if stream:
        with traced_client.messages.stream(**anthropic_fixtures.ask()) as events:
            assert events.get_final_message().id.startswith("msg_")
    else:
        assert traced_client.messages.create(**anthropic_fixtures.ask()).id.startswith("msg_")
    _assert_flagged_and_unpriced(anthropic_fixtures.only_span(span_exporter), reason, kept, metric_reader, caplog)


@pytest.mark.usefixtures("openai_instrumentor")
def test_plausible_usage_at_the_edge_is_still_priced(
    fake_provider: FakeProvider,
    openai_client: openai.OpenAI,
    span_exporter: InMemorySpanExporter,
    metric_reader: InMemoryMetricReader,
) -> None:
    # Every prompt token read from cache, reasoning equal to the whole completion: unusual, possible.
    fake_provider.enqueue(Script(prompt_tokens=2048, cached_tokens=2048, completion_tokens=64, reasoning_tokens=64))
    openai_client.chat.completions.create(model=OPENAI_MODEL, messages=MESSAGES)
    attrs = dict(one_span(span_exporter).attributes or {})
    assert semconv.OTEL_LLM_USAGE_SUSPECT not in attrs  # the flag is absent, never "false"
    assert attrs[semconv.OTEL_LLM_COST_USD] == pytest.approx(2048 * 0.075e-6 + 64 * 0.6e-6, rel=1e-9)
    assert [p.value for p in _points(metric_reader)[semconv.METRIC_COST]] == [attrs[semconv.OTEL_LLM_COST_USD]]


@pytest.mark.usefixtures("openai_instrumentor")
def test_a_prompt_within_ten_context_windows_is_still_priced(
    fake_provider: FakeProvider, openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter
) -> None:
    """1M tokens on gpt-4o-mini (128k window, 7.8x): beyond the listed window, but maps lag behind
    providers growing windows, so it is priced, not flagged."""
    fake_provider.enqueue(Script(prompt_tokens=1_000_000, completion_tokens=10))
    openai_client.chat.completions.create(model=OPENAI_MODEL, messages=MESSAGES)
    attrs = dict(one_span(span_exporter).attributes or {})
    assert semconv.OTEL_LLM_USAGE_SUSPECT not in attrs
    assert attrs[semconv.OTEL_LLM_COST_USD] == pytest.approx(1_000_000 * 0.15e-6 + 10 * 0.6e-6, rel=1e-9)


@pytest.mark.usefixtures("openai_instrumentor")
def test_openai_embeddings_with_impossible_usage_are_flagged_too(
    fake_provider: FakeProvider,
    openai_client: openai.OpenAI,
    span_exporter: InMemorySpanExporter,
    metric_reader: InMemoryMetricReader,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake_provider.enqueue(Script(malformed_usage={"prompt_tokens": HUGE, "total_tokens": HUGE}))
    assert openai_client.embeddings.create(model="text-embedding-3-small", input="x").data
    span = one_span(span_exporter)
    _assert_flagged_and_unpriced(span, semconv.USAGE_SUSPECT_TOO_MANY, {INPUT: INT64_MAX}, metric_reader, caplog)
