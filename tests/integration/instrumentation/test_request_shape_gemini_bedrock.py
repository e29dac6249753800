"""The request shape on google-genai and boto3 bedrock-runtime spans, over real HTTP to the fake provider.

The same promises as for OpenAI and Anthropic (test_request_shape.py): identical requests match,
a different question does not, the prefix (model, system, tools) stays the same across questions,
the counts are right, the provider's cache controls are recognized, and no content is on the span.
"""

# ruff: noqa: F811  (the fixtures imported from the SDK test modules are test parameters here)
from __future__ import annotations

import json
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_llm import semconv
from otel_llm.fake_provider import FakeProvider, Script

genai = pytest.importorskip("google.genai")
boto3 = pytest.importorskip("boto3")
from google.genai import types  # noqa: E402

from tests.integration.instrumentation.test_bedrock import (  # noqa: E402,F401 (fixtures)
    aws_env,
    bedrock_instrumentor,
    capturing_client,
)
from tests.integration.instrumentation.test_bedrock import client as bedrock  # noqa: E402,F401
from tests.integration.instrumentation.test_google_genai import client as gemini  # noqa: E402,F401
from tests.integration.instrumentation.test_google_genai import get_weather, instrumented  # noqa: E402,F401

SYSTEM = "You answer questions about one 40-page contract. " * 120  # 6,000 characters: 1,500 tokens
FINGERPRINT = semconv.OTEL_LLM_REQUEST_FINGERPRINT
PREFIX = semconv.OTEL_LLM_REQUEST_PREFIX_FINGERPRINT
HAIKU = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
LLAMA = "meta.llama3-1-8b-instruct-v1:0"


def shapes(exporter: InMemorySpanExporter) -> list[dict[str, Any]]:
    spans = [dict(s.attributes or {}) for s in exporter.get_finished_spans()]
    assert not any("invoice" in str(v) or "contract" in str(v) for a in spans for v in a.values())
    return spans


def counts(a: dict[str, Any]) -> tuple[Any, ...]:
    return (
        a[semconv.OTEL_LLM_REQUEST_MESSAGE_COUNT],
        a[semconv.OTEL_LLM_REQUEST_TOOL_COUNT],
        a[semconv.OTEL_LLM_REQUEST_TURN_INDEX],
        a[semconv.OTEL_LLM_REQUEST_MAX_TOKENS_SET],
        a[semconv.OTEL_LLM_REQUEST_CACHE_CONTROL],
    )


# --- google-genai ---------------------------------------------------------------------------


def _ask_gemini(client: Any, question: str, *, stream: bool = False, **config: Any) -> None:
    settings = types.GenerateContentConfig(system_instruction=SYSTEM, max_output_tokens=50, **config)
    if stream:
        list(client.models.generate_content_stream(model="gemini-2.5-flash", contents=question, config=settings))
    else:
        client.models.generate_content(model="gemini-2.5-flash", contents=question, config=settings)


