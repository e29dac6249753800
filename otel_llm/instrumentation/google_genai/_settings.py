"""The google-genai instrumentation's settings: an ``instrument()`` argument, else the environment.

Read once, at ``instrument()``: a bad value is then logged once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from otel_llm import semconv
from otel_llm.instrumentation._instrumentor import OTHER_SPANS_KEEP, OTHER_SPANS_OFF, other_spans_off

__all__ = ["OFFICIAL_SPANS_KEEP", "OFFICIAL_SPANS_OFF", "GoogleGenAISettings"]

OFFICIAL_SPANS_OFF = OTHER_SPANS_OFF
OFFICIAL_SPANS_KEEP = OTHER_SPANS_KEEP


@dataclass(frozen=True, slots=True)
class GoogleGenAISettings:
    # Switch the official google-genai instrumentation off for the calls we trace (``_official_spans``).
    silence_official_spans: bool = True

    @classmethod
    def from_instrument_kwargs(cls, kwargs: Mapping[str, Any]) -> GoogleGenAISettings:
        return cls(
            silence_official_spans=other_spans_off(kwargs, "official_spans", semconv.ENV_GOOGLE_GENAI_OFFICIAL_SPANS)
        )
