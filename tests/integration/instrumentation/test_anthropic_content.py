"""Opt-in content capture for Anthropic: prompts and replies in the semconv JSON shape, redacted.

Off by default (the other test files assert no content attribute appears); here it is switched
on through the environment, as a user would, with a redaction hook.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import anthropic
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from test_anthropic_fixtures import ask, instrumenting

from otel_llm import semconv
from otel_llm.fake_provider import FakeProvider, Script
from otel_llm.instrumentation.anthropic import AnthropicInstrumentor

PROMPT = ask(
    system=[{"type": "text", "text": "You are terse. Secret: s3cr3t"}],
    messages=[
        {"role": "user", "content": "What is the weather?"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "tu_1", "name": "weather", "input": {"q": "Oslo"}}],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "tu_1", "content": "rain"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
            ],
        },
    ],
)


@pytest.fixture
def capturing(
    tracer_provider: TracerProvider, meter_provider: MeterProvider, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AnthropicInstrumentor]:
    monkeypatch.setenv(semconv.ENV_CAPTURE_CONTENT, "SPAN_ONLY")
    with instrumenting(
        tracer_provider, meter_provider, content_redactor=lambda text: text.replace("s3cr3t", "[REDACTED]")
    ) as instrumentor:
        yield instrumentor


def _content(exporter: InMemorySpanExporter, key: str) -> list[dict[str, object]]:
    (span,) = exporter.get_finished_spans()
    return json.loads(str((span.attributes or {})[key]))


@pytest.mark.parametrize("streamed", [False, True])
def test_prompt_and_reply_are_recorded_in_semconv_shape(
    capturing: AnthropicInstrumentor,
    fake_provider: FakeProvider,
    span_exporter: InMemorySpanExporter,
    streamed: bool,
) -> None:
    fake_provider.enqueue(Script(text="Rain in Oslo."))
    client = anthropic.Anthropic(base_url=fake_provider.anthropic_base_url, api_key="k")
    if streamed:
        with client.messages.stream(**PROMPT) as stream:
            stream.until_done()
    else:
        client.messages.create(**PROMPT)

    assert _content(span_exporter, semconv.GEN_AI_SYSTEM_INSTRUCTIONS) == [
        {"type": "text", "content": "You are terse. Secret: [REDACTED]"}
    ]
    inputs = _content(span_exporter, semconv.GEN_AI_INPUT_MESSAGES)
    assert [m["role"] for m in inputs] == ["user", "assistant", "user"]
    assert inputs[1]["parts"] == [{"type": "tool_call", "id": "tu_1", "name": "weather", "arguments": '{"q": "Oslo"}'}]
    assert inputs[2]["parts"] == [
        {"type": "tool_call_response", "id": "tu_1", "response": "rain"},
        {"type": "image"},  # the payload is not recorded
    ]
    assert _content(span_exporter, semconv.GEN_AI_OUTPUT_MESSAGES) == [
        {"role": "assistant", "parts": [{"type": "text", "content": "Rain in Oslo."}], "finish_reason": "end_turn"}
    ]
