"""The mistralai instrumentation's settings: an ``instrument()`` argument, else the environment.

Read once, at ``instrument()``: a bad value is then logged once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from otel_llm import semconv
from otel_llm._env import env_choice

__all__ = ["SDK_SPANS_KEEP", "SDK_SPANS_OFF", "MistralSettings"]

SDK_SPANS_OFF = "off"
SDK_SPANS_KEEP = "keep"


@dataclass(frozen=True, slots=True)
class MistralSettings:
    # Switch the SDK's own span off for the calls we trace (see ``_sdk_spans``).
    silence_sdk_spans: bool = True

    @classmethod
    def from_instrument_kwargs(cls, kwargs: Mapping[str, Any]) -> MistralSettings:
        mode = kwargs.get("sdk_spans") or env_choice(
            semconv.ENV_MISTRAL_SDK_SPANS, SDK_SPANS_OFF, (SDK_SPANS_OFF, SDK_SPANS_KEEP)
        )
        return cls(silence_sdk_spans=mode == SDK_SPANS_OFF)
