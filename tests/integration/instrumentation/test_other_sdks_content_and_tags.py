"""mistralai, groq and cohere: opt-in content (redacted, semconv JSON), tags and metrics, per SDK.

Content is off by default (each SDK's own test file asserts no content attribute); here it is
switched on through the environment, as a user would, with a redaction hook.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import otel_llm
from otel_llm import semconv
from otel_llm.fake_provider import FakeProvider, Script
from tests.integration.instrumentation.sdk_spans import attrs, mistral_class, only_span

MESSAGES = [
    {"role": "system", "content": "You are terse. Secret: s3cr3t"},
    {"role": "user", "content": "What is the weather?"},
]
REPLY = "Rain in Oslo."


def _mistral(fp: FakeProvider, stream: bool) -> None:
    with mistral_class()(api_key="test-key", server_url=fp.mistral_server_url) as client:
        if stream:
            list(client.chat.stream(model="mistral-small-2603", messages=MESSAGES))
        else:
            client.chat.complete(model="mistral-small-2603", messages=MESSAGES)


def _groq(fp: FakeProvider, stream: bool) -> None:
    import groq

    with groq.Groq(api_key="test-key", base_url=fp.groq_base_url) as client:
        result = client.chat.completions.create(model="openai/gpt-oss-20b", messages=MESSAGES, stream=stream)
        if stream:
            list(result)


def _cohere(fp: FakeProvider, stream: bool) -> None:
    import cohere

    with cohere.ClientV2(api_key="test-key", base_url=fp.cohere_base_url) as client:
        if stream:
            list(client.chat_stream(model="command-a-03-2025", messages=MESSAGES))
        else:
            client.chat(model="command-a-03-2025", messages=MESSAGES)


# sdk module, instrumentor, the call, (hand-computed cost of 1,000 in / 200 out tokens, provider)
SDKS: dict[str, tuple[str, str, Callable[[FakeProvider, bool], None], float, str]] = {
    "mistralai": ("mistralai", "MistralInstrumentor", _mistral, 0.00027, semconv.PROVIDER_MISTRAL),
    "groq": ("groq", "GroqInstrumentor", _groq, 0.000135, semconv.PROVIDER_GROQ),  # 1000*0.075e-6 + 200*0.3e-6
    "cohere": ("cohere", "CohereInstrumentor", _cohere, 0.0045, semconv.PROVIDER_COHERE),
}


@pytest.fixture(params=list(SDKS))
def sdk(request: pytest.FixtureRequest) -> str:
    pytest.importorskip(SDKS[request.param][0])
    return str(request.param)


@pytest.fixture
def instrumented(
    sdk: str, monkeypatch: pytest.MonkeyPatch, tracer_provider: TracerProvider, meter_provider: MeterProvider
) -> Iterator[str]:
    import importlib

    monkeypatch.setenv(semconv.ENV_CAPTURE_CONTENT, "SPAN_ONLY")
    module = importlib.import_module(f"otel_llm.instrumentation.{sdk}")
    instrumentor = getattr(module, SDKS[sdk][1])()
    instrumentor.instrument(
        tracer_provider=tracer_provider, meter_provider=meter_provider,
        content_redactor=lambda text: text.replace("s3cr3t", "[REDACTED]"),
    )
    yield f"otel_llm.instrumentation.{sdk}"
    instrumentor.uninstrument()


@pytest.mark.parametrize("stream", [False, True])
def test_content_is_captured_redacted_when_switched_on(
    stream: bool, sdk: str, instrumented: str, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(text=REPLY))
    SDKS[sdk][2](fake_provider, stream)
    a = attrs(only_span(span_exporter, instrumented))
    system = json.loads(a[semconv.GEN_AI_SYSTEM_INSTRUCTIONS])
    assert system == [{"type": "text", "content": "You are terse. Secret: [REDACTED]"}]
    inputs = json.loads(a[semconv.GEN_AI_INPUT_MESSAGES])
    assert inputs == [{"role": "user", "parts": [{"type": "text", "content": "What is the weather?"}]}]
    outputs = json.loads(a[semconv.GEN_AI_OUTPUT_MESSAGES])
    assert outputs[0]["role"] == "assistant"
    assert outputs[0]["parts"] == [{"type": "text", "content": REPLY}]
    assert "s3cr3t" not in json.dumps(a)


def test_tags_reach_the_span_and_the_cost_metric(
    sdk: str,
    instrumented: str,
    fake_provider: FakeProvider,
    span_exporter: InMemorySpanExporter,
    metric_reader: InMemoryMetricReader,
) -> None:
    _, _, call, cost, provider = SDKS[sdk]
    fake_provider.enqueue(Script(prompt_tokens=1000, completion_tokens=200))
    with otel_llm.tag(feature="weather", user_id="acme_001"):
        call(fake_provider, False)
    a = attrs(only_span(span_exporter, instrumented))
    assert a[semconv.OTEL_LLM_FEATURE] == "weather" and a[semconv.ENDUSER_ID] == "acme_001"
    metrics: dict[str, Any] = {
        m.name: m
        for rm in metric_reader.get_metrics_data().resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
    }
    cost_points = list(metrics[semconv.METRIC_COST].data.data_points)
    assert [p.value for p in cost_points] == [pytest.approx(cost, abs=1e-12)]
    assert cost_points[0].attributes[semconv.GEN_AI_PROVIDER_NAME] == provider
    assert cost_points[0].attributes[semconv.OTEL_LLM_FEATURE] == "weather"
    assert semconv.ENDUSER_ID not in cost_points[0].attributes
    token_sums = {
        p.attributes[semconv.GEN_AI_TOKEN_TYPE]: p.sum for p in metrics[semconv.METRIC_TOKEN_USAGE].data.data_points
    }
    assert token_sums == {"input": 1000, "output": 200}
