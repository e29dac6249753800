"""Anthropic extraction: request/response attributes and usage, on the SDK's real models and raw dicts."""

from __future__ import annotations

from typing import Any

import pytest
from anthropic.types import Message, RawMessageDeltaEvent, RawMessageStartEvent
from pydantic import BaseModel, ConfigDict

from otel_llm import semconv
from otel_llm.instrumentation.anthropic._extract import (
    merge_raw_usage,
    raw_usage,
    request_attributes,
    response_attributes,
    usage_from_message,
    usage_from_raw,
)
from otel_llm.instrumentation.anthropic._messages import StreamedContent
from otel_llm.usage import Usage


def _message(usage: dict[str, Any], **fields: Any) -> Message:
    body = {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": [{"type": "text", "text": "hi"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": usage,
        **fields,
    }
    return Message.model_validate(body)


def test_request_attributes_keep_only_given_well_typed_arguments() -> None:
    from anthropic import NOT_GIVEN

    attrs = request_attributes(
        {
            "model": "claude-haiku-4-5",
            "max_tokens": 256,
            "temperature": 1,
            "top_p": 0.9,
            "top_k": 40,
            "stop_sequences": ["\n\nHuman:"],
            "stream": True,
            "metadata": NOT_GIVEN,
            "messages": [{"role": "user", "content": "secret prompt"}],
        }
    )
    assert attrs == {
        semconv.GEN_AI_REQUEST_MODEL: "claude-haiku-4-5",
        semconv.GEN_AI_REQUEST_MAX_TOKENS: 256,
        semconv.GEN_AI_REQUEST_TEMPERATURE: 1.0,
        semconv.GEN_AI_REQUEST_TOP_P: 0.9,
        semconv.GEN_AI_REQUEST_TOP_K: 40,
        semconv.GEN_AI_REQUEST_STOP_SEQUENCES: ["\n\nHuman:"],
        semconv.GEN_AI_REQUEST_STREAM: True,
    }


@pytest.mark.parametrize(
    "kwargs",
    [
        {"model": 3, "max_tokens": "256", "temperature": "hot", "top_k": -1},
        {"max_tokens": True, "top_p": None, "stop_sequences": "STOP", "stream": "yes"},
        {"stop_sequences": ["ok", 7], "temperature": [1]},
        {},
    ],
)
def test_request_attributes_drop_malformed_values(kwargs: dict[str, Any]) -> None:
    assert request_attributes(kwargs) == {}


def test_response_attributes_from_message() -> None:
    message = _message({"input_tokens": 1, "output_tokens": 2}, stop_reason="max_tokens")
    assert response_attributes(message) == {
        semconv.GEN_AI_RESPONSE_ID: "msg_01",
        semconv.GEN_AI_RESPONSE_MODEL: "claude-sonnet-4-5-20250929",
        semconv.GEN_AI_RESPONSE_FINISH_REASONS: ["max_tokens"],
    }


def test_response_attributes_without_stop_reason_have_no_finish_reasons() -> None:
    # message_start carries stop_reason null; it arrives later in message_delta.
    assert semconv.GEN_AI_RESPONSE_FINISH_REASONS not in response_attributes(
        {"id": "msg_2", "model": "m", "stop_reason": None}
    )


def test_usage_from_message_adds_cache_read_and_both_cache_writes_to_input() -> None:
    usage = usage_from_message(
        _message(
            {
                "input_tokens": 50,
                "output_tokens": 400,
                "cache_read_input_tokens": 2000,
                "cache_creation_input_tokens": 300,
                "cache_creation": {"ephemeral_5m_input_tokens": 200, "ephemeral_1h_input_tokens": 100},
                "output_tokens_details": {"thinking_tokens": 120},
            }
        )
    )
    assert usage == Usage(
        input_tokens=2350,
        output_tokens=400,
        cache_read_tokens=2000,
        cache_write_tokens=300,
        cache_write_1h_tokens=100,
        reasoning_tokens=120,
    )
    assert usage.uncached_input_tokens == 50


def test_stream_usage_is_merged_field_by_field_never_summed() -> None:
    start = RawMessageStartEvent.model_validate(
        {
            "type": "message_start",
            "message": {
                "id": "msg_s",
                "type": "message",
                "role": "assistant",
                "model": "claude-sonnet-4-5",
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {
                    "input_tokens": 10,
                    "output_tokens": 1,
                    "cache_read_input_tokens": 1000,
                    "cache_creation_input_tokens": 500,
                    "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 500},
                },
            },
        }
    )
    # message_delta repeats the cumulative input and cache counts and gives the final output count.
    delta = RawMessageDeltaEvent.model_validate(
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {
                "input_tokens": 10,
                "output_tokens": 87,
                "cache_read_input_tokens": 1000,
                "cache_creation_input_tokens": 500,
            },
        }
    )
    merged: dict[str, int] = {}
    merge_raw_usage(merged, start.message.usage)
    merge_raw_usage(merged, delta.usage)
    usage = usage_from_raw(merged)
    assert usage.input_tokens == 1510  # not 3020
    assert usage.output_tokens == 87  # not 88
    assert usage.cache_read_tokens == 1000
    assert usage.cache_write_tokens == 500
    assert usage.cache_write_1h_tokens == 500


