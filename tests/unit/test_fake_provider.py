"""The fake provider speaks the real wire formats: the real SDKs parse every body into their typed models.

If these pass, every instrumentation test built on the fake exercises the same objects, streams
and retries a user's app gets from the real APIs. Numbers are hand-computed from the fake's
documented rules: input tokens = characters / 4 rounded up; output tokens = reply pieces.
"""

from __future__ import annotations

import base64
import importlib
import importlib.util
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import anthropic
import openai
import pydantic
import pytest

try:  # openai 3.x / anthropic 2.x send HTTP through httpx2, older majors through httpx
    import httpx2 as http_lib
except ImportError:  # pragma: no cover - exercised by the compat run
    import httpx as http_lib

from otel_llm.fake_provider import FAIL_FIRST_HEADER, MISSING, FakeProvider, Script

# A dropped stream surfaces as the error of whichever HTTP library the installed SDK uses; both
# can be installed at once (another SDK brings httpx2 beside openai 2.x's httpx in the compat run).
DROPPED = tuple(
    {importlib.import_module(lib).RemoteProtocolError for lib in ("httpx", "httpx2") if importlib.util.find_spec(lib)}
)

USER = [{"role": "user", "content": "Summarize the quarterly report."}]  # 31 chars -> 8 tokens
PROMPT_TOKENS = 8
REPLY = "This is a deterministic reply from the otel-llm fake provider."
REPLY_TOKENS = 10  # the default reply streams one word per piece
EXAMPLE_APP = Path(__file__).resolve().parents[2] / "examples" / "app.py"
LONG = "x" * 4096 * 2  # 2,048 tokens: above both providers' 1,024-token cache minimum


class Verdict(pydantic.BaseModel):
    label: str
    score: int
    reasons: list[str]
    note: str | None = None


# --- OpenAI chat completions ------------------------------------------------------------


def test_chat_completion_parses_with_dated_model_and_usage(
    openai_client: openai.OpenAI, fake_provider: FakeProvider
) -> None:
    resp = openai_client.chat.completions.create(model="gpt-4o", messages=USER)
    assert resp.model == "gpt-4o-2024-08-06"
    assert resp.choices[0].message.content == REPLY
    assert resp.choices[0].finish_reason == "stop"
    assert resp.usage is not None
    assert (resp.usage.prompt_tokens, resp.usage.completion_tokens, resp.usage.total_tokens) == (8, 10, 18)
    assert resp.usage.prompt_tokens_details.cached_tokens == 0
    assert resp.usage.completion_tokens_details.reasoning_tokens == 0
    assert fake_provider.requests[0].body["model"] == "gpt-4o"


def test_unknown_model_is_echoed(openai_client: openai.OpenAI) -> None:
    assert openai_client.chat.completions.create(model="my-finetune", messages=USER).model == "my-finetune"


def test_scripted_openai_usage_with_cache_and_reasoning(
    openai_client: openai.OpenAI, fake_provider: FakeProvider
) -> None:
    fake_provider.enqueue(Script(prompt_tokens=1200, cached_tokens=1000, reasoning_tokens=30))
    usage = openai_client.chat.completions.create(model="o4-mini", messages=USER).usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.prompt_tokens_details.cached_tokens) == (1200, 1000)
    assert (usage.completion_tokens, usage.completion_tokens_details.reasoning_tokens) == (REPLY_TOKENS + 30, 30)


@pytest.mark.parametrize("include_usage", [True, False])
def test_chat_stream_usage_chunk_only_when_requested(openai_client: openai.OpenAI, include_usage: bool) -> None:
    stream = openai_client.chat.completions.create(
        model="gpt-4o", messages=USER, stream=True, stream_options={"include_usage": include_usage}
    )
    assert isinstance(stream, openai.Stream)
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == REPLY
    usage_chunks = [c for c in chunks if not c.choices]
    if include_usage:
        assert len(usage_chunks) == 1 and chunks[-1] is usage_chunks[0]
        assert usage_chunks[0].usage is not None
        assert (usage_chunks[0].usage.prompt_tokens, usage_chunks[0].usage.completion_tokens) == (8, 10)
        assert all(c.usage is None for c in chunks[:-1])
    else:
        assert usage_chunks == []
        assert all(c.usage is None for c in chunks)
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"