def test_gemini_identical_requests_match_and_the_prefix_survives_a_new_question(
    gemini: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    _ask_gemini(gemini, "When is invoice 7 due?")
    _ask_gemini(gemini, "When is invoice 7 due?", stream=True)  # streamed: the same request for a cache
    _ask_gemini(gemini, "Which clause covers batch 12?")
    _ask_gemini(gemini, "Which clause covers batch 12?", temperature=0.2)  # a parameter counts
    first, streamed, other, warmer = shapes(span_exporter)
    assert first[FINGERPRINT] == streamed[FINGERPRINT]
    assert len({first[FINGERPRINT], other[FINGERPRINT], warmer[FINGERPRINT]}) == 3
    assert first[PREFIX] == other[PREFIX] == warmer[PREFIX]
    # 1,500 tokens of system prompt: below Gemini 2.5 Flash's implicit caching minimum (2,048).
    assert counts(first) == (1, 0, 1, True, semconv.CACHE_CONTROL_NONE)
    provider_count = len(SYSTEM) / 4  # the fake counts characters / 4; ours follows its count
    assert 0.95 * provider_count <= first[semconv.OTEL_LLM_REQUEST_PREFIX_TOKENS] <= provider_count


def test_gemini_long_prefixes_are_cached_implicitly_and_cached_content_is_explicit(
    gemini: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    long_system = SYSTEM * 2  # 3,000 tokens: over 2.5 Flash's 2,048
    gemini.models.generate_content(
        model="gemini-2.5-flash", contents="hi", config=types.GenerateContentConfig(system_instruction=long_system))
    gemini.models.generate_content(
        model="gemini-2.0-flash", contents="hi", config=types.GenerateContentConfig(system_instruction=long_system))
    gemini.models.generate_content(
        model="gemini-2.5-flash", contents="hi", config={"cached_content": "cachedContents/contract-7"})
    implicit, older, cached = shapes(span_exporter)
    assert implicit[semconv.OTEL_LLM_REQUEST_CACHE_CONTROL] == semconv.CACHE_CONTROL_AUTOMATIC
    assert older[semconv.OTEL_LLM_REQUEST_CACHE_CONTROL] == semconv.CACHE_CONTROL_NONE  # 2.0: no implicit cache
    assert counts(cached) == (1, 0, 1, False, semconv.CACHE_CONTROL_EXPLICIT)


def test_gemini_chat_turns_grow_and_function_results_are_no_turn(
    gemini: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    chat = gemini.chats.create(model="gemini-2.5-flash", config=types.GenerateContentConfig(system_instruction=SYSTEM))
    chat.send_message("When is invoice 7 due?")
    chat.send_message("And invoice 8?")
    fake_provider.enqueue(*[Script(prompt_token_count=100, candidates_token_count=10)] * 2)
    gemini.models.generate_content(
        model="gemini-2.5-flash", contents="Weather in Oslo?", config=types.GenerateContentConfig(tools=[get_weather]))
    turn1, turn2, ask, answer = shapes(span_exporter)
    assert counts(turn1)[:3] == (1, 0, 1) and counts(turn2)[:3] == (3, 0, 2)  # user, model, user
    assert turn1[PREFIX] == turn2[PREFIX]
    # The SDK sends the function's result back as a "user" message: an agent step, not a turn.
    assert counts(ask)[:3] == (1, 1, 1) and counts(answer)[:3] == (3, 1, 1)
    assert ask[PREFIX] == answer[PREFIX]


# --- Bedrock --------------------------------------------------------------------------------


def _converse(client: Any, question: str, *, stream: bool = False, system: list[Any] | None = None) -> None:
    request = {
        "modelId": HAIKU,
        "system": system or [{"text": SYSTEM}],
        "messages": [{"role": "user", "content": [{"text": question}]}],
        "inferenceConfig": {"maxTokens": 50},
        "toolConfig": {"tools": [{"toolSpec": {"name": "lookup", "inputSchema": {"json": {"type": "object"}}}}]},
        "requestMetadata": {"user": "u-17"},
    }
    if stream:
        for _ in client.converse_stream(**request)["stream"]:
            pass
    else:
        client.converse(**request)


def test_bedrock_converse_requests_match_across_stream_and_prefix_across_questions(
    bedrock: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    _converse(bedrock, "When is invoice 7 due?")
    _converse(bedrock, "When is invoice 7 due?", stream=True)
    _converse(bedrock, "Which clause covers batch 12?")
    _converse(bedrock, "Which clause covers batch 12?", system=[{"text": SYSTEM}, {"cachePoint": {"type": "default"}}])
    first, streamed, other, marked = shapes(span_exporter)
    assert first[FINGERPRINT] == streamed[FINGERPRINT] != other[FINGERPRINT]
    assert first[PREFIX] == other[PREFIX] != marked[PREFIX]
    assert counts(first) == (1, 1, 1, True, semconv.CACHE_CONTROL_NONE)  # Bedrock caches only when asked
    assert counts(marked) == (1, 1, 1, True, semconv.CACHE_CONTROL_EXPLICIT)


def test_bedrock_converse_tool_results_are_no_turn(
    bedrock: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    bedrock.converse(modelId=HAIKU, messages=[
        {"role": "user", "content": [{"text": "Weather in Oslo?"}]},
        {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t1", "name": "w", "input": {}}}]},
        {"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "content": [{"text": "rain"}]}}]},
    ])
    [a] = shapes(span_exporter)
    assert counts(a) == (3, 0, 1, False, semconv.CACHE_CONTROL_NONE)
    assert PREFIX not in a  # no system, no tools, nothing before the first turn


def _invoke(client: Any, body: dict[str, Any], model: str = HAIKU) -> None:
    client.invoke_model(modelId=model, body=json.dumps(body))["body"].read()


def test_bedrock_invoke_model_bodies_are_shaped(
    bedrock: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    def anthropic(question: str, cache: bool = False) -> dict[str, Any]:
        system: dict[str, Any] = {"type": "text", "text": SYSTEM}
        if cache:
            system["cache_control"] = {"type": "ephemeral"}
        return {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64, "system": [system],
                "messages": [{"role": "user", "content": question}]}

    _invoke(bedrock, anthropic("When is invoice 7 due?"))
    _invoke(bedrock, anthropic("When is invoice 7 due?"))
    _invoke(bedrock, anthropic("Which clause covers batch 12?", cache=True))
    _invoke(bedrock, {"prompt": "When is invoice 7 due?", "max_gen_len": 64}, model=LLAMA)
    first, again, cached, llama = shapes(span_exporter)
    assert first[FINGERPRINT] == again[FINGERPRINT] != cached[FINGERPRINT]
    assert counts(first) == (1, 0, 1, True, semconv.CACHE_CONTROL_NONE)
    assert counts(cached) == (1, 0, 1, True, semconv.CACHE_CONTROL_EXPLICIT)
    # A prompt-only body: its fingerprint, and no conversation to count.
    assert len(llama[FINGERPRINT]) == 32 and PREFIX not in llama
    assert counts(llama) == (0, 0, 0, True, semconv.CACHE_CONTROL_NONE)


def test_bedrock_invoke_body_is_parsed_once_for_attributes_shape_and_content(
    capturing_client: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from otel_llm.instrumentation.bedrock import _extract

    parsed: list[object] = []
    real_loads = json.loads

    def counting_loads(text: Any, **kwargs: Any) -> Any:
        parsed.append(text)
        return real_loads(text, **kwargs)

    monkeypatch.setattr(_extract.json, "loads", counting_loads)
    body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64,
                       "messages": [{"role": "user", "content": "Say hello."}]})
    capturing_client.invoke_model(modelId=HAIKU, body=body)
    [a] = shapes(span_exporter)
    assert a[semconv.GEN_AI_REQUEST_MAX_TOKENS] == 64 and FINGERPRINT in a
    assert semconv.GEN_AI_INPUT_MESSAGES in a  # content captured from the same parse
    assert [p for p in parsed if p == body] == [body]  # the request body: once (the response's is apart)
