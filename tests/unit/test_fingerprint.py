"""Request shape: fingerprints match exactly when requests do, reveal nothing, and never break a call."""

from __future__ import annotations

import copy
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from otel_llm import semconv
from otel_llm.instrumentation._fingerprint import RequestParts, installation_key, request_shape
from otel_llm.instrumentation.anthropic._extract import request_parts as anthropic_parts
from otel_llm.instrumentation.openai._extract import request_parts as openai_parts

KEY = bytes(32)
SYSTEM = "You are a classifier. Answer with one word: positive, negative or neutral. " * 20
TOOLS = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]


def chat(*turns: str, system: str = SYSTEM, **params: object) -> dict[str, object]:
    messages: list[dict[str, object]] = [{"role": "system", "content": system}]
    for i, text in enumerate(turns):
        messages.append({"role": "user" if i % 2 == 0 else "assistant", "content": text})
    return {"model": "gpt-4o-mini", "messages": messages, "max_tokens": 5, **params}


def shape_attributes(key: bytes, parts: RequestParts) -> dict[str, object]:
    return request_shape(key, parts).attributes


def shape(kwargs: dict[str, object], key: bytes = KEY) -> dict[str, object]:
    return shape_attributes(key, openai_parts(kwargs, semconv.PROVIDER_OPENAI))


def test_identical_requests_match_whoever_built_them() -> None:
    first = shape(chat("I love it"))
    # Equal strings that are distinct objects (built at run time, not interned) give the same bytes.
    rebuilt = shape(chat("".join(["I love", " it"]), system="".join([SYSTEM[:10], SYSTEM[10:]])))
    assert first[semconv.OTEL_LLM_REQUEST_FINGERPRINT] == rebuilt[semconv.OTEL_LLM_REQUEST_FINGERPRINT]
    assert len(first[semconv.OTEL_LLM_REQUEST_FINGERPRINT]) == 32  # 128-bit hex


def test_any_difference_changes_the_request_but_not_the_shared_prefix() -> None:
    base = shape(chat("I love it"))
    for other in (chat("I hate it"), chat("I love it", temperature=0.5), {**chat("I love it"), "model": "gpt-4o"}):
        changed = shape(other)
        assert changed[semconv.OTEL_LLM_REQUEST_FINGERPRINT] != base[semconv.OTEL_LLM_REQUEST_FINGERPRINT]
    same_prefix = shape(chat("I hate it"))
    assert same_prefix[semconv.OTEL_LLM_REQUEST_PREFIX_FINGERPRINT] == base[semconv.OTEL_LLM_REQUEST_PREFIX_FINGERPRINT]
    other_model = shape({**chat("I love it"), "model": "gpt-4o"})  # a cache is per model
    assert other_model[semconv.OTEL_LLM_REQUEST_PREFIX_FINGERPRINT] != base[semconv.OTEL_LLM_REQUEST_PREFIX_FINGERPRINT]


def test_transport_settings_and_user_labels_do_not_change_the_fingerprint() -> None:
    base = shape(chat("I love it"))
    noisy = shape(chat("I love it", stream=True, timeout=3.0, user="u-1", extra_headers={"x": "y"},
                       metadata={"run": "7"}))
    assert noisy[semconv.OTEL_LLM_REQUEST_FINGERPRINT] == base[semconv.OTEL_LLM_REQUEST_FINGERPRINT]


def test_the_key_decides_the_fingerprint_so_a_guess_cannot_be_confirmed_without_it() -> None:
    assert shape(chat("hi"))[semconv.OTEL_LLM_REQUEST_FINGERPRINT] != shape(chat("hi"), key=b"\x01" * 32)[
        semconv.OTEL_LLM_REQUEST_FINGERPRINT
    ]
    text = " ".join(str(v) for v in shape(chat("my secret diagnosis")).values())
    assert "secret" not in text and "classifier" not in text


def test_sizes_turns_and_flags() -> None:
    attrs = shape(chat("q1", "a1", "q2", tools=TOOLS))
    assert attrs[semconv.OTEL_LLM_REQUEST_MESSAGE_COUNT] == 4
    assert attrs[semconv.OTEL_LLM_REQUEST_TOOL_COUNT] == 1
    assert attrs[semconv.OTEL_LLM_REQUEST_TURN_INDEX] == 2
    assert attrs[semconv.OTEL_LLM_REQUEST_MAX_TOKENS_SET] is True
    # The prefix is the system message and the tools: about its UTF-8 bytes / 4.
    assert len(SYSTEM) // 4 <= attrs[semconv.OTEL_LLM_REQUEST_PREFIX_TOKENS] <= len(SYSTEM) // 4 + 45
    no_cap = {k: v for k, v in chat("q").items() if k != "max_tokens"}
    assert shape(no_cap)[semconv.OTEL_LLM_REQUEST_MAX_TOKENS_SET] is False