def test_two_hundred_chunk_stream(openai_client: openai.OpenAI, fake_provider: FakeProvider) -> None:
    fake_provider.enqueue(Script(chunks=200))
    stream = openai_client.chat.completions.create(
        model="gpt-4o", messages=USER, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) == 200
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 200


def test_chat_stream_helper(openai_client: openai.OpenAI) -> None:
    with openai_client.chat.completions.stream(
        model="gpt-4o", messages=USER, stream_options={"include_usage": True}
    ) as stream:
        deltas = [e.delta for e in stream if e.type == "content.delta"]
        final = stream.get_final_completion()
    assert "".join(deltas) == final.choices[0].message.content == REPLY
    assert final.usage is not None and final.usage.completion_tokens == REPLY_TOKENS


def test_max_tokens_truncates_with_length_finish(openai_client: openai.OpenAI) -> None:
    resp = openai_client.chat.completions.create(model="gpt-4o", messages=USER, max_completion_tokens=3)
    assert resp.choices[0].message.content == "This is a "
    assert resp.choices[0].finish_reason == "length"
    assert resp.usage is not None and resp.usage.completion_tokens == 3


def test_scripted_text_in_exact_chunk_count(openai_client: openai.OpenAI, fake_provider: FakeProvider) -> None:
    fake_provider.enqueue(Script(text="abcdefghij", chunks=4))
    stream = openai_client.chat.completions.create(model="gpt-4o", messages=USER, stream=True)
    assert [c.choices[0].delta.content for c in stream if c.choices and c.choices[0].delta.content] == [
        "abc",
        "def",
        "gh",
        "ij",
    ]


def test_n_choices_are_billed_as_output(openai_client: openai.OpenAI) -> None:
    resp = openai_client.chat.completions.create(model="gpt-4o", messages=USER, n=2)
    assert [c.index for c in resp.choices] == [0, 1]
    assert resp.usage is not None and resp.usage.completion_tokens == 2 * REPLY_TOKENS


def test_chat_parse_returns_pydantic_instance(openai_client: openai.OpenAI) -> None:
    resp = openai_client.chat.completions.parse(model="gpt-4o", messages=USER, response_format=Verdict)
    assert resp.choices[0].message.parsed == Verdict(label="sample", score=1, reasons=["sample"], note="sample")


async def test_async_chat_json_and_stream(async_openai_client: openai.AsyncOpenAI) -> None:
    resp = await async_openai_client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert resp.model == "gpt-4o-mini-2024-07-18"
    stream = await async_openai_client.chat.completions.create(
        model="gpt-4o-mini", messages=USER, stream=True, stream_options={"include_usage": True}
    )
    assert isinstance(stream, openai.AsyncStream)
    chunks = [c async for c in stream]
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == PROMPT_TOKENS + REPLY_TOKENS


def test_simulated_openai_prompt_cache(openai_client: openai.OpenAI) -> None:
    messages = [{"role": "system", "content": LONG}, *USER]
    first = openai_client.chat.completions.create(model="gpt-4o", messages=messages).usage
    second = openai_client.chat.completions.create(model="gpt-4o", messages=messages).usage
    assert first is not None and second is not None
    assert first.prompt_tokens == second.prompt_tokens == 2048 + PROMPT_TOKENS
    assert first.prompt_tokens_details.cached_tokens == 0
    assert second.prompt_tokens_details.cached_tokens == 2048  # the prefix, in 128-token blocks


# --- OpenAI Responses, embeddings, legacy completions, Azure -----------------------------


def test_responses_json_usage_details(openai_client: openai.OpenAI, fake_provider: FakeProvider) -> None:
    fake_provider.enqueue(Script(prompt_tokens=1200, cached_tokens=1000, reasoning_tokens=64))
    resp = openai_client.responses.create(model="gpt-5", input="Classify this ticket.", instructions="Be brief.")
    assert resp.model == "gpt-5-2025-08-07"
    assert resp.output_text == REPLY
    assert [item.type for item in resp.output] == ["reasoning", "message"]
    assert resp.usage is not None
    assert (resp.usage.input_tokens, resp.usage.input_tokens_details.cached_tokens) == (1200, 1000)
    assert (resp.usage.output_tokens, resp.usage.output_tokens_details.reasoning_tokens) == (74, 64)


