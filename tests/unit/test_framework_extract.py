"""The framework readers (``langchain/_extract.py``, ``openai_agents/_extract.py``) as pure functions."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from otel_llm import semconv
from otel_llm.instrumentation.langchain._extract import (
    add_usage,
    provider_name,
    response_attributes,
    usage_of,
    workflow_name,
)
from otel_llm.instrumentation.openai_agents._extract import usage_of as agents_usage_of
from otel_llm.usage import Usage


def test_langchain_usage_maps_cache_reads_writes_1h_and_reasoning() -> None:
    # langchain-anthropic with TTLs: cache_creation is 0 and the writes are in the ephemeral keys
    usage = usage_of({
        "input_tokens": 3600, "output_tokens": 200,
        "input_token_details": {"cache_read": 2000, "cache_creation": 0,
                                "ephemeral_5m_input_tokens": 500, "ephemeral_1h_input_tokens": 100},
        "output_token_details": {"reasoning": 40},
    })  # fmt: skip
    assert usage == Usage(3600, 200, cache_read_tokens=2000, cache_write_tokens=600, cache_write_1h_tokens=100,
                          reasoning_tokens=40)  # fmt: skip
    assert usage_of({"input_tokens": 10, "output_tokens": 2, "input_token_details": {"cache_creation": 4}}) == Usage(
        10, 2, cache_write_tokens=4
    )


@pytest.mark.parametrize("reported", [None, {}, "text", {"total_tokens": 5}])
def test_no_usage_reported_is_none_never_zero(reported: object) -> None:
    assert usage_of(reported) is None


def test_a_malformed_count_is_flagged() -> None:
    usage = usage_of({"input_tokens": -3, "output_tokens": 2})
    assert usage is not None and usage.malformed


def test_streamed_usage_deltas_add_up_key_by_key() -> None:
    total = None
    for delta in ({"input_tokens": 10, "output_tokens": 0, "input_token_details": {"cache_read": 4}},
                  None, {"input_tokens": 0, "output_tokens": 7, "output_token_details": {"reasoning": 2}}):  # fmt: skip
        total = add_usage(total, delta)
    assert total == {"input_tokens": 10, "output_tokens": 7, "input_token_details": {"cache_read": 4},
                     "output_token_details": {"reasoning": 2}}  # fmt: skip


def test_provider_names_follow_the_semconv() -> None:
    assert provider_name("anthropic") == semconv.PROVIDER_ANTHROPIC
    assert provider_name("amazon_bedrock") == semconv.PROVIDER_AWS_BEDROCK
    assert provider_name("google_genai") == semconv.PROVIDER_GCP_GEMINI
    assert provider_name("inhouse") == "inhouse"
    assert provider_name(None) == semconv.PROVIDER_UNKNOWN


def test_response_attributes_skip_langchains_own_run_ids() -> None:
    attrs = response_attributes({"model_name": "gpt-4o-2024-08-06", "finish_reason": "stop"}, "lc_run--1234")
    assert attrs == {
        semconv.GEN_AI_RESPONSE_MODEL: "gpt-4o-2024-08-06",
        semconv.GEN_AI_RESPONSE_FINISH_REASONS: ("stop",),
    }
    assert response_attributes({"model": "claude-sonnet-4-5", "stop_reason": "end_turn", "id": "msg_1"})[
        semconv.GEN_AI_RESPONSE_ID
    ] == "msg_1"


@pytest.mark.parametrize(
    ("graph", "chain", "metadata", "expected"),
    [
        ("blog", None, {"langgraph_node": "write", "langgraph_checkpoint_ns": "write:1a2b"}, "blog.write"),
        ("blog", "x", {"langgraph_node": "search", "langgraph_checkpoint_ns": "research:1|search:2"},
         "blog.research.search"),
        (None, None, {"langgraph_node": "write"}, "write"),
        ("blog", "summarize", {}, "summarize"),
        (None, None, None, None),
    ],
)  # fmt: skip
def test_workflow_names(graph: str | None, chain: str | None, metadata: dict | None, expected: str | None) -> None:
    assert workflow_name(graph, chain, metadata) == expected


def test_agents_usage_reads_the_responses_api_shape() -> None:
    usage = SimpleNamespace(
        input_tokens=2000, output_tokens=100,
        input_tokens_details=SimpleNamespace(cached_tokens=1024),
        output_tokens_details=SimpleNamespace(reasoning_tokens=30),
    )  # fmt: skip
    assert agents_usage_of(usage) == Usage(2000, 100, cache_read_tokens=1024, reasoning_tokens=30)
    assert agents_usage_of(None) is None
