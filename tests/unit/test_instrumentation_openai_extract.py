"""OpenAI extraction as pure functions: kwargs and response shapes in, attributes and Usage out."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from otel_llm import semconv
from otel_llm.instrumentation.openai._extract import (
    fields_of,
    request_attributes,
    response_attributes,
    usage_from_response,
)
from otel_llm.usage import Usage

openai = pytest.importorskip("openai")


def test_request_attributes_of_a_full_chat_request() -> None:
    attrs = request_attributes(
        {
            "model": "gpt-4o",
            "max_completion_tokens": 256,
            "temperature": 0.2,
            "top_p": 0.9,
            "stop": "END",
            "seed": 7,
            "n": 3,
            "stream": True,
            "service_tier": "flex",
            "frequency_penalty": 0.5,
            "presence_penalty": 0,
            "response_format": {"type": "json_object"},
        }
    )
    assert attrs == {
        semconv.GEN_AI_REQUEST_MAX_TOKENS: 256,
        semconv.GEN_AI_REQUEST_TEMPERATURE: 0.2,
        semconv.GEN_AI_REQUEST_TOP_P: 0.9,
        semconv.GEN_AI_REQUEST_STOP_SEQUENCES: ["END"],
        semconv.GEN_AI_REQUEST_SEED: 7,
        semconv.GEN_AI_REQUEST_CHOICE_COUNT: 3,
        semconv.GEN_AI_REQUEST_STREAM: True,
        semconv.GEN_AI_REQUEST_SERVICE_TIER: "flex",
        semconv.GEN_AI_REQUEST_FREQUENCY_PENALTY: 0.5,
        semconv.GEN_AI_REQUEST_PRESENCE_PENALTY: 0,
        semconv.GEN_AI_OUTPUT_TYPE: "json",
    }


def test_sdk_sentinels_and_wrong_types_are_dropped() -> None:
    omit = getattr(openai, "omit", openai.NOT_GIVEN)
    attrs = request_attributes(
        {"temperature": omit, "max_tokens": "100", "seed": True, "stop": [1, 2], "n": 1, "service_tier": None}
    )
    assert attrs == {}


def test_responses_api_request_and_embeddings_encoding() -> None:
    assert request_attributes({"max_output_tokens": 50, "text": {"format": {"type": "json_schema"}}}) == {
        semconv.GEN_AI_REQUEST_MAX_TOKENS: 50,
        semconv.GEN_AI_OUTPUT_TYPE: "json",
    }
    assert request_attributes({"encoding_format": "base64"}) == {semconv.GEN_AI_REQUEST_ENCODING_FORMATS: ["base64"]}


CHAT = {
    "id": "chatcmpl-1",
    "model": "gpt-4o-2024-08-06",
    "service_tier": "default",
    "choices": [{"finish_reason": "stop"}, {"finish_reason": "length"}],
    "usage": {
        "prompt_tokens": 1200,
        "completion_tokens": 300,
        "prompt_tokens_details": {"cached_tokens": 1000, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 200},
    },
}
RESPONSE = {
    "id": "resp_1",
    "model": "o4-mini",
    "status": "incomplete",
    "incomplete_details": {"reason": "max_output_tokens"},
    "usage": {
        "input_tokens": 50,
        "output_tokens": 20,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 30},
        "output_tokens_details": {"reasoning_tokens": 5},
    },
}


@pytest.mark.parametrize("as_model", [False, True])
def test_chat_completion_response_and_usage(as_model: bool) -> None:
    response: Any = openai.types.chat.ChatCompletion.construct(**CHAT) if as_model else CHAT
    assert response_attributes(response) == {
        semconv.GEN_AI_RESPONSE_ID: "chatcmpl-1",
        semconv.GEN_AI_RESPONSE_MODEL: "gpt-4o-2024-08-06",
        semconv.GEN_AI_RESPONSE_FINISH_REASONS: ["stop", "length"],
        semconv.GEN_AI_RESPONSE_SERVICE_TIER: "default",
    }
    assert usage_from_response(CHAT) == Usage(
        input_tokens=1200, output_tokens=300, cache_read_tokens=1000, reasoning_tokens=200
    )


def test_responses_api_response_and_usage() -> None:
    assert response_attributes(RESPONSE)[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ["length"]
    assert usage_from_response(RESPONSE) == Usage(
        input_tokens=50, output_tokens=20, cache_write_tokens=30, reasoning_tokens=5
    )
    in_progress = {**RESPONSE, "status": "in_progress", "incomplete_details": None}
    assert semconv.GEN_AI_RESPONSE_FINISH_REASONS not in response_attributes(in_progress)


def test_embeddings_usage_has_no_output() -> None:
    assert usage_from_response(
        {"model": "text-embedding-3-small", "usage": {"prompt_tokens": 8, "total_tokens": 8}}
    ) == (Usage(input_tokens=8))


def test_deepseek_cache_hits_count_as_cache_reads() -> None:
    # DeepSeek reports cache hits outside prompt_tokens_details; missing them bills 10x too much.
    usage = usage_from_response(
        {
            "model": "deepseek-chat",
            "usage": {
                "prompt_tokens": 10000,
                "completion_tokens": 100,
                "prompt_cache_hit_tokens": 9000,
                "prompt_cache_miss_tokens": 1000,
            },
        }
    )
    assert usage == Usage(input_tokens=10000, output_tokens=100, cache_read_tokens=9000)


def test_missing_usage_is_none_not_zero() -> None:
    assert usage_from_response({"id": "x"}) is None
    assert usage_from_response({"usage": {}}) is None
    assert usage_from_response(None) is None


_junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=10,
)
_usage_like = st.fixed_dictionaries(
    {},
    optional={
        k: _junk
        for k in (
            "prompt_tokens",
            "completion_tokens",
            "input_tokens",
            "output_tokens",
            "prompt_tokens_details",
            "completion_tokens_details",
            "input_tokens_details",
            "output_tokens_details",
        )
    },
)


@given(usage=_usage_like | _junk, choices=_junk, status=_junk, model=_junk)
def test_malformed_responses_never_raise_and_never_invent_counts(
    usage: Any, choices: Any, status: Any, model: Any
) -> None:
    response = {"usage": usage, "choices": choices, "status": status, "model": model, "id": model}
    attrs = response_attributes(response)
    assert all(isinstance(v, (str, list)) for v in attrs.values())
    normalized = usage_from_response(response)
    if normalized is not None:
        for count in (normalized.input_tokens, normalized.output_tokens):
            assert count is None or (isinstance(count, int) and count >= 0)
        assert normalized.cache_read_tokens >= 0 and normalized.reasoning_tokens >= 0


def test_usage_from_sdk_models_reads_declared_fields_and_extras() -> None:
    usage = openai.types.CompletionUsage.model_validate(
        {
            "prompt_tokens": 1200,
            "completion_tokens": 300,
            "total_tokens": 1500,
            "prompt_tokens_details": {"cached_tokens": 1000, "cache_write_tokens": 40, "audio_tokens": 7},
            "completion_tokens_details": {"reasoning_tokens": 200},
            "future_field": 1,
        }
    )
    assert usage_from_response({"usage": usage}) == Usage(
        input_tokens=1200,
        output_tokens=300,
        cache_read_tokens=1000,
        cache_write_tokens=40,
        reasoning_tokens=200,
        input_audio_tokens=7,
    )


def test_fields_of_sees_pydantic_extras_dicts_and_plain_objects() -> None:
    model = openai.types.CompletionUsage.model_validate(
        {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3, "extra_field": "x"}
    )
    assert fields_of(model)["extra_field"] == "x"
    assert fields_of(model)["prompt_tokens"] == 1
    assert fields_of({"a": 1}) == {"a": 1}
    assert fields_of(SimpleNamespace(a=2))["a"] == 2
    assert dict(fields_of(3)) == {}