def test_no_prefix_when_the_request_starts_with_the_user() -> None:
    attrs = shape({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]})
    assert semconv.OTEL_LLM_REQUEST_PREFIX_FINGERPRINT not in attrs
    assert attrs[semconv.OTEL_LLM_REQUEST_TURN_INDEX] == 1
    assert attrs[semconv.OTEL_LLM_REQUEST_CACHE_CONTROL] == semconv.CACHE_CONTROL_NONE


def test_openai_caches_a_long_prefix_by_itself_and_not_a_short_one() -> None:
    long_system = "x" * 4 * 1100
    assert shape(chat("q", system=long_system))[semconv.OTEL_LLM_REQUEST_CACHE_CONTROL] == "automatic"
    assert shape(chat("q", system="short"))[semconv.OTEL_LLM_REQUEST_CACHE_CONTROL] == "none"
    other_host = shape_attributes(KEY, openai_parts(chat("q", system=long_system), "deepinfra"))
    assert other_host[semconv.OTEL_LLM_REQUEST_CACHE_CONTROL] == "none"  # not known to cache


def test_anthropic_cache_control_blocks_are_explicit_and_tool_results_are_not_turns() -> None:
    kwargs = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 100,
        "system": [{"type": "text", "text": SYSTEM, "cache_control": {"type": "ephemeral"}}],
        "messages": [
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "w", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "sunny"}]},
        ],
    }
    attrs = shape_attributes(KEY, anthropic_parts(kwargs))
    assert attrs[semconv.OTEL_LLM_REQUEST_CACHE_CONTROL] == semconv.CACHE_CONTROL_EXPLICIT
    assert attrs[semconv.OTEL_LLM_REQUEST_TURN_INDEX] == 1
    plain = {**kwargs, "system": SYSTEM}
    assert shape_attributes(KEY, anthropic_parts(plain))[semconv.OTEL_LLM_REQUEST_CACHE_CONTROL] == "none"


def test_a_block_whose_type_is_no_string_is_a_turn_and_keeps_the_shape() -> None:
    # An unhashable ``type`` (a list) is not a tool result: the user message counts as a turn and
    # the span keeps its shape, as with any other block that names no tool result.
    kwargs = {"model": "claude-sonnet-4-5", "max_tokens": 10,
              "messages": [{"role": "user", "content": [{"type": ["text"], "text": "hi"}]}]}
    attrs = shape_attributes(KEY, anthropic_parts(kwargs))
    assert attrs[semconv.OTEL_LLM_REQUEST_TURN_INDEX] == 1
    assert semconv.OTEL_LLM_REQUEST_FINGERPRINT in attrs


def test_objects_marshal_refuses_are_hashed_by_value() -> None:
    class Reply:  # stands for an SDK model passed back as a message
        __pydantic_fields_set__ = {"role", "content"}

        def __init__(self, text: str) -> None:
            self.role, self.content = "assistant", text

    def parts(text: str) -> RequestParts:
        return RequestParts(model="m", messages=[{"role": "user", "content": "q"}, Reply(text)])

    assert shape_attributes(KEY, parts("a"))[semconv.OTEL_LLM_REQUEST_FINGERPRINT] == shape_attributes(
        KEY, parts("a")
    )[semconv.OTEL_LLM_REQUEST_FINGERPRINT]
    assert shape_attributes(KEY, parts("a"))[semconv.OTEL_LLM_REQUEST_FINGERPRINT] != shape_attributes(
        KEY, parts("b")
    )[semconv.OTEL_LLM_REQUEST_FINGERPRINT]


def test_installation_key_is_created_once_private_and_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(semconv.ENV_FINGERPRINT_KEY, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    key = installation_key()
    path = tmp_path / "data" / "otel-llm-fingerprint.key"
    assert path.read_bytes() == key and len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert installation_key() == key
    assert os.listdir(path.parent) == [path.name]  # no temporary file left behind


def test_the_environment_key_wins_and_is_shared_by_a_fleet(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setenv(semconv.ENV_FINGERPRINT_KEY, "fleet-secret")
    assert installation_key() == installation_key()
    assert not (tmp_path / "otel-llm-fingerprint.key").exists()


def test_an_unwritable_data_dir_gives_a_process_key_and_one_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(semconv.ENV_FINGERPRINT_KEY, raising=False)
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker / "sub"))
    key = installation_key()
    assert len(key) == 32
    assert semconv.ENV_FINGERPRINT_KEY in caplog.text


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
_MESSAGE = st.fixed_dictionaries({"role": st.sampled_from(["system", "user", "assistant", "tool"]), "content": _JSON})


@given(messages=st.lists(_MESSAGE | _JSON, max_size=6), tools=st.none() | st.lists(_JSON, max_size=3),
       system=st.none() | _JSON, params=st.dictionaries(st.text(max_size=10), _JSON, max_size=4))
