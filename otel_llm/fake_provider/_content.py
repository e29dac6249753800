"""What a fake reply says and what it costs in tokens, decided once for both wire formats.

Tests assert exact token numbers, so nothing here is random: input tokens are the request's
characters divided by four (rounded up, the usual rule of thumb for English), output tokens are
the number of streamed pieces, and a repeated prompt prefix is served from a simulated cache the
way each provider's real cache behaves (see :class:`PromptCache`).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from otel_llm.fake_provider._script import MISSING, Script

__all__ = [
    "CHARS_PER_TOKEN",
    "DEFAULT_TEXT",
    "MIN_CACHEABLE_TOKENS",
    "PromptCache",
    "ReplyText",
    "apply_malformed",
    "count_tokens",
    "pick_tool",
    "plan_text",
    "prefix_tokens",
    "response_model",
    "texts",
]

CHARS_PER_TOKEN = 4
DEFAULT_TEXT = "This is a deterministic reply from the otel-llm fake provider."
# Both providers cache only prompts of at least this many tokens (Anthropic: Sonnet/Opus).
MIN_CACHEABLE_TOKENS = 1024

# The real APIs answer an alias with the dated snapshot that served it; instrumentation must
# price by the response model, so the fake does the same. Unknown names are echoed unchanged.
_DATED_MODELS = {
    "gpt-4o": "gpt-4o-2024-08-06",
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
    "gpt-4.1": "gpt-4.1-2025-04-14",
    "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
    "gpt-4.1-nano": "gpt-4.1-nano-2025-04-14",
    "gpt-4-turbo": "gpt-4-turbo-2024-04-09",
    "gpt-3.5-turbo": "gpt-3.5-turbo-0125",
    "gpt-5": "gpt-5-2025-08-07",
    "gpt-5-mini": "gpt-5-mini-2025-08-07",
    "gpt-5-nano": "gpt-5-nano-2025-08-07",
    "gpt-5.1": "gpt-5.1-2025-11-13",
    "gpt-5.2": "gpt-5.2-2025-12-11",
    "gpt-5.4": "gpt-5.4-2026-03-05",
    "gpt-5.4-mini": "gpt-5.4-mini-2026-03-17",
    "gpt-5.4-nano": "gpt-5.4-nano-2026-03-17",
    "gpt-5.5": "gpt-5.5-2026-04-23",
    "o1": "o1-2024-12-17",
    "o3": "o3-2025-04-16",
    "o3-mini": "o3-mini-2025-01-31",
    "o4-mini": "o4-mini-2025-04-16",
    "claude-3-5-haiku-latest": "claude-3-5-haiku-20241022",
    "claude-3-5-sonnet-latest": "claude-3-5-sonnet-20241022",
    "claude-3-7-sonnet-latest": "claude-3-7-sonnet-20250219",
    "claude-sonnet-4-0": "claude-sonnet-4-20250514",
    "claude-opus-4-0": "claude-opus-4-20250514",
    "claude-opus-4-1": "claude-opus-4-1-20250805",
    "claude-sonnet-4-5": "claude-sonnet-4-5-20250929",
    "claude-haiku-4-5": "claude-haiku-4-5-20251001",
    "claude-opus-4-5": "claude-opus-4-5-20251101",
    "claude-opus-4-6": "claude-opus-4-6-20260205",
    "claude-opus-4-7": "claude-opus-4-7-20260416",
}

_PIECE = re.compile(r"\S+\s*|\s+")
_TEXT_KEYS = ("content", "text", "input", "prompt", "system", "instructions", "messages")


def response_model(requested: str) -> str:
    return _DATED_MODELS.get(requested, requested)


def count_tokens(chars: int) -> int:
    return -(-chars // CHARS_PER_TOKEN)


def texts(value: Any) -> Iterator[str]:
    """Every prompt string inside a request field, in order; roles, types and ids are skipped."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from texts(item)
    elif isinstance(value, Mapping):
        for key in _TEXT_KEYS:
            if key in value:
                yield from texts(value[key])