def test_stream_delta_without_input_keeps_the_start_counts() -> None:
    merged: dict[str, int] = {}
    merge_raw_usage(merged, {"input_tokens": 25, "output_tokens": 1, "cache_read_input_tokens": 7})
    merge_raw_usage(merged, {"output_tokens": 15, "input_tokens": None, "cache_read_input_tokens": None})
    assert usage_from_raw(merged) == Usage(input_tokens=32, output_tokens=15, cache_read_tokens=7)


MALFORMED_USAGES: list[tuple[object, Usage]] = [
    (None, Usage()),
    ({}, Usage()),
    ("not a usage", Usage()),
    (42, Usage()),
    ({"input_tokens": None, "output_tokens": None}, Usage()),
    # A reported field that is no count is read as unreported and marks the usage (flagged, unpriced).
    ({"input_tokens": "12", "output_tokens": 3}, Usage(output_tokens=3, malformed=True)),
    ({"input_tokens": -4, "output_tokens": 2.0}, Usage(output_tokens=2, malformed=True)),
    ({"input_tokens": 2.5, "output_tokens": True}, Usage(malformed=True)),
    ({"input_tokens": 5, "output_tokens": 1, "cache_creation": "x"}, Usage(input_tokens=5, output_tokens=1)),
    (
        {"input_tokens": 5, "output_tokens": 1, "cache_creation": {"ephemeral_1h_input_tokens": 9}},
        Usage(input_tokens=5, output_tokens=1, cache_write_1h_tokens=9),  # impossible: kept, and flagged by usage_check
    ),
    (
        {"cache_read_input_tokens": 100, "output_tokens": 1},
        Usage(input_tokens=100, output_tokens=1, cache_read_tokens=100),
    ),
    (
        {"input_tokens": 1, "output_tokens": 4, "output_tokens_details": {"thinking_tokens": 99}},
        Usage(input_tokens=1, output_tokens=4, reasoning_tokens=99),  # impossible: kept, and flagged by usage_check
    ),
    ({"input_tokens": 1, "output_tokens": 4, "output_tokens_details": []}, Usage(input_tokens=1, output_tokens=4)),
]


@pytest.mark.parametrize(("usage", "expected"), MALFORMED_USAGES)
def test_malformed_usage_is_tolerated(usage: object, expected: Usage) -> None:
    assert usage_from_raw(raw_usage(usage)) == expected
    assert usage_from_message({"usage": usage}) == expected


class _OlderSdkUsage(BaseModel):
    """A usage model of an SDK version that predates the cache and thinking fields."""

    model_config = ConfigDict(extra="allow")
    input_tokens: int
    output_tokens: int
    cache_read_input_tokens: int | None = None


def test_fields_an_older_sdk_does_not_declare_are_read_from_the_models_extra() -> None:
    usage = _OlderSdkUsage.model_validate(
        {
            "input_tokens": 3,
            "output_tokens": 9,
            "cache_creation_input_tokens": 40,
            "cache_creation": {"ephemeral_1h_input_tokens": 40},
            "output_tokens_details": {"thinking_tokens": 2},
        }
    )
    assert raw_usage(usage) == {
        "input_tokens": 3,
        "output_tokens": 9,
        "cache_creation_input_tokens": 40,
        "ephemeral_1h_input_tokens": 40,
        "thinking_tokens": 2,
    }  # the declared cache_read_input_tokens=None is "not reported", not 0


class _Exploding:
    @property
    def usage(self) -> object:
        raise RuntimeError("broken model")


def test_a_broken_attribute_reads_as_not_reported() -> None:
    assert usage_from_message(_Exploding()).is_empty


def test_streamed_content_rebuilds_text_thinking_and_tool_calls_by_block_index() -> None:
    events = [
        {"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "tu_9", "name": "f"}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "hmm "}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": '{"a":'}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "ok"}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": " 1}"}},
        {"type": "content_block_delta", "index": 7, "delta": {"type": "text_delta", "text": "orphan"}},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}},
    ]
    content = StreamedContent()
    for event in events:
        content.add(event)
    assert content.messages("tool_use") == [
        {
            "role": "assistant",
            "parts": [
                {"type": "reasoning", "content": "hmm ok"},
                {"type": "tool_call", "id": "tu_9", "name": "f", "arguments": '{"a": 1}'},
            ],
            "finish_reason": "tool_use",
        }
    ]
