"""Each SDK module's settings: typed, frozen, read once from instrument() arguments or the environment."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from otel_llm import semconv
from otel_llm.instrumentation.anthropic._settings import AnthropicSettings
from otel_llm.instrumentation.openai._settings import OpenAISettings


def test_openai_stream_usage_injection_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(semconv.ENV_OPENAI_STREAM_USAGE, raising=False)
    assert OpenAISettings.from_env() == OpenAISettings(inject_stream_usage=False)
    monkeypatch.setenv(semconv.ENV_OPENAI_STREAM_USAGE, "INJECT")
    settings = OpenAISettings.from_env()
    assert settings.inject_stream_usage is True
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.inject_stream_usage = False  # type: ignore[misc]


@pytest.mark.parametrize("documented", ["estimate", "off"])
def test_the_documented_default_is_accepted_silently(
    documented: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(semconv.ENV_OPENAI_STREAM_USAGE, documented)  # README: default `estimate`
    with caplog.at_level(logging.WARNING):
        assert OpenAISettings.from_env().inject_stream_usage is False
    assert caplog.text == ""


def test_a_bad_value_falls_back_and_says_why(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv(semconv.ENV_OPENAI_STREAM_USAGE, "sometimes")
    with caplog.at_level(logging.WARNING):
        assert OpenAISettings.from_env().inject_stream_usage is False
    assert semconv.ENV_OPENAI_STREAM_USAGE in caplog.text


def test_anthropic_sdk_spans_argument_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(semconv.ENV_ANTHROPIC_SDK_SPANS, raising=False)
    assert AnthropicSettings.from_instrument_kwargs({}).silence_sdk_spans is True
    monkeypatch.setenv(semconv.ENV_ANTHROPIC_SDK_SPANS, "keep")
    assert AnthropicSettings.from_instrument_kwargs({}).silence_sdk_spans is False
    assert AnthropicSettings.from_instrument_kwargs({"sdk_spans": "off"}).silence_sdk_spans is True
