"""The OpenAI instrumentation's settings, read from the environment once, at ``instrument()``.

Read once, not per call: a bad value is then logged once, and calls pay one attribute read.
"""

from __future__ import annotations

from dataclasses import dataclass

from otel_llm import semconv
from otel_llm._env import env_choice

__all__ = ["STREAM_USAGE_ESTIMATE", "STREAM_USAGE_INJECT", "OpenAISettings"]

# ``estimate`` (the default, as the README's table says) counts stream tokens with tiktoken;
# ``off`` is accepted for it too, the spelling earlier versions used.
STREAM_USAGE_ESTIMATE = "estimate"
STREAM_USAGE_INJECT = "inject"
_CHOICES = (STREAM_USAGE_ESTIMATE, STREAM_USAGE_INJECT, "off")


@dataclass(frozen=True, slots=True)
class OpenAISettings:
    # Ask chat streams for their final usage chunk (hidden from the user's code).
    inject_stream_usage: bool = False

    @classmethod
    def from_env(cls) -> OpenAISettings:
        mode = env_choice(semconv.ENV_OPENAI_STREAM_USAGE, STREAM_USAGE_ESTIMATE, _CHOICES)
        return cls(inject_stream_usage=mode == STREAM_USAGE_INJECT)