def test_responses_stream_event_sequence(openai_client: openai.OpenAI) -> None:
    events = list(openai_client.responses.create(model="gpt-4o", input="Hello there!", stream=True))
    kinds = [e.type for e in events]
    assert kinds[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert kinds.count("response.output_text.delta") == REPLY_TOKENS
    assert kinds[-1] == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert events[0].response.usage is None
    assert events[-1].response.usage is not None and events[-1].response.usage.input_tokens == 3


def test_responses_stream_helper_and_parse(openai_client: openai.OpenAI) -> None:
    with openai_client.responses.stream(model="gpt-4o", input="Hello there!") as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == final.output_text == REPLY
    parsed = openai_client.responses.parse(model="gpt-4o", input="Judge.", text_format=Verdict)
    assert parsed.output_parsed is not None and parsed.output_parsed.score == 1


async def test_async_responses_stream(async_openai_client: openai.AsyncOpenAI) -> None:
    async with async_openai_client.responses.stream(model="gpt-4o", input="Hello there!") as stream:
        final = await stream.get_final_response()
    assert final.usage is not None and final.usage.output_tokens == REPLY_TOKENS


@pytest.mark.parametrize("encoding", ["float", None])  # None: the SDK asks for base64 and decodes it
def test_embeddings(openai_client: openai.OpenAI, fake_provider: FakeProvider, encoding: str | None) -> None:
    extra = {} if encoding is None else {"encoding_format": encoding}
    resp = openai_client.embeddings.create(model="text-embedding-3-small", input=["abcd", "abcdefgh"], **extra)
    assert fake_provider.requests[0].body["encoding_format"] == (encoding or "base64")
    assert [d.index for d in resp.data] == [0, 1]
    assert len(resp.data[0].embedding) == 1536
    assert isinstance(resp.data[0].embedding[0], float)
    assert (resp.usage.prompt_tokens, resp.usage.total_tokens) == (3, 3)


def test_embeddings_explicit_base64(openai_client: openai.OpenAI) -> None:
    resp = openai_client.embeddings.create(model="text-embedding-3-small", input="abcd", encoding_format="base64")
    assert len(base64.b64decode(resp.data[0].embedding)) == 1536 * 4  # float32


def test_embedding_dimensions_and_token_input(openai_client: openai.OpenAI) -> None:
    resp = openai_client.embeddings.create(model="text-embedding-3-large", input=[1, 2, 3, 4, 5], dimensions=8)
    assert len(resp.data) == 1 and len(resp.data[0].embedding) == 8
    assert resp.usage.prompt_tokens == 5


def test_legacy_completions_json_and_stream(openai_client: openai.OpenAI) -> None:
    resp = openai_client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Say hello", max_tokens=50)
    assert resp.choices[0].text == REPLY
    assert resp.usage is not None and (resp.usage.prompt_tokens, resp.usage.completion_tokens) == (3, 10)
    stream = openai_client.completions.create(
        model="gpt-3.5-turbo-instruct", prompt="Say hello", stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert "".join(c.choices[0].text for c in chunks if c.choices) == REPLY
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 13


def test_azure_deployment_path_and_model(fake_provider_server: FakeProvider, fake_provider: FakeProvider) -> None:
    client = openai.AzureOpenAI(
        azure_endpoint=fake_provider.azure_endpoint, api_key="azure-secret", api_version="2024-10-21"
    )
    resp = client.chat.completions.create(model="gpt-4o", messages=USER)
    request = fake_provider.requests[-1]
    assert request.path == "/openai/deployments/gpt-4o/chat/completions"
    assert request.query == {"api-version": "2024-10-21"}
    assert "api-key" not in request.headers
    assert resp.model == "gpt-4o-2024-08-06"


def test_azure_deployment_name_maps_to_its_model() -> None:
    with FakeProvider(azure_deployments={"prod-chat": "gpt-4o-mini"}) as fp:
        client = openai.AzureOpenAI(azure_endpoint=fp.azure_endpoint, api_key="k", api_version="2024-10-21")
        assert client.chat.completions.create(model="prod-chat", messages=USER).model == "gpt-4o-mini-2024-07-18"


# --- Anthropic messages -----------------------------------------------------------------


def _cache_creation(usage: object) -> dict[str, int]:
    """usage.cache_creation: a typed model in recent SDKs, an extra dict field in older ones."""
    value = usage.cache_creation  # type: ignore[attr-defined]
    return value if isinstance(value, dict) else value.model_dump()


def test_messages_json_with_scripted_cache_usage(
    anthropic_client: anthropic.Anthropic, fake_provider: FakeProvider
) -> None:
    fake_provider.enqueue(
        Script(input_tokens=50, cache_read_tokens=1000, cache_write_5m_tokens=200, cache_write_1h_tokens=100)
    )
    msg = anthropic_client.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=USER)
    assert msg.model == "claude-haiku-4-5-20251001"
    assert msg.content[0].type == "text" and msg.content[0].text == REPLY
    assert msg.stop_reason == "end_turn"
    u = msg.usage
    assert (u.input_tokens, u.output_tokens) == (50, REPLY_TOKENS)
    assert (u.cache_read_input_tokens, u.cache_creation_input_tokens) == (1000, 300)
    assert _cache_creation(u) == {"ephemeral_5m_input_tokens": 200, "ephemeral_1h_input_tokens": 100}


def test_raw_message_stream_reports_usage_twice_cumulatively(
    anthropic_client: anthropic.Anthropic, fake_provider: FakeProvider
) -> None:
    fake_provider.enqueue(Script(input_tokens=40, cache_read_tokens=500))
    events = list(
        anthropic_client.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=USER, stream=True)
    )
    kinds = [e.type for e in events]
    assert kinds[:2] == ["message_start", "content_block_start"]
    assert kinds.count("content_block_delta") == REPLY_TOKENS
    assert kinds[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    start, delta = events[0], events[-2]
    assert start.type == "message_start" and delta.type == "message_delta"
    assert (start.message.usage.input_tokens, start.message.usage.cache_read_input_tokens) == (40, 500)
    assert start.message.usage.output_tokens == 1
    # message_delta repeats the input side and carries the final, cumulative output count.
    assert (delta.usage.input_tokens, delta.usage.cache_read_input_tokens, delta.usage.output_tokens) == (
        40,
        500,
        REPLY_TOKENS,
    )


def test_message_stream_helper(anthropic_client: anthropic.Anthropic) -> None:
    with anthropic_client.messages.stream(model="claude-haiku-4-5", max_tokens=4, messages=USER) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "This is a deterministic "
    assert final.stop_reason == "max_tokens"
    assert (final.usage.input_tokens, final.usage.output_tokens) == (PROMPT_TOKENS, 4)


async def test_async_messages_json_and_stream(async_anthropic_client: anthropic.AsyncAnthropic) -> None:
    msg = await async_anthropic_client.messages.create(model="claude-sonnet-4-6", max_tokens=100, messages=USER)
    assert msg.model == "claude-sonnet-4-6"
    async with async_anthropic_client.messages.stream(
        model="claude-sonnet-4-6", max_tokens=100, messages=USER
    ) as stream:
        final = await stream.get_final_message()
    assert final.usage.output_tokens == REPLY_TOKENS


def test_beta_messages_and_beta_query_path(anthropic_client: anthropic.Anthropic, fake_provider: FakeProvider) -> None:
    msg = anthropic_client.beta.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=USER)
    assert msg.usage.input_tokens == PROMPT_TOKENS
    # anthropic 0.x puts ?beta=true on the beta path, 2.x does not; the route is the same either way.
    anthropic_client.messages.create(
        model="claude-haiku-4-5", max_tokens=100, messages=USER, extra_query={"beta": "true"}
    )
    assert [r.path for r in fake_provider.requests] == ["/v1/messages", "/v1/messages"]
    assert fake_provider.requests[1].query == {"beta": "true"}
    assert "x-api-key" not in fake_provider.requests[0].headers


