"""google-genai extraction on plain objects: names, request config, Gemini usage rules, Vertex embeddings."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from otel_llm import semconv
from otel_llm.instrumentation.google_genai._extract import (
    embed_usage,
    model_name,
    request_attributes,
    response_attributes,
    service_tier,
    usage_from_metadata,
)
from otel_llm.usage_check import suspect_reason


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("gemini-2.5-flash", "gemini-2.5-flash"),
        ("models/gemini-2.5-flash", "gemini-2.5-flash"),
        ("publishers/google/models/gemini-2.5-pro", "gemini-2.5-pro"),
        ("projects/p/locations/us-central1/publishers/google/models/gemini-2.5-pro", "gemini-2.5-pro"),
        ("tunedModels/123", "tunedModels/123"),  # kept, so it is reported unpriced, never guessed
        ("", None),
        (None, None),
        (42, None),
    ],
)
def test_model_name_is_the_id_the_price_book_knows(given: object, expected: str | None) -> None:
    assert model_name(given) == expected


def test_request_attributes_read_a_dict_config_and_skip_wrong_types() -> None:
    attrs = request_attributes(
        {
            "model": "models/gemini-2.5-flash",
            "config": {
                "temperature": 0.5,
                "top_p": "high",  # wrong type: dropped, not recorded
                "max_output_tokens": 100,
                "candidate_count": 2,
                "seed": True,  # a bool is no seed
                "stop_sequences": ["a", 1],  # mixed: dropped
                "response_mime_type": "application/json",
            },
        },
        stream=True,
    )
    assert attrs == {
        semconv.GEN_AI_REQUEST_MODEL: "gemini-2.5-flash",
        semconv.GEN_AI_REQUEST_STREAM: True,
        semconv.GEN_AI_REQUEST_TEMPERATURE: 0.5,
        semconv.GEN_AI_REQUEST_MAX_TOKENS: 100,
        semconv.GEN_AI_REQUEST_CHOICE_COUNT: 2,
        semconv.GEN_AI_OUTPUT_TYPE: "json",
    }


@pytest.mark.parametrize(
    ("tier", "expected"),
    [
        ("flex", "flex"),
        ("PRIORITY", "priority"),
        ("unspecified", None),
        (SimpleNamespace(value="flex"), "flex"),
        (3, None),
    ],
)
def test_service_tier_only_for_tiers_with_prices(tier: object, expected: str | None) -> None:
    assert service_tier({"service_tier": tier}) == expected


def test_gemini_usage_rules() -> None:
    usage = usage_from_metadata(
        {
            "prompt_token_count": 1000,  # includes the cached 400
            "cached_content_token_count": 400,
            "candidates_token_count": 200,  # excludes the thoughts
            "thoughts_token_count": 50,
            "tool_use_prompt_token_count": 30,
        }
    )
    assert usage is not None
    assert (usage.input_tokens, usage.cache_read_tokens, usage.output_tokens, usage.reasoning_tokens) == (
        1030,
        400,
        250,
        50,
    )
    assert suspect_reason(usage) is None


def test_no_usage_metadata_is_no_usage_and_malformed_counts_are_flagged() -> None:
    assert usage_from_metadata(None) is None
    assert usage_from_metadata({}) is None
    bad = usage_from_metadata({"prompt_token_count": -3, "candidates_token_count": 2})
    assert bad is not None and suspect_reason(bad) is not None


def test_embed_usage_from_usage_metadata_or_vertex_statistics() -> None:
    assert embed_usage({"usage_metadata": {"prompt_token_count": 12}}).input_tokens == 12  # type: ignore[union-attr]
    vertex = {"embeddings": [{"statistics": {"token_count": 4.0}}, {"statistics": {"token_count": 6.0}}]}
    usage = embed_usage(vertex)
    assert usage is not None and (usage.input_tokens, usage.output_tokens) == (10, None)
    # One input without a count: the total is unknown, so no usage rather than a partial sum.
    assert embed_usage({"embeddings": [{"statistics": {"token_count": 4}}, {"values": [0.1]}]}) is None


def test_response_attributes_lower_case_finish_reasons() -> None:
    response = {
        "response_id": "r1",
        "model_version": "gemini-2.5-flash-001",
        "candidates": [{"finish_reason": SimpleNamespace(value="MAX_TOKENS")}, {"finish_reason": None}],
    }
    assert response_attributes(response) == {
        semconv.GEN_AI_RESPONSE_ID: "r1",
        semconv.GEN_AI_RESPONSE_MODEL: "gemini-2.5-flash-001",
        semconv.GEN_AI_RESPONSE_FINISH_REASONS: ["max_tokens"],
    }


# --- request shape ----------------------------------------------------------------------------

from google.genai import types as _types  # noqa: E402

from otel_llm.instrumentation._fingerprint import request_shape  # noqa: E402
from otel_llm.instrumentation.google_genai._extract import implicit_cache_min_tokens, request_parts  # noqa: E402

_KEY = b"k" * 32


def _shape(**kwargs: Any) -> dict[str, Any]:
    return request_shape(_KEY, request_parts(kwargs)).attributes


def test_contents_in_any_form_the_sdk_takes_are_one_user_message_per_run_of_parts() -> None:
    text = _shape(model="gemini-2.5-flash", contents="hi")
    said = _types.Content(role="user", parts=[_types.Part(text="hi")])
    as_object = _shape(model="models/gemini-2.5-flash", contents=said)
    parts = _shape(model="gemini-2.5-flash", contents=["hi", _types.Part(text="there")])
    content = _shape(model="gemini-2.5-flash", contents=[
        _types.Content(role="user", parts=[_types.Part(text="hi")]),
        _types.Content(role="model", parts=[_types.Part(text="hello")]), "and now?"])
    assert text[semconv.OTEL_LLM_REQUEST_FINGERPRINT] == as_object[semconv.OTEL_LLM_REQUEST_FINGERPRINT]
    assert parts[semconv.OTEL_LLM_REQUEST_MESSAGE_COUNT] == 1 and parts[semconv.OTEL_LLM_REQUEST_TURN_INDEX] == 1
    assert (content[semconv.OTEL_LLM_REQUEST_MESSAGE_COUNT], content[semconv.OTEL_LLM_REQUEST_TURN_INDEX]) == (3, 2)


def test_transport_and_labels_in_the_config_do_not_change_the_fingerprint() -> None:
    plain = _shape(model="gemini-2.5-flash", contents="hi", config={"temperature": 0.1})
    labelled = _shape(model="gemini-2.5-flash", contents="hi", config=_types.GenerateContentConfig(
        temperature=0.1, labels={"user": "u-1"}, http_options=_types.HttpOptions(timeout=5)))
    assert plain[semconv.OTEL_LLM_REQUEST_FINGERPRINT] == labelled[semconv.OTEL_LLM_REQUEST_FINGERPRINT]


@pytest.mark.parametrize(("model", "minimum"), [
    ("gemini-2.5-flash", 2048), ("gemini-2.5-pro", 2048), ("gemini-2.5-flash-lite", 2048),
    ("gemini-3-pro-preview", 4096), ("gemini-2.0-flash", None), ("gemini-1.5-pro", None), (None, None),
    ("tunedModels/123", None),
])
def test_implicit_caching_minimum_per_model(model: str | None, minimum: int | None) -> None:
    assert implicit_cache_min_tokens(model) == minimum


def test_embeddings_are_hashed_as_parameters_not_turns() -> None:
    a = request_shape(_KEY, request_parts({"model": "gemini-embedding-001", "contents": ["a"]}, embeddings=True))
    b = request_shape(_KEY, request_parts({"model": "gemini-embedding-001", "contents": ["b"]}, embeddings=True))
    assert a.attributes[semconv.OTEL_LLM_REQUEST_TURN_INDEX] == 0
    assert a.attributes[semconv.OTEL_LLM_REQUEST_FINGERPRINT] != b.attributes[semconv.OTEL_LLM_REQUEST_FINGERPRINT]


def test_no_contents_is_no_message() -> None:
    assert _shape(model="gemini-2.5-flash", contents=None)[semconv.OTEL_LLM_REQUEST_MESSAGE_COUNT] == 0


class _SlotsConfig:
    """A config object with no ``__dict__`` (slots) and a property: the SDK accepts any object
    with the fields (its models read attributes), so the readers must too."""

    __slots__ = ("max_output_tokens", "service_tier", "temperature")

    def __init__(self) -> None:
        self.temperature, self.max_output_tokens, self.service_tier = 0.3, 10, "FLEX"

    @property
    def seed(self) -> int:
        return 7


@pytest.mark.parametrize(
    "config",
    [
        {"temperature": 0.3, "max_output_tokens": 10, "service_tier": "flex", "seed": 7},
        SimpleNamespace(temperature=0.3, max_output_tokens=10, service_tier="flex", seed=7),
        _SlotsConfig(),
    ],
    ids=["dict", "namespace", "slots-and-property"],
)
def test_read_request_reads_every_kind_of_config_the_sdk_takes(config: object) -> None:
    from otel_llm.instrumentation.google_genai._extract import read_request

    request = read_request({"model": "gemini-2.5-flash", "contents": "hi", "config": config})
    assert request.model == "gemini-2.5-flash"
    assert request.attributes == {
        semconv.GEN_AI_REQUEST_MODEL: "gemini-2.5-flash",
        semconv.GEN_AI_REQUEST_TEMPERATURE: 0.3,
        semconv.GEN_AI_REQUEST_MAX_TOKENS: 10,
        semconv.GEN_AI_REQUEST_SEED: 7,
    }
    assert request.service_tier == "flex"  # priced at the tier asked for, whatever the config's type


def test_read_request_with_the_sdks_own_config_model() -> None:
    from google.genai import types

    from otel_llm.instrumentation.google_genai._extract import read_request

    config = types.GenerateContentConfig(temperature=0.2, max_output_tokens=256, service_tier="priority")
    request = read_request({"model": "models/gemini-2.5-pro", "contents": "hi", "config": config}, stream=True)
    assert request.attributes[semconv.GEN_AI_REQUEST_TEMPERATURE] == 0.2
    assert request.attributes[semconv.GEN_AI_REQUEST_MAX_TOKENS] == 256
    assert request.attributes[semconv.GEN_AI_REQUEST_STREAM] is True
    assert request.service_tier == "priority"
    assert request.parts.max_tokens_set is True


def test_each_candidates_reply_carries_its_own_finish_reason() -> None:
    from otel_llm.instrumentation.google_genai._messages import response_content

    response = {"candidates": [
        {"content": {"role": "model", "parts": [{"text": "still going"}]}},  # names no finish reason
        {"content": {"role": "model", "parts": [{"text": "done"}]}, "finish_reason": "STOP"},
    ]}
    first, second = response_content(response)
    assert "finish_reason" not in first  # not the second candidate's
    assert second["finish_reason"] == "stop"
