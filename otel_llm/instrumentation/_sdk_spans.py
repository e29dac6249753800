"""The one setting every SDK with spans of its own shares: switch them off for our calls, or keep them.

An SDK that emits its own usage-carrying span (anthropic, mistralai) would have each call counted
twice; its package silences that span for the calls we trace unless the user keeps it, through
``instrument(sdk_spans=...)`` or the SDK's ``OTEL_LLM_<SDK>_SDK_SPANS`` variable (the argument wins).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from otel_llm._env import env_choice

__all__ = ["SDK_SPANS_KEEP", "SDK_SPANS_OFF", "sdk_spans_silenced"]

SDK_SPANS_OFF = "off"
SDK_SPANS_KEEP = "keep"


def sdk_spans_silenced(kwargs: Mapping[str, Any], env_name: str) -> bool:
    """True unless ``sdk_spans="keep"`` is passed to ``instrument()`` or set in ``env_name``."""
    mode = kwargs.get("sdk_spans") or env_choice(env_name, SDK_SPANS_OFF, (SDK_SPANS_OFF, SDK_SPANS_KEEP))
    return mode == SDK_SPANS_OFF