def test_vertex_client_json_and_stream(fake_provider: FakeProvider) -> None:
    client = anthropic.AnthropicVertex(
        region="us-east5", project_id="proj", access_token="vertex-token", base_url=fake_provider.url + "/v1"
    )
    msg = client.messages.create(model="claude-haiku-4-5@20251001", max_tokens=100, messages=USER)
    assert msg.model == "claude-haiku-4-5@20251001"  # Vertex names the model in the URL, not the body
    with client.messages.stream(model="claude-haiku-4-5@20251001", max_tokens=100, messages=USER) as stream:
        assert stream.get_final_message().usage.output_tokens == REPLY_TOKENS
    paths = [r.path.rsplit(":", 1)[-1] for r in fake_provider.requests]
    assert paths == ["rawPredict", "streamRawPredict"]
    assert "authorization" not in fake_provider.requests[0].headers


def test_messages_parse_returns_pydantic_instance(anthropic_client: anthropic.Anthropic) -> None:
    if not hasattr(anthropic_client.messages, "parse"):
        pytest.skip("messages.parse arrived in a later anthropic SDK")
    msg = anthropic_client.messages.parse(
        model="claude-haiku-4-5", max_tokens=100, messages=USER, output_format=Verdict
    )
    assert msg.parsed_output == Verdict(label="sample", score=1, reasons=["sample"], note="sample")


