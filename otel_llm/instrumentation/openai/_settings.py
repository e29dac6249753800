"""The OpenAI instrumentation's settings, read from the environment once, at ``instrument()``.

Read once, not per call: a bad value is then logged once, and calls pay one attribute read.
"""

from __future__ import annotations

from dataclasses import dataclass

from otel_llm import semconv
from otel_llm._env import env_choice

__all__ = ["STREAM_USAGE_INJECT", "STREAM_USAGE_OFF", "OpenAISettings"]

STREAM_USAGE_OFF = "off"
STREAM_USAGE_INJECT = "inject"


@dataclass(frozen=True, slots=True)
class OpenAISettings:
    # Ask chat streams for their final usage chunk (hidden from the user's code).
    inject_stream_usage: bool = False

    @classmethod
    def from_env(cls) -> OpenAISettings:
        mode = env_choice(semconv.ENV_OPENAI_STREAM_USAGE, STREAM_USAGE_OFF, (STREAM_USAGE_OFF, STREAM_USAGE_INJECT))
        return cls(inject_stream_usage=mode == STREAM_USAGE_INJECT)
