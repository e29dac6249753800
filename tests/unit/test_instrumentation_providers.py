"""Provider naming from the base URL host, and content capture policy."""

from __future__ import annotations

import json

import pytest
from opentelemetry.sdk.trace import TracerProvider

from otel_llm import semconv
from otel_llm.instrumentation._content import ContentMode, ContentPolicy, message, text_part
from otel_llm.instrumentation._providers import client_endpoint, endpoint_of, provider_for_host


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.openai.com/v1", ("api.openai.com", 443)),
        ("http://127.0.0.1:8765/v1/", ("127.0.0.1", 8765)),
        ("https://user:secret@myres.openai.azure.com/openai", ("myres.openai.azure.com", 443)),
        ("not a url", (None, None)),
    ],
)
def test_endpoint_is_host_and_port_only(url: str, expected: tuple[object, object]) -> None:
    assert endpoint_of(url) == expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("api.openai.com", semconv.PROVIDER_OPENAI),
        ("myres.openai.azure.com", semconv.PROVIDER_AZURE_OPENAI),
        ("api.groq.com", semconv.PROVIDER_GROQ),
        ("api.deepseek.com", semconv.PROVIDER_DEEPSEEK),
        ("api.x.ai", semconv.PROVIDER_XAI),
        ("api.mistral.ai", semconv.PROVIDER_MISTRAL),
        ("openrouter.ai", semconv.PROVIDER_OPENROUTER),
        ("api.together.xyz", semconv.PROVIDER_TOGETHER),
        ("API.GROQ.COM.", semconv.PROVIDER_GROQ),
        ("generativelanguage.googleapis.com", semconv.PROVIDER_GCP_GEMINI),
        ("api.cohere.com", semconv.PROVIDER_COHERE),
        # Unrecognized hosts (local proxies, gateways) keep the SDK's own provider.
        ("127.0.0.1", semconv.PROVIDER_OPENAI),
        ("llm-gateway.internal", semconv.PROVIDER_OPENAI),
        ("notapi.openai.com.evil.example", semconv.PROVIDER_OPENAI),
        (None, semconv.PROVIDER_OPENAI),
    ],
)
def test_provider_from_host(host: str | None, expected: str) -> None:
    assert provider_for_host(host, semconv.PROVIDER_OPENAI) == expected


def test_client_endpoint_names_platform_clients_by_class_and_others_by_host() -> None:
    import anthropic
    import openai

    azure = openai.AzureOpenAI(api_key="k", api_version="2024-10-21", azure_endpoint="https://res.example.com")
    assert client_endpoint(azure, semconv.PROVIDER_OPENAI) == (semconv.PROVIDER_AZURE_OPENAI, "res.example.com", 443)
    groq = openai.OpenAI(api_key="k", base_url="https://api.groq.com/openai/v1")
    assert client_endpoint(groq, semconv.PROVIDER_OPENAI) == (semconv.PROVIDER_GROQ, "api.groq.com", 443)
    local = anthropic.Anthropic(api_key="k", base_url="http://127.0.0.1:9/")
    assert client_endpoint(local, semconv.PROVIDER_ANTHROPIC) == (semconv.PROVIDER_ANTHROPIC, "127.0.0.1", 9)
    assert client_endpoint(None, semconv.PROVIDER_ANTHROPIC) == (semconv.PROVIDER_ANTHROPIC, None, None)


def test_client_endpoint_follows_a_reassigned_base_url() -> None:
    """Cached per base-URL object: a client pointed elsewhere is seen on its next call."""
    import openai

    client = openai.OpenAI(api_key="k", base_url="http://127.0.0.1:8001/v1")
    assert client_endpoint(client, semconv.PROVIDER_OPENAI).port == 8001
    assert client_endpoint(client, semconv.PROVIDER_OPENAI) is client_endpoint(client, semconv.PROVIDER_OPENAI)
    client.base_url = "https://api.deepseek.com/v1"  # the SDK's setter builds a new URL object
    assert client_endpoint(client, semconv.PROVIDER_OPENAI) == (semconv.PROVIDER_DEEPSEEK, "api.deepseek.com", 443)


@pytest.mark.parametrize(
    ("raw", "mode"),
    [
        (None, ContentMode.NO_CONTENT),
        ("true", ContentMode.SPAN_ONLY),
        ("False", ContentMode.NO_CONTENT),
        ("span_and_event", ContentMode.SPAN_AND_EVENT),
        ("EVENT_ONLY", ContentMode.EVENT_ONLY),
        ("garbage", ContentMode.NO_CONTENT),
    ],
)
def test_content_mode_from_env(monkeypatch: pytest.MonkeyPatch, raw: str | None, mode: ContentMode) -> None:
    if raw is None:
        monkeypatch.delenv(semconv.ENV_CAPTURE_CONTENT, raising=False)
    else:
        monkeypatch.setenv(semconv.ENV_CAPTURE_CONTENT, raw)
    assert ContentPolicy.from_env().mode is mode


def _recorded(policy: ContentPolicy) -> tuple[dict[str, object], list[str]]:
    provider = TracerProvider()
    span = provider.get_tracer("t").start_span("s")
    policy.record(
        span,
        input_messages=[message("user", [text_part("my email is a@b.c " + "x" * 50)])],
        output_messages=[message("assistant", [text_part("ok")], finish_reason="stop")],
        system_instructions=[text_part("be brief")],
    )
    span.end()
    return dict(span.attributes or {}), [e.name for e in span.events]


def test_content_off_records_nothing() -> None:
    attrs, events = _recorded(ContentPolicy())
    assert attrs == {} and events == []


def test_content_is_redacted_truncated_and_valid_json() -> None:
    policy = ContentPolicy(ContentMode.SPAN_AND_EVENT, max_length=20, redactor=lambda t: t.replace("a@b.c", "<email>"))
    attrs, events = _recorded(policy)
    (user,) = json.loads(attrs[semconv.GEN_AI_INPUT_MESSAGES])
    assert user["role"] == "user"
    assert user["parts"][0]["content"].startswith("my email is <email> ")
    assert "a@b.c" not in attrs[semconv.GEN_AI_INPUT_MESSAGES]
    assert user["parts"][0]["content"].endswith("…[truncated]")
    assert json.loads(attrs[semconv.GEN_AI_OUTPUT_MESSAGES])[0]["finish_reason"] == "stop"
    assert json.loads(attrs[semconv.GEN_AI_SYSTEM_INSTRUCTIONS]) == [{"type": "text", "content": "be brief"}]
    assert events == ["gen_ai.client.inference.operation.details"]
