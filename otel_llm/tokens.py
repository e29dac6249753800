"""Token counts estimated with tiktoken, for calls whose provider reported none.

An OpenAI chat stream without ``stream_options.include_usage`` ends with no usage at all; a
budget check wants a prompt's size before the call. Both get a tiktoken count here, marked as
an estimate by the caller. When an encoding cannot be loaded (no network and no
``TIKTOKEN_CACHE_DIR``), the answer is None, logged once per encoding: callers then report no
estimate at all, never a guess such as ``len(text) / 2``.

Encodings are loaded on first use (a few hundred ms and ~20 MB each) and kept for the process.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["count_message_tokens", "count_text_tokens", "encoding_name_for"]

_log = logging.getLogger(__name__)

# Models tokenized with o200k_base (GPT-4o and everything after it); the rest use cl100k_base.
_O200K = re.compile(r"^(?:ft:)?(?:gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-[5-9]|o\d|gpt-oss|codex)")
# The OpenAI cookbook's accounting for chat messages: each message is wrapped in 3 tokens,
# a "name" field costs 1 more, and every reply is primed with 3.
_TOKENS_PER_MESSAGE = 3
_TOKENS_PER_NAME = 1
_REPLY_PRIMING = 3
_TEXT_PART_TYPES = frozenset({"text", "input_text", "output_text"})
_MAX_REASON = 160


def encoding_name_for(model: str | None) -> str:
    name = (model or "").lower().rsplit("/", 1)[-1]
    return "o200k_base" if _O200K.match(name) else "cl100k_base"


@functools.cache
def _encoding(name: str) -> Any | None:
    """The encoding, or None (logged once: the failure is cached like a success)."""
    try:
        import tiktoken

        return tiktoken.get_encoding(name)
    except Exception as exc:  # network, cache dir, corrupt file, missing package: all mean "no estimate"
        # One line: the cause is known and the fix is the same, so the traceback (tens of lines
        # of HTTP retries in the user's app log) is only worth it at DEBUG.
        reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:_MAX_REASON]
        _log.warning(
            "otel-llm: tiktoken encoding %s cannot be loaded (%s); token estimates are disabled. "
            "Offline? set TIKTOKEN_CACHE_DIR to a directory holding the encodings",
            name,
            reason,
            exc_info=_log.isEnabledFor(logging.DEBUG),
        )
        return None


def _count(encoding: Any, text: str) -> int:
    # disallowed_special=() counts "<|endoftext|>" in user text as text instead of raising.
    return len(encoding.encode(text, disallowed_special=()))


def count_text_tokens(text: str, model: str | None) -> int | None:
    """Tokens in ``text`` under ``model``'s encoding, or None when no encoding is available."""
    encoding = _encoding(encoding_name_for(model))
    return None if encoding is None else _count(encoding, text)


def _as_mapping(obj: Any) -> Mapping[str, Any] | None:
    """Dicts as they are; SDK objects (a returned message appended back into ``messages``)
    through their pydantic ``model_dump``; anything else is not countable."""
    if isinstance(obj, Mapping):
        return obj
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        try:
            dumped = dump(exclude_none=True)
        except Exception:  # a foreign object with a model_dump of another signature
            return None
        return dumped if isinstance(dumped, Mapping) else None
    return None


def _value_tokens(encoding: Any, key: str, value: Any) -> int | None:
    if value is None:
        return 0
    if isinstance(value, str):
        return _count(encoding, value)
    if key == "content" and isinstance(value, list):
        total = 0
        for part in value:
            if isinstance(part, str):
                total += _count(encoding, part)
                continue
            fields = _as_mapping(part)
            if fields is None or fields.get("type") not in _TEXT_PART_TYPES:
                return None  # an image, audio or file part: its token cost is not text's
            total += _count(encoding, str(fields.get("text", "")))
        return total
    # Tool calls and other structured fields are counted as the JSON the API sends.
    return _count(encoding, json.dumps(value, separators=(",", ":"), default=str))


def count_message_tokens(messages: Iterable[Any], model: str | None) -> int | None:
    """Prompt tokens of a chat request, counted the way the OpenAI cookbook does.

    Messages may be dicts or the SDK's own message objects. None when no encoding is available,
    a message is neither, or it holds a non-text part (an image's tokens depend on its size and
    detail, which a text encoding cannot know).
    """
    encoding = _encoding(encoding_name_for(model))
    if encoding is None:
        return None
    total = _REPLY_PRIMING
    for item in messages:
        message = _as_mapping(item)
        if message is None:
            return None
        total += _TOKENS_PER_MESSAGE
        for key, value in message.items():
            tokens = _value_tokens(encoding, key, value)
            if tokens is None:
                return None
            total += tokens
            if key == "name":
                total += _TOKENS_PER_NAME
    return total
