"""Pure extraction for LiteLLM: routes to provider names, LiteLLM's usage shapes to our usage."""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # LiteLLM reads it on import: no internet
pytest.importorskip("litellm")

from otel_llm import semconv
from otel_llm.instrumentation.litellm._extract import (
    Route,
    answers_without_request,
    hashed_request,
    reported_cost,
    route_of,
    served_from_cache,
    usage_from_litellm,
)
from otel_llm.usage import Usage


@pytest.mark.parametrize(
    ("model", "custom_provider", "api_base", "provider"),
    [
        ("anthropic/claude-sonnet-4-5", None, None, semconv.PROVIDER_ANTHROPIC),
        ("claude-sonnet-4-5", None, None, semconv.PROVIDER_ANTHROPIC),  # LiteLLM infers from a plain name
        ("gpt-4o", None, None, semconv.PROVIDER_OPENAI),
        ("bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0", None, None, semconv.PROVIDER_AWS_BEDROCK),
        ("bedrock/converse/anthropic.claude-3-5-sonnet-20240620-v1:0", None, None, semconv.PROVIDER_AWS_BEDROCK),
        ("gemini/gemini-2.5-flash", None, None, semconv.PROVIDER_GCP_GEMINI),
        ("vertex_ai/gemini-2.5-flash", None, None, semconv.PROVIDER_GCP_VERTEX_AI),
        ("azure/my-deployment", None, None, semconv.PROVIDER_AZURE_OPENAI),
        ("groq/llama-3.3-70b-versatile", None, None, semconv.PROVIDER_GROQ),
        ("my-deployment", "azure", None, semconv.PROVIDER_AZURE_OPENAI),  # custom_llm_provider wins
        ("ollama/llama3", None, None, "ollama"),  # a provider without a gen_ai name keeps LiteLLM's
        ("no-such-model-anywhere", None, None, semconv.PROVIDER_UNKNOWN),  # LiteLLM cannot route it either
    ],
)
def test_route_names_the_provider_litellm_routes_to(
    model: str, custom_provider: str | None, api_base: str | None, provider: str
) -> None:
    assert route_of(model, custom_provider, api_base).provider == provider


def test_route_takes_host_and_port_from_the_api_base() -> None:
    assert route_of("openai/gpt-4o", None, "http://127.0.0.1:8080/v1") == Route(
        semconv.PROVIDER_OPENAI, "127.0.0.1", 8080
    )
    assert route_of(None, 12, object()) == Route(semconv.PROVIDER_UNKNOWN, None, None)  # wrong types: unknown


def _usage(**fields: object) -> dict[str, object]:
    return {"prompt_tokens": 1600, "completion_tokens": 20, **fields}


def test_anthropic_route_usage_keeps_cache_reads_and_both_cache_writes() -> None:
    """LiteLLM's prompt_tokens already include Anthropic's cache reads and writes: not added again."""
    usage = _usage(
        prompt_tokens_details={
            "cached_tokens": 1000,
            "cache_creation_tokens": 500,
            "cache_creation_token_details": {"ephemeral_5m_input_tokens": 300, "ephemeral_1h_input_tokens": 200},
        },
        cache_read_input_tokens=1000,
        cache_creation_input_tokens=500,
    )
    assert usage_from_litellm(usage) == Usage(
        input_tokens=1600, output_tokens=20, cache_read_tokens=1000, cache_write_tokens=500, cache_write_1h_tokens=200
    )


def test_cache_writes_only_at_the_top_level_are_read_too() -> None:
    usage = _usage(cache_creation_input_tokens=300, prompt_tokens_details={"cached_tokens": 1000})
    assert usage_from_litellm(usage) == Usage(
        input_tokens=1600, output_tokens=20, cache_read_tokens=1000, cache_write_tokens=300
    )


def test_reasoning_and_plain_openai_usage() -> None:
    usage = _usage(completion_tokens_details={"reasoning_tokens": 8}, prompt_tokens_details={"cached_tokens": 0})
    assert usage_from_litellm(usage) == Usage(input_tokens=1600, output_tokens=20, reasoning_tokens=8)
    assert usage_from_litellm(None) is None
    assert usage_from_litellm({}) is None


def test_a_malformed_cache_write_is_not_a_count() -> None:
    """A cache write LiteLLM reports as no count flags the usage (unpriced, suspect), never drops it quietly."""
    usage = usage_from_litellm(_usage(cache_creation_input_tokens="300", prompt_tokens_details={"cached_tokens": 10}))
    assert usage is not None and usage.cache_write_tokens == 0 and usage.malformed


def test_reported_cost_is_litellms_number_or_nothing() -> None:
    assert reported_cost(SimpleNamespace(_hidden_params={"response_cost": 0.0125})) == 0.0125
    assert reported_cost(SimpleNamespace(_hidden_params={"response_cost": None})) is None
    assert reported_cost(SimpleNamespace(_hidden_params={"response_cost": True})) is None
    assert reported_cost(SimpleNamespace()) is None


def test_request_shape_ignores_transport_and_router_arguments() -> None:
    """Two identical requests through different keys, bases and router call ids look identical."""
    messages = [{"role": "user", "content": "hi"}]
    one = hashed_request({"model": "m", "messages": messages, "temperature": 0.2, "api_key": "a", "metadata": {}}, "x")
    two = hashed_request(
        {"model": "m", "messages": messages, "temperature": 0.2, "api_base": "b", "litellm_call_id": "9"}, "x"
    )
    assert one == two
    assert hashed_request({"model": "m", "messages": messages, "temperature": 0.9}, "x") != one


def test_a_cache_hit_and_a_mocked_call_are_told_apart_from_a_provider_request() -> None:
    from litellm import ModelResponse

    cached = ModelResponse()
    cached._hidden_params = {"cache_hit": True}
    assert served_from_cache(cached)
    assert not served_from_cache(ModelResponse())
    assert answers_without_request({"mock_response": "hi"})
    assert not answers_without_request({"model": "gpt-4o", "messages": []})
