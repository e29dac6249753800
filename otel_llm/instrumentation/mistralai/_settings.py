"""The mistralai instrumentation's settings: an ``instrument()`` argument, else the environment.

Read once, at ``instrument()``: a bad value is then logged once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from otel_llm import semconv
from otel_llm.instrumentation._instrumentor import OTHER_SPANS_KEEP, OTHER_SPANS_OFF, other_spans_off

__all__ = ["SDK_SPANS_KEEP", "SDK_SPANS_OFF", "MistralSettings"]

SDK_SPANS_OFF = OTHER_SPANS_OFF
SDK_SPANS_KEEP = OTHER_SPANS_KEEP


@dataclass(frozen=True, slots=True)
class MistralSettings:
    # Switch the SDK's own span off for the calls we trace (see the package's ``_sdk_spans``).
    silence_sdk_spans: bool = True

    @classmethod
    def from_instrument_kwargs(cls, kwargs: Mapping[str, Any]) -> MistralSettings:
        return cls(silence_sdk_spans=other_spans_off(kwargs, "sdk_spans", semconv.ENV_MISTRAL_SDK_SPANS))
