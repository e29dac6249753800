"""Pure extraction for mistralai, groq and cohere: plain objects in, attributes and usage out."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from otel_llm import semconv
from otel_llm.instrumentation.cohere._extract import (
    endpoint as cohere_endpoint,
)
from otel_llm.instrumentation.cohere._extract import (
    request_attributes as cohere_request_attributes,
)
from otel_llm.instrumentation.cohere._extract import (
    response_attributes as cohere_response_attributes,
)
from otel_llm.instrumentation.cohere._extract import usage_from_response as cohere_usage_from_response
from otel_llm.instrumentation.mistralai._extract import endpoint as mistral_endpoint
from otel_llm.instrumentation.mistralai._extract import request_attributes as mistral_request_attributes
from otel_llm.usage import Usage

OMIT: Any = object()  # stands for the SDKs' "not given" sentinels


class _Config:
    def __init__(self, url: str | None = None, error: type[Exception] | None = None) -> None:
        self._url, self._error = url, error

    def get_server_details(self) -> tuple[str, dict[str, str]]:
        if self._error:
            raise self._error("Invalid server")
        return str(self._url), {}


def test_mistral_request_names() -> None:
    attrs = mistral_request_attributes(
        {"model": "m", "random_seed": 7, "top_k": 5, "temperature": 0.2, "max_tokens": 9, "stop": "x",
         "top_p": OMIT}, streaming=True)
    assert attrs == {
        semconv.GEN_AI_REQUEST_SEED: 7, semconv.GEN_AI_REQUEST_TOP_K: 5, semconv.GEN_AI_REQUEST_TEMPERATURE: 0.2,
        semconv.GEN_AI_REQUEST_MAX_TOKENS: 9, semconv.GEN_AI_REQUEST_STOP_SEQUENCES: ["x"],
        semconv.GEN_AI_REQUEST_STREAM: True,
    }
    assert mistral_request_attributes({"model": "m", "random_seed": True}, streaming=False) == {}


@pytest.mark.parametrize(
    ("config", "kwargs", "expected"),
    [
        (_Config("https://api.mistral.ai"), {}, (semconv.PROVIDER_MISTRAL, "api.mistral.ai", 443)),
        (_Config("https://api.eu.mistral.ai"), {}, (semconv.PROVIDER_MISTRAL, "api.eu.mistral.ai", 443)),
        (_Config("https://api.mistral.ai"), {"server_url": "http://10.0.0.5:8080"},
         (semconv.PROVIDER_MISTRAL, "10.0.0.5", 8080)),  # the per-call override wins; a proxy keeps Mistral
        (_Config(error=ValueError), {}, (semconv.PROVIDER_MISTRAL, None, None)),
    ],
)
def test_mistral_endpoint(config: _Config, kwargs: dict[str, Any], expected: tuple[Any, ...]) -> None:
    assert tuple(mistral_endpoint(SimpleNamespace(sdk_configuration=config), kwargs)) == expected


def test_cohere_request_names_and_sentinels() -> None:
    attrs = cohere_request_attributes(
        {"model": "command-a", "p": 0.9, "k": 40, "seed": 1, "max_tokens": 10, "stop_sequences": ["END"],
         "temperature": OMIT, "frequency_penalty": True, "embedding_types": ["float", "int8"]}, streaming=False)
    assert attrs == {
        semconv.GEN_AI_REQUEST_TOP_P: 0.9, semconv.GEN_AI_REQUEST_TOP_K: 40, semconv.GEN_AI_REQUEST_SEED: 1,
        semconv.GEN_AI_REQUEST_MAX_TOKENS: 10, semconv.GEN_AI_REQUEST_STOP_SEQUENCES: ["END"],
        semconv.GEN_AI_REQUEST_ENCODING_FORMATS: ["float", "int8"],
    }


@pytest.mark.parametrize(
    ("response", "usage"),
    [
        # v2 chat: billed units as the SDK's floats; ``tokens`` (prompt template included) is ignored
        ({"usage": {"billed_units": {"input_tokens": 12.0, "output_tokens": 3.0},
                    "tokens": {"input_tokens": 99.0, "output_tokens": 3.0}}}, Usage(input_tokens=12, output_tokens=3)),
        ({"meta": {"billed_units": {"input_tokens": 40.0}}}, Usage(input_tokens=40)),  # embeddings, v1 chat
        ({"usage": {"billed_units": {"input_tokens": 1.5, "output_tokens": 3}}},
         Usage(output_tokens=3, malformed=True)),
        ({"usage": {"billed_units": None}}, None),
        ({"id": "x"}, None),
    ],
)
def test_cohere_usage_is_billed_units(response: dict[str, Any], usage: Usage | None) -> None:
    assert cohere_usage_from_response(response) == usage


def test_cohere_response_attributes_v2_and_v1() -> None:
    assert cohere_response_attributes({"id": "r1", "finish_reason": "MAX_TOKENS"}) == {
        semconv.GEN_AI_RESPONSE_ID: "r1", semconv.GEN_AI_RESPONSE_FINISH_REASONS: ["MAX_TOKENS"]}
    assert cohere_response_attributes({"response_id": "r2", "finish_reason": None}) == {
        semconv.GEN_AI_RESPONSE_ID: "r2"}


def test_cohere_endpoint_from_the_client_wrapper() -> None:
    wrapper = SimpleNamespace(get_base_url=lambda: "https://api.cohere.com")
    assert tuple(cohere_endpoint(SimpleNamespace(_client_wrapper=wrapper))) == (
        semconv.PROVIDER_COHERE, "api.cohere.com", 443)
    assert tuple(cohere_endpoint(object())) == (semconv.PROVIDER_COHERE, None, None)


def test_groq_stream_usage_is_read_from_x_groq() -> None:
    from otel_llm.instrumentation.groq._streams import GroqChunkRecorder

    recorder = GroqChunkRecorder.__new__(GroqChunkRecorder)
    usage = SimpleNamespace(prompt_tokens=1)
    assert recorder._usage_in(SimpleNamespace(usage=None, x_groq=SimpleNamespace(usage=usage))) is usage
    assert recorder._usage_in(SimpleNamespace(usage=usage, x_groq=None)) is usage
    assert recorder._usage_in(SimpleNamespace(usage=None, x_groq=None)) is None


def test_mistral_sdk_spans_argument_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from otel_llm.instrumentation.mistralai._settings import MistralSettings

    monkeypatch.delenv(semconv.ENV_MISTRAL_SDK_SPANS, raising=False)
    assert MistralSettings.from_instrument_kwargs({}).silence_sdk_spans is True
    monkeypatch.setenv(semconv.ENV_MISTRAL_SDK_SPANS, "keep")
    assert MistralSettings.from_instrument_kwargs({}).silence_sdk_spans is False
    assert MistralSettings.from_instrument_kwargs({"sdk_spans": "off"}).silence_sdk_spans is True
