"""The Anthropic instrumentation's settings: an ``instrument()`` argument, else the environment.

Read once, at ``instrument()``: a bad value is then logged once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from otel_llm import semconv
from otel_llm.instrumentation._sdk_spans import SDK_SPANS_KEEP, SDK_SPANS_OFF, sdk_spans_silenced

__all__ = ["SDK_SPANS_KEEP", "SDK_SPANS_OFF", "AnthropicSettings"]


@dataclass(frozen=True, slots=True)
class AnthropicSettings:
    # Switch the SDK's own span off for the calls we trace (see ``_sdk_spans``).
    silence_sdk_spans: bool = True

    @classmethod
    def from_instrument_kwargs(cls, kwargs: Mapping[str, Any]) -> AnthropicSettings:
        return cls(silence_sdk_spans=sdk_spans_silenced(kwargs, semconv.ENV_ANTHROPIC_SDK_SPANS))
