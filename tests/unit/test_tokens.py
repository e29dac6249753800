"""tiktoken estimates: the right encoding per model, the cookbook's message accounting, and no
guess at all when the encoding cannot be loaded.

Needs the two encodings offline: run with TIKTOKEN_CACHE_DIR pointing at a cache of them (the
Makefile and .ci/run do), or with network access.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import tiktoken

from otel_llm import tokens
from otel_llm.tokens import count_message_tokens, count_text_tokens, encoding_name_for

# The OpenAI cookbook's example ("How to count tokens with tiktoken"): 129 prompt tokens on
# gpt-3.5-turbo / gpt-4 (cl100k_base) and 124 on gpt-4o (o200k_base), as its API calls reported.
COOKBOOK_MESSAGES = [
    {
        "role": "system",
        "content": "You are a helpful, pattern-following assistant that translates corporate jargon "
        "into plain English.",
    },
    {"role": "system", "name": "example_user", "content": "New synergies will help drive top-line growth."},
    {"role": "system", "name": "example_assistant", "content": "Things working well together will increase revenue."},
    {
        "role": "system",
        "name": "example_user",
        "content": "Let's circle back when we have more bandwidth to touch base on opportunities for "
        "increased leverage.",
    },
    {
        "role": "system",
        "name": "example_assistant",
        "content": "Let's talk later when we're less busy about how to do better.",
    },
    {
        "role": "user",
        "content": "This late pivot means we don't have time to boil the ocean for the client deliverable.",
    },
]


@pytest.mark.parametrize(
    ("model", "encoding"),
    [
        ("gpt-4o", "o200k_base"),
        ("gpt-4o-mini-2024-07-18", "o200k_base"),
        ("gpt-4.1-nano", "o200k_base"),
        ("gpt-5", "o200k_base"),
        ("o3-mini", "o200k_base"),
        ("o1", "o200k_base"),
        ("azure/gpt-4o", "o200k_base"),
        ("ft:gpt-4o-2024-08-06:acme::x", "o200k_base"),
        ("gpt-4", "cl100k_base"),
        ("gpt-4-turbo", "cl100k_base"),
        ("gpt-3.5-turbo", "cl100k_base"),
        ("text-embedding-3-small", "cl100k_base"),
        ("claude-sonnet-4-5", "cl100k_base"),
        (None, "cl100k_base"),
    ],
)
def test_encoding_per_model(model: str | None, encoding: str) -> None:
    assert encoding_name_for(model) == encoding


def test_cookbook_message_counts() -> None:
    assert count_message_tokens(COOKBOOK_MESSAGES, "gpt-4-0613") == 129
    assert count_message_tokens(COOKBOOK_MESSAGES, "gpt-3.5-turbo") == 129
    assert count_message_tokens(COOKBOOK_MESSAGES, "gpt-4o") == 124


def test_text_counts() -> None:
    assert count_text_tokens("tiktoken is great!", "gpt-4") == 6  # the cookbook's example
    assert count_text_tokens("", "gpt-4o") == 0
    # Special-token text in user input is counted as text, not refused.
    assert count_text_tokens("<|endoftext|>", "gpt-4") == 7


def test_text_parts_are_counted_and_other_parts_refuse_an_estimate() -> None:
    as_string = count_message_tokens([{"role": "user", "content": "hello there"}], "gpt-4o")
    as_parts = count_message_tokens(
        [{"role": "user", "content": [{"type": "text", "text": "hello"}, {"type": "text", "text": " there"}]}],
        "gpt-4o",
    )
    with_image = count_message_tokens(
        [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:..."}}]}], "gpt-4o"
    )

    assert as_string == 3 + 3 + 1 + 2  # priming + wrapper + "user" + "hello there"
    assert as_parts == as_string
    assert with_image is None


def test_tool_calls_are_counted_as_their_json() -> None:
    call = [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]
    base = count_message_tokens([{"role": "assistant", "content": None}], "gpt-4o")
    with_call = count_message_tokens([{"role": "assistant", "content": None, "tool_calls": call}], "gpt-4o")
    assert base is not None and with_call is not None
    assert with_call - base == count_text_tokens(
        '[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]', "gpt-4o"
    )


def test_an_encoding_that_cannot_load_gives_none_and_logs_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def offline(name: str) -> tiktoken.Encoding:
        raise OSError("network unreachable")

    monkeypatch.setattr(tiktoken, "get_encoding", offline)
    tokens._encoding.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="otel_llm.tokens"):
            results = [count_text_tokens("hello", "gpt-4o"), count_message_tokens([{"role": "user"}], "gpt-4o")]
            results.append(count_text_tokens("hello", "gpt-4o"))
    finally:
        tokens._encoding.cache_clear()  # later tests load the real encoding again

    assert results == [None, None, None]
    assert len([r for r in caplog.records if "o200k_base" in r.getMessage()]) == 1


def test_sdk_message_objects_count_like_their_dicts() -> None:
    from openai.types.chat import ChatCompletionMessage

    returned = ChatCompletionMessage(role="assistant", content="Things working well together.")
    as_object = count_message_tokens([{"role": "user", "content": "hi"}, returned], "gpt-4o")
    as_dict = count_message_tokens(
        [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Things working well together."}], "gpt-4o"
    )

    assert as_object == as_dict is not None
    assert count_message_tokens([object()], "gpt-4o") is None


def test_offline_without_a_cache_dir_is_one_log_line(tmp_path: Path) -> None:
    """As on a machine with no internet and no TIKTOKEN_CACHE_DIR: tiktoken's download fails (here
    through a proxy that refuses at once), and the app's log gets one line naming the fix."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    env = {k: v for k, v in os.environ.items() if k != "TIKTOKEN_CACHE_DIR"}
    env.update(HTTPS_PROXY=closed, HTTP_PROXY=closed, https_proxy=closed, http_proxy=closed, NO_PROXY="",
               XDG_CACHE_HOME=str(tmp_path), TMPDIR=str(tmp_path))  # tiktoken's default cache: empty
    script = ("import logging; logging.basicConfig(format='%(levelname)s %(message)s');"
              "from otel_llm.tokens import count_text_tokens; print(count_text_tokens('hello', 'gpt-4o'))")
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.stdout.strip() == "None"
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("WARNING otel-llm: tiktoken encoding o200k_base cannot be loaded (")
    assert "set TIKTOKEN_CACHE_DIR" in lines[0]
