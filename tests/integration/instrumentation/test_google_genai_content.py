"""Opt-in content capture for google-genai: prompts and replies in the semconv JSON shape, redacted.

Off by default (test_google_genai.py asserts no content attribute appears); here it is switched
on the way a user does, through the environment, with a redactor.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_llm import semconv
from otel_llm.fake_provider import FakeProvider, Script

genai = pytest.importorskip("google.genai")
from google.genai import types  # noqa: E402

from otel_llm.instrumentation.google_genai import GoogleGenAIInstrumentor  # noqa: E402


@pytest.fixture
def client(
    monkeypatch: pytest.MonkeyPatch,
    fake_provider: FakeProvider,
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
) -> Iterator[Any]:
    monkeypatch.setenv(semconv.ENV_CAPTURE_CONTENT, "SPAN_ONLY")
    instrumentor = GoogleGenAIInstrumentor()
    instrumentor.instrument(
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        content_redactor=lambda text: text.replace("s3cr3t", "[REDACTED]"),
    )
    yield genai.Client(api_key="k", http_options=types.HttpOptions(base_url=fake_provider.url))
    instrumentor.uninstrument()


def _content(exporter: InMemorySpanExporter, key: str, index: int = 0) -> Any:
    return json.loads(str((exporter.get_finished_spans()[index].attributes or {})[key]))


def test_prompt_history_tool_parts_and_reply_are_captured_and_redacted(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(text="Rain in Oslo."))
    contents = [
        types.Content(role="user", parts=[types.Part(text="Weather? Key s3cr3t")]),
        types.Content(
            role="model", parts=[types.Part(function_call=types.FunctionCall(name="weather", args={"q": "Oslo"}))]
        ),
        types.Content(
            role="user",
            parts=[types.Part(function_response=types.FunctionResponse(name="weather", response={"out": "rain"}))],
        ),
    ]
    config = types.GenerateContentConfig(system_instruction="Be terse.")
    client.models.generate_content(model="gemini-2.5-flash", contents=contents, config=config)

    assert _content(span_exporter, semconv.GEN_AI_SYSTEM_INSTRUCTIONS) == [{"type": "text", "content": "Be terse."}]
    inputs = _content(span_exporter, semconv.GEN_AI_INPUT_MESSAGES)
    assert [m["role"] for m in inputs] == ["user", "assistant", "user"]
    assert inputs[0]["parts"] == [{"type": "text", "content": "Weather? Key [REDACTED]"}]
    assert inputs[1]["parts"][0]["type"] == "tool_call" and inputs[1]["parts"][0]["name"] == "weather"
    assert inputs[2]["parts"][0]["type"] == "tool_call_response"
    assert _content(span_exporter, semconv.GEN_AI_OUTPUT_MESSAGES) == [
        {"role": "assistant", "parts": [{"type": "text", "content": "Rain in Oslo."}], "finish_reason": "stop"}
    ]


def test_a_plain_string_prompt_and_a_streamed_reply(
    client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(Script(text="one two three", chunks=3))
    list(client.models.generate_content_stream(model="gemini-2.5-flash", contents="Count to three"))
    assert _content(span_exporter, semconv.GEN_AI_INPUT_MESSAGES) == [
        {"role": "user", "parts": [{"type": "text", "content": "Count to three"}]}
    ]
    assert _content(span_exporter, semconv.GEN_AI_OUTPUT_MESSAGES) == [
        {"role": "assistant", "parts": [{"type": "text", "content": "one two three"}], "finish_reason": "stop"}
    ]