def _chars(values: Iterable[str]) -> int:
    return sum(len(v) for v in values)


@dataclass(frozen=True)
class ReplyText:
    """The reply as streamed pieces; ``truncated`` when the request's token limit cut it short."""

    pieces: tuple[str, ...]
    truncated: bool

    @property
    def text(self) -> str:
        return "".join(self.pieces)


def _split(text: str, chunks: int | None) -> list[str]:
    """Word pieces by default; exactly ``chunks`` near-equal pieces when the script asks for a length."""
    if chunks is None:
        return _PIECE.findall(text) or [text]
    size, longer = divmod(len(text), chunks)
    bounds = [i * size + min(i, longer) for i in range(chunks + 1)]
    return [text[bounds[i] : bounds[i + 1]] for i in range(chunks)]


def plan_text(script: Script, max_tokens: Any, schema: Mapping[str, Any] | None) -> ReplyText:
    """The reply: the script's text, a JSON instance of a requested schema, or the default."""
    if script.text is not None:
        text = script.text
    elif schema is not None:
        text = json.dumps(_sample(schema, schema.get("$defs", {})))
    elif script.chunks is not None:
        return ReplyText(tuple(f"tok{i} " for i in range(script.chunks)), truncated=script.hit_output_limit)
    else:
        text = DEFAULT_TEXT
    pieces = _split(text, script.chunks)
    if isinstance(max_tokens, int) and 0 < max_tokens < len(pieces):
        return ReplyText(tuple(pieces[:max_tokens]), truncated=True)
    return ReplyText(tuple(pieces), truncated=script.hit_output_limit)


def pick_tool(tools: list[Any], name: str | None, schema_key: str) -> tuple[str, Mapping[str, Any]] | None:
    """The forced tool and its argument schema: ``name`` "" means any tool, None means none is forced.

    The real APIs answer in text unless ``tool_choice`` forces a tool, so the fake calls a tool
    exactly then, with arguments that satisfy the tool's schema.
    """
    if name is None:
        return None
    for tool in tools:
        if isinstance(tool, Mapping) and (name == "" or tool.get("name") == name):
            return str(tool.get("name")), tool.get(schema_key) or {}
    return None


def _sample(schema: Mapping[str, Any], defs: Mapping[str, Any]) -> Any:
    """A small valid instance of a JSON schema, enough for the SDKs' ``parse`` helpers."""
    if "$ref" in schema:
        return _sample(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return _sample(options[0], defs)
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: _sample(sub, defs) for name, sub in props.items()}
    if kind == "array":
        return [_sample(schema.get("items", {}), defs)]
    return {"string": "sample", "integer": 1, "number": 1.5, "boolean": True, "null": None}[kind]


class PromptCache:
    """Which prompt prefixes were seen before, so a repeated prefix is reported as a cache read.

    This lets an app with no test hooks (the example app, ``otel-llm demo``) show cache writes
    and reads: the first request with a long enough prefix writes it, later ones read it.
    """

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def hit(self, model: str, prefix: Iterable[str]) -> bool:
        """True if this model saw this prefix before; records it either way."""
        digest = hashlib.sha256(model.encode())
        for part in prefix:
            digest.update(b"\0" + part.encode())
        key = digest.hexdigest()
        with self._lock:
            seen = key in self._seen
            self._seen.add(key)
        return seen

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()


def prefix_tokens(prefix: list[str]) -> int:
    return count_tokens(_chars(prefix))


def apply_malformed(usage: dict[str, Any], script: Script) -> dict[str, Any]:
    """The usage object with the script's verbatim overrides; never mutates ``usage``."""
    if not script.malformed_usage:
        return usage
    result = json.loads(json.dumps(usage))
    for path, value in script.malformed_usage.items():
        *parents, leaf = path.split(".")
        node = result
        for name in parents:
            child = node.get(name)
            if not isinstance(child, dict):
                child = node[name] = {}
            node = child
        if value is MISSING:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return result
