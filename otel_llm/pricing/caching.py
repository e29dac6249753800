"""The smallest prompt prefix each model caches: below it a provider sends the prefix uncached,
``cache_control`` or not, so no saving may be promised from caching it.

One table for the instrumentation (Gemini 2.5 and newer cache a long enough prefix by themselves:
the span's cache control says ``automatic`` from that size) and for ``otel-llm advise`` (a
repeated prefix below its model's minimum is no caching finding). A model not in the table caches
from ``DEFAULT_CACHE_MINIMUM_TOKENS`` (OpenAI's 1,024, and Anthropic's Sonnet and Opus 4.1 and
older), a figure the advisor lets its user change.

Sources (each provider's prompt caching page, read 2026-12-07):
- Anthropic: 4,096 tokens for Claude Opus 4.5/4.6 and Haiku 4.5, 2,048 for Claude 3 and 3.5 Haiku,
  1,024 for the others.
- Google (ai.google.dev/gemini-api/docs/caching, last updated 2026-10-13): 2,048 for Gemini 2.5
  Flash and Pro, 4,096 for Gemini 3.x and newer. Earlier versions of the page said 1,024 (2.5
  Flash) and 4,096 (2.5 Pro), and users report the API accepting 1,024 for 2.5 Flash: the current
  table is used, the larger figure, so no saving is promised that the provider might not give.
  Older Gemini models (explicit caching only) are held to 4,096, the figure their pages gave.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

__all__ = ["CACHE_MINIMUM_TOKENS", "DEFAULT_CACHE_MINIMUM_TOKENS", "cache_minimum_tokens"]

DEFAULT_CACHE_MINIMUM_TOKENS = 1024
# By the start of the model's name (the price book's name, or the provider's); the longest match wins.
CACHE_MINIMUM_TOKENS: Mapping[str, int] = {
    "claude-opus-4-6": 4096,
    "claude-opus-4-5": 4096,
    "claude-haiku-4-5": 4096,
    "claude-3-5-haiku": 2048,
    "claude-3-haiku": 2048,
    "gemini-2.5-": 2048,
    "gemini-": 4096,
}


@functools.lru_cache(maxsize=256)  # asked on every Gemini call, of a few model names
def cache_minimum_tokens(model: str) -> int | None:
    """The smallest prefix ``model`` caches, or None when the table does not name it (the caller's
    default applies)."""
    matches = [name for name in CACHE_MINIMUM_TOKENS if model.startswith(name)]
    return CACHE_MINIMUM_TOKENS[max(matches, key=len)] if matches else None