@pytest.mark.parametrize("ttl", ["5m", "1h"])
def test_simulated_anthropic_cache_write_then_read(anthropic_client: anthropic.Anthropic, ttl: str) -> None:
    system = [{"type": "text", "text": LONG, "cache_control": {"type": "ephemeral", "ttl": ttl}}]
    first = anthropic_client.messages.create(model="claude-haiku-4-5", max_tokens=100, system=system, messages=USER)
    second = anthropic_client.messages.create(model="claude-haiku-4-5", max_tokens=100, system=system, messages=USER)
    assert first.usage.input_tokens == second.usage.input_tokens == PROMPT_TOKENS  # excludes the cache
    assert (first.usage.cache_creation_input_tokens, first.usage.cache_read_input_tokens) == (2048, 0)
    assert _cache_creation(first.usage)[f"ephemeral_{ttl}_input_tokens"] == 2048
    assert (second.usage.cache_creation_input_tokens, second.usage.cache_read_input_tokens) == (0, 2048)


def test_short_prefix_is_not_cached(anthropic_client: anthropic.Anthropic) -> None:
    system = [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}]
    for _ in range(2):
        msg = anthropic_client.messages.create(model="claude-haiku-4-5", max_tokens=100, system=system, messages=USER)
        assert (msg.usage.cache_creation_input_tokens, msg.usage.cache_read_input_tokens) == (0, 0)
        assert msg.usage.input_tokens == 10  # (9 + 31) characters / 4


# --- tool calls: forced by tool_choice, as the real APIs do -------------------------------

WEATHER = {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}}}
CHAT_TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": WEATHER}}]


def test_chat_tool_call_json_stream_and_auto(openai_client: openai.OpenAI) -> None:
    resp = openai_client.chat.completions.create(
        model="gpt-4o", messages=USER, tools=CHAT_TOOLS, tool_choice="required"
    )
    call = resp.choices[0].message.tool_calls[0]
    assert resp.choices[0].finish_reason == "tool_calls" and resp.choices[0].message.content is None
    assert (call.function.name, json.loads(call.function.arguments)) == ("get_weather", {"city": "sample", "days": 1})
    with openai_client.chat.completions.stream(
        model="gpt-4o",
        messages=USER,
        tools=CHAT_TOOLS,
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    ) as stream:
        final = stream.get_final_completion()
    streamed = final.choices[0].message.tool_calls[0]
    assert streamed.function.arguments == call.function.arguments and streamed.id.startswith("call_")
    auto = openai_client.chat.completions.create(model="gpt-4o", messages=USER, tools=CHAT_TOOLS)
    assert auto.choices[0].message.content == REPLY and auto.choices[0].message.tool_calls is None


