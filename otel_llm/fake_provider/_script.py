"""What a test asks the fake provider to do with one request, and what the fake saw.

A script is data, not a callback: tests read as a table of behaviours ("429 then 200",
"usage with 1,000 cached tokens", "drop the stream after 3 chunks"), and the same script drives
the OpenAI and the Anthropic wire formats. Usage overrides use each API's own field names and
meaning, because the whole point of the fake is to expose the difference between them (OpenAI's
``prompt_tokens`` include the cached ones, Anthropic's ``input_tokens`` exclude them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["MISSING", "RecordedRequest", "Script"]


class _Missing:
    """Marks a usage field that a malformed body must not contain at all."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class Script:
    """The behaviour of the next request whose path contains ``endpoint`` (any request if None).

    Every ``None`` means "what the fake does by default": a deterministic reply whose token
    counts derive from the request (see :mod:`otel_llm.fake_provider._content`).
    """

    endpoint: str | None = None
    status: int = 200
    error_message: str | None = None
    # Sent as ``retry-after-ms`` (and ``retry-after`` in whole seconds, rounded down). The SDKs
    # ignore a delay of 0 and fall back to their exponential backoff, so 1 ms keeps retries fast.
    retry_after_ms: int = 1
    text: str | None = None
    chunks: int | None = None
    # OpenAI counts (chat, legacy completions, embeddings; the Responses API maps prompt to
    # input_tokens and completion to output_tokens). prompt includes cached, completion reasoning.
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int | None = None
    reasoning_tokens: int | None = None
    # Anthropic counts, as the API reports them: input_tokens EXCLUDES cache reads and writes.
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_write_5m_tokens: int | None = None
    cache_write_1h_tokens: int | None = None
    # Gemini counts (usageMetadata), as the API reports them: prompt INCLUDES cached content,
    # candidates EXCLUDE thoughts, the tool-use prompt is outside the prompt. Embeddings: prompt.
    prompt_token_count: int | None = None
    candidates_token_count: int | None = None
    cached_content_token_count: int | None = None
    thoughts_token_count: int | None = None
    tool_use_prompt_token_count: int | None = None
    omit_usage: bool = False
    # Set verbatim in every usage object of the reply: dotted paths into the provider's own
    # usage shape ("prompt_tokens_details.cached_tokens"), any JSON value (strings, negatives,
    # null), or MISSING to delete the field.
    malformed_usage: Mapping[str, Any] | None = None
    # Streams only: stop after this many content deltas, by dropping the connection or by the
    # provider's own in-stream error event.
    fail_mid_stream: int | None = None
    fail_mode: Literal["disconnect", "error_event"] = "disconnect"
    # The reply ran into the model's own output limit (no max_tokens asked): finish_reason
    # "length" (Anthropic "max_tokens", Responses "incomplete"), as a runaway answer ends.
    hit_output_limit: bool = False

    def __post_init__(self) -> None:
        """A mistyped script would silently test the default behaviour instead, so reject it now."""
        if not 100 <= self.status <= 599:
            raise ValueError(f"status must be an HTTP status, got {self.status!r}")
        if self.chunks is not None and self.chunks < 1:
            raise ValueError(f"chunks must be at least 1, got {self.chunks!r}")
        if self.fail_mid_stream is not None and self.fail_mid_stream < 0:
            raise ValueError(f"fail_mid_stream must be >= 0, got {self.fail_mid_stream!r}")
        if self.fail_mode not in ("disconnect", "error_event"):
            raise ValueError(f"fail_mode must be 'disconnect' or 'error_event', got {self.fail_mode!r}")

    def matches(self, path: str) -> bool:
        return self.endpoint is None or self.endpoint in path


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it; credentials are removed before it is stored."""

    method: str
    path: str
    query: Mapping[str, str]
    body: Any
    headers: Mapping[str, str] = field(repr=False)