@settings(max_examples=200, deadline=None)
def test_any_request_gets_a_shape_and_the_same_one_every_time(
    messages: list[Any], tools: list[Any] | None, system: Any, params: dict[str, Any]
) -> None:
    parts = RequestParts(model="m", messages=messages, tools=tools, system=system, params=params)
    first = shape_attributes(KEY, parts)
    assert first == shape_attributes(KEY, parts)
    copied = RequestParts(model="m", messages=copy.deepcopy(messages), tools=copy.deepcopy(tools),
                          system=copy.deepcopy(system), params=copy.deepcopy(params))
    assert shape_attributes(KEY, copied) == first  # equal values, different objects: the same shape
    assert first[semconv.OTEL_LLM_REQUEST_MESSAGE_COUNT] == len(messages)
    assert 0 <= first[semconv.OTEL_LLM_REQUEST_TURN_INDEX] <= len(messages)


def test_enum_values_hash_as_their_plain_values() -> None:
    import enum

    class Role(str, enum.Enum):
        USER = "user"

    plain = shape_attributes(KEY, RequestParts(model="m", messages=[{"role": "user", "content": "q"}]))
    typed = shape_attributes(KEY, RequestParts(model="m", messages=[{"role": Role.USER, "content": "q"}]))
    assert typed[semconv.OTEL_LLM_REQUEST_FINGERPRINT] == plain[semconv.OTEL_LLM_REQUEST_FINGERPRINT]


def test_a_response_format_class_hashes_as_its_name() -> None:
    class Answer:  # stands for parse(response_format=PydanticModel): a class among the kwargs
        __pydantic_fields_set__: set[str] = set()
        verdict = "positive"

    class Other:
        __pydantic_fields_set__: set[str] = set()

    def shaped(fmt: type) -> str:
        return shape(chat("q", response_format=fmt))[semconv.OTEL_LLM_REQUEST_FINGERPRINT]

    assert shaped(Answer) == shaped(Answer) != shaped(Other)


def test_the_prefix_tokens_follow_the_providers_count_once_it_is_known() -> None:
    shaped = request_shape(KEY, openai_parts(chat("q", system="x" * 4 * 1100), semconv.PROVIDER_OPENAI))
    by_bytes = shaped.attributes[semconv.OTEL_LLM_REQUEST_PREFIX_TOKENS]
    assert shaped.attributes[semconv.OTEL_LLM_REQUEST_CACHE_CONTROL] == semconv.CACHE_CONTROL_AUTOMATIC
    # A tokenizer that packs this text into 900 tokens: the prefix is below OpenAI's 1024, so not cached.
    reported = shaped.with_usage(901)
    assert 880 <= reported[semconv.OTEL_LLM_REQUEST_PREFIX_TOKENS] <= 900 < by_bytes  # framing: a bit low
    assert reported[semconv.OTEL_LLM_REQUEST_CACHE_CONTROL] == semconv.CACHE_CONTROL_NONE
    assert shaped.with_usage(2000)[semconv.OTEL_LLM_REQUEST_CACHE_CONTROL] == semconv.CACHE_CONTROL_AUTOMATIC
    no_prefix = request_shape(KEY, RequestParts(model="m", messages=[{"role": "user", "content": "q"}]))
    assert no_prefix.with_usage(500) == {}  # nothing to refine: no prefix attribute appears


def test_messages_that_are_no_mappings_are_read_one_by_one() -> None:
    class Turn:  # an SDK model: no .get
        def __init__(self, role: str, content: str) -> None:
            self.role, self.content = role, content

    mixed = RequestParts(model="m", messages=[Turn("system", "s"), {"role": "user", "content": "q"}, Turn("user", "r")])
    attrs = shape_attributes(KEY, mixed)
    assert (attrs[semconv.OTEL_LLM_REQUEST_TURN_INDEX], attrs[semconv.OTEL_LLM_REQUEST_MESSAGE_COUNT]) == (2, 3)
    assert semconv.OTEL_LLM_REQUEST_PREFIX_FINGERPRINT in attrs  # the system model message before the first turn


def test_an_argument_not_given_is_the_same_as_an_absent_one() -> None:
    class NotGiven:  # the SDKs' sentinel for "argument not given", passed explicitly by some frameworks
        pass

    base = shape(chat("q"))
    sent = shape(chat("q", temperature=NotGiven(), tools=NotGiven()))
    assert sent[semconv.OTEL_LLM_REQUEST_FINGERPRINT] == base[semconv.OTEL_LLM_REQUEST_FINGERPRINT]


def test_a_fingerprint_is_the_same_from_one_version_to_the_next() -> None:
    # Computed by the release before the hashing was made faster: a fleet upgraded host by host,
    # and a window of stored calls across an upgrade, keep matching the same requests.
    request = {"model": "gpt-4o-mini", "messages": [{"role": "system", "content": "Be brief."},
                                                    {"role": "user", "content": "hi"}],
               "max_tokens": 5, "temperature": 0.2, "user": "u1"}
    attrs = shape(request, key=b"k" * 32)
    assert attrs[semconv.OTEL_LLM_REQUEST_FINGERPRINT] == "7209c542a54f53dbfe42fb01bd9d02c9"
    assert attrs[semconv.OTEL_LLM_REQUEST_PREFIX_FINGERPRINT] == "a5ca6a17d1cb92b9273213fc086ad701"