def test_responses_function_call_json_and_stream(openai_client: openai.OpenAI) -> None:
    tools = [{"type": "function", "name": "get_weather", "parameters": WEATHER, "strict": False}]
    resp = openai_client.responses.create(model="gpt-4o", input="Weather?", tools=tools, tool_choice="required")
    item = resp.output[0]
    assert item.type == "function_call" and item.name == "get_weather"
    assert json.loads(item.arguments) == {"city": "sample", "days": 1}
    with openai_client.responses.stream(
        model="gpt-4o", input="Weather?", tools=tools, tool_choice="required"
    ) as stream:
        kinds = [e.type for e in stream]
        final = stream.get_final_response()
    assert "response.function_call_arguments.delta" in kinds and "response.output_text.delta" not in kinds
    assert final.output[0].type == "function_call" and final.output[0].arguments == item.arguments


def test_anthropic_tool_use_json_and_stream(anthropic_client: anthropic.Anthropic) -> None:
    tools = [{"name": "get_weather", "description": "Weather by city", "input_schema": WEATHER}]
    msg = anthropic_client.messages.create(
        model="claude-haiku-4-5", max_tokens=100, messages=USER, tools=tools, tool_choice={"type": "any"}
    )
    assert msg.stop_reason == "tool_use"
    block = msg.content[0]
    assert block.type == "tool_use" and (block.name, block.input) == ("get_weather", {"city": "sample", "days": 1})
    with anthropic_client.messages.stream(
        model="claude-haiku-4-5",
        max_tokens=100,
        messages=USER,
        tools=tools,
        tool_choice={"type": "tool", "name": "get_weather"},
    ) as stream:
        final = stream.get_final_message()
    assert final.content[0].type == "tool_use" and final.content[0].input == block.input
    assert final.usage.output_tokens == msg.usage.output_tokens > 0


# --- errors and the SDKs' own retries ----------------------------------------------------


@pytest.mark.parametrize("status", [429, 500])
def test_openai_retries_scripted_failure(
    openai_client: openai.OpenAI, fake_provider: FakeProvider, status: int
) -> None:
    fake_provider.enqueue(Script(status=status))
    resp = openai_client.chat.completions.create(model="gpt-4o", messages=USER)
    assert resp.choices[0].message.content == REPLY
    assert len(fake_provider.requests) == 2
    assert fake_provider.pending == []


@pytest.mark.parametrize("status", [429, 529])
def test_anthropic_retries_scripted_failure(
    anthropic_client: anthropic.Anthropic, fake_provider: FakeProvider, status: int
) -> None:
    fake_provider.enqueue(Script(status=status, endpoint="/messages"))
    anthropic_client.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=USER)
    assert len(fake_provider.requests) == 2


def test_exhausted_retries_raise_the_sdks_typed_errors(
    openai_client: openai.OpenAI, anthropic_client: anthropic.Anthropic, fake_provider: FakeProvider
) -> None:
    fake_provider.enqueue(*[Script(status=429)] * 3)
    with pytest.raises(openai.RateLimitError) as oe:
        openai_client.chat.completions.create(model="gpt-4o", messages=USER)
    assert oe.value.code == "rate_limit_exceeded"
    assert (oe.value.response.headers["retry-after-ms"], oe.value.response.headers["retry-after"]) == ("1", "0")
    fake_provider.enqueue(*[Script(status=500, error_message="boom")] * 3)
    with pytest.raises(anthropic.InternalServerError) as ae:
        anthropic_client.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=USER)
    assert ae.value.body == {
        "type": "error",
        "error": {"type": "api_error", "message": "boom"},
        "request_id": ae.value.request_id,
    }
    assert len(fake_provider.requests) == 6


def test_scripts_match_their_endpoint_fifo(openai_client: openai.OpenAI, fake_provider: FakeProvider) -> None:
    fake_provider.enqueue(
        Script(endpoint="/embeddings", prompt_tokens=77), Script(endpoint="/chat/completions", text="one")
    )
    assert openai_client.chat.completions.create(model="gpt-4o", messages=USER).choices[0].message.content == "one"
    assert openai_client.embeddings.create(model="text-embedding-3-small", input="a").usage.prompt_tokens == 77
    assert fake_provider.pending == []


@pytest.mark.parametrize(
    ("mode", "error"),
    # openai 3.x wraps a dropped stream in APIConnectionError; 2.x lets the HTTP library's error through.
    [("disconnect", (openai.APIConnectionError, *DROPPED)), ("error_event", openai.APIError)],
)
def test_openai_stream_fails_mid_stream(
    openai_client: openai.OpenAI,
    fake_provider: FakeProvider,
    mode: str,
    error: type[Exception] | tuple[type[Exception], ...],
) -> None:
    fake_provider.enqueue(Script(fail_mid_stream=3, fail_mode=mode))  # type: ignore[arg-type]
    seen: list[str] = []
    with pytest.raises(error):
        for chunk in openai_client.chat.completions.create(model="gpt-4o", messages=USER, stream=True):
            seen.extend(c.delta.content or "" for c in chunk.choices)
    assert "".join(seen) == "This is a "


@pytest.mark.parametrize(
    ("mode", "error"),
    # A dropped stream: older anthropic releases let the HTTP library's own error through, newer
    # ones (2.17 here) wrap it in APIConnectionError; .ci/run tests both.
    [
        ("disconnect", (*DROPPED, anthropic.APIConnectionError)),
        ("error_event", anthropic.APIStatusError),
    ],
)
def test_anthropic_stream_fails_mid_stream(
    anthropic_client: anthropic.Anthropic,
    fake_provider: FakeProvider,
    mode: str,
    error: type[Exception] | tuple[type[Exception], ...],
) -> None:
    fake_provider.enqueue(Script(fail_mid_stream=2, fail_mode=mode))  # type: ignore[arg-type]
    seen: list[str] = []
    with (
        pytest.raises(error),
        anthropic_client.messages.stream(model="claude-haiku-4-5", max_tokens=100, messages=USER) as stream,
    ):
        seen.extend(stream.text_stream)
    assert "".join(seen) == "This is "


def test_responses_stream_error_event(openai_client: openai.OpenAI, fake_provider: FakeProvider) -> None:
    fake_provider.enqueue(Script(fail_mid_stream=1, fail_mode="error_event", error_message="overloaded"))
    events = list(openai_client.responses.create(model="gpt-4o", input="hi", stream=True))
    assert events[-1].type == "error" and events[-1].message == "overloaded"
    assert "response.completed" not in [e.type for e in events]


# --- malformed and missing usage ----------------------------------------------------------


def test_malformed_openai_usage_reaches_the_sdk_verbatim(
    openai_client: openai.OpenAI, fake_provider: FakeProvider
) -> None:
    fake_provider.enqueue(
        Script(
            malformed_usage={
                "prompt_tokens": "12",
                "completion_tokens": -3,
                "total_tokens": MISSING,
                "prompt_tokens_details.cached_tokens": None,
            }
        )
    )
    raw = openai_client.chat.completions.with_raw_response.create(model="gpt-4o", messages=USER)
    usage = raw.http_response.json()["usage"]
    assert usage["prompt_tokens"] == "12" and usage["completion_tokens"] == -3
    assert "total_tokens" not in usage and usage["prompt_tokens_details"]["cached_tokens"] is None
    parsed = raw.parse().usage
    assert parsed is not None and parsed.prompt_tokens == "12"  # the SDK does not validate


def test_malformed_anthropic_stream_usage(anthropic_client: anthropic.Anthropic, fake_provider: FakeProvider) -> None:
    fake_provider.enqueue(Script(malformed_usage={"input_tokens": None, "cache_read_input_tokens": "lots"}))
    events = list(
        anthropic_client.messages.create(model="claude-haiku-4-5", max_tokens=100, messages=USER, stream=True)
    )
    start, delta = events[0], events[-2]
    assert start.type == "message_start" and delta.type == "message_delta"
    assert start.message.usage.input_tokens is None and start.message.usage.cache_read_input_tokens == "lots"
    assert delta.usage.cache_read_input_tokens == "lots"


def test_omitted_usage(
    openai_client: openai.OpenAI, anthropic_client: anthropic.Anthropic, fake_provider: FakeProvider
) -> None:
    fake_provider.enqueue(Script(omit_usage=True), Script(omit_usage=True))
    assert openai_client.chat.completions.create(model="gpt-4o", messages=USER).usage is None
    raw = anthropic_client.messages.with_raw_response.create(model="claude-haiku-4-5", max_tokens=100, messages=USER)
    assert "usage" not in raw.http_response.json()


# --- the server itself -------------------------------------------------------------------


def test_unknown_path_and_bad_json_get_provider_shaped_errors(fake_provider: FakeProvider) -> None:
    with http_lib.Client(base_url=fake_provider.url) as http:
        missing = http.post("/v1/nothing", json={})
        bad = http.post("/v1/messages", content=b"{not json", headers={"content-type": "application/json"})
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "invalid_request_error"
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_request_error"
    assert bad.json()["type"] == "error"


@pytest.mark.parametrize("bad", [{"status": 42}, {"chunks": 0}, {"fail_mid_stream": -1}, {"fail_mode": "explode"}])
def test_mistyped_scripts_are_rejected(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Script(**bad)  # type: ignore[arg-type]


def test_client_leaving_a_long_stream_early_is_quiet(
    openai_client: openai.OpenAI, fake_provider: FakeProvider, capfd: pytest.CaptureFixture[str]
) -> None:
    fake_provider.enqueue(Script(chunks=20_000))  # far more than a socket buffer holds
    stream = openai_client.chat.completions.create(model="gpt-4o", messages=USER, stream=True)
    assert next(iter(stream)).choices[0].delta.role == "assistant"
    stream.close()
    assert openai_client.chat.completions.create(model="gpt-4o", messages=USER).usage is not None
    assert capfd.readouterr().err == ""


def test_public_surface() -> None:
    import otel_llm.fake_provider as package

    assert set(package.__all__) == {
        "CHUNKS_HEADER",
        "FAIL_FIRST_HEADER",
        "MISSING",
        "FakeProvider",
        "RecordedRequest",
        "Script",
    }
    assert all(hasattr(package, name) for name in package.__all__)


def test_chunks_header_sets_the_stream_length(openai_client: openai.OpenAI) -> None:
    from otel_llm.fake_provider import CHUNKS_HEADER

    stream = openai_client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True, extra_headers={CHUNKS_HEADER: "57"}
    )
    assert sum(1 for chunk in stream if chunk.choices and chunk.choices[0].delta.content) == 57


def test_standalone_server_prints_its_urls() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "otel_llm.fake_provider"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
        base_url = re.search(r"OPENAI_BASE_URL=(\S+)", lines[1])
        assert base_url is not None
        client = openai.OpenAI(base_url=base_url.group(1), api_key="k")
        assert client.chat.completions.create(model="gpt-4o", messages=USER).usage is not None
        assert "ANTHROPIC_BASE_URL=http://127.0.0.1:" in lines[2]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_fail_first_header_fails_only_the_first_attempt(
    anthropic_client: anthropic.Anthropic, fake_provider: FakeProvider
) -> None:
    msg = anthropic_client.messages.create(
        model="claude-haiku-4-5", max_tokens=100, messages=USER, extra_headers={FAIL_FIRST_HEADER: "429"}
    )
    assert msg.content[0].type == "text"
    assert [r.headers["x-stainless-retry-count"] for r in fake_provider.requests] == ["0", "1"]


# --- the example app against the fake ----------------------------------------------------


def test_example_app_exercises_caching_streams_and_a_retry(
    fake_provider: FakeProvider, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", fake_provider.openai_base_url)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_provider.anthropic_base_url)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    spec = importlib.util.spec_from_file_location("example_app", EXAMPLE_APP)
    assert spec is not None and spec.loader is not None
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)

    app.main()

    assert "12 answers" in capsys.readouterr().out
    requests = fake_provider.requests
    by_path = Counter(r.path for r in requests)
    assert by_path == {"/v1/chat/completions": 9, "/v1/messages": 5}
    streamed = Counter(r.path for r in requests if r.body.get("stream"))
    assert streamed == {"/v1/chat/completions": 2, "/v1/messages": 2}
    retries = [r for r in requests if r.headers["x-stainless-retry-count"] != "0"]
    assert len(retries) == 2 and all(r.headers[FAIL_FIRST_HEADER] == "429" for r in retries)
    cached = [r for r in requests if r.path == "/v1/messages" and isinstance(r.body.get("system"), list)]
    assert len(cached) == 3  # one cache write, then two reads of the same contract
