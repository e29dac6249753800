"""Bedrock request/response extraction on plain dicts: every vendor shape, no span, no HTTP."""

from __future__ import annotations

import pytest

from otel_llm import semconv
from otel_llm.instrumentation.bedrock._extract import (
    InvokeReport,
    converse_request_attributes,
    converse_response,
    decode_body,
    invoke_operation,
    invoke_request_attributes,
)
from otel_llm.usage import Usage


def _report(*objs: dict, headers: dict | None = None) -> Usage | None:
    report = InvokeReport()
    for obj in objs:
        report.add(obj)
    return report.usage(headers)


def test_converse_input_includes_cache_reads_and_writes() -> None:
    response = {
        "stopReason": "end_turn",
        "usage": {"inputTokens": 10, "outputTokens": 5, "cacheReadInputTokens": 100, "cacheWriteInputTokens": 20},
    }
    attrs, usage = converse_response(response)
    assert attrs == {semconv.GEN_AI_RESPONSE_FINISH_REASONS: ["end_turn"]}
    assert usage == Usage(input_tokens=130, output_tokens=5, cache_read_tokens=100, cache_write_tokens=20)


def test_converse_request_attributes_skip_wrong_types() -> None:
    params = {"modelId": "m", "inferenceConfig": {"maxTokens": "100", "temperature": 0.2, "stopSequences": ["x"]}}
    attrs = converse_request_attributes(params, stream=True)
    assert attrs == {
        semconv.GEN_AI_REQUEST_MODEL: "m",
        semconv.GEN_AI_REQUEST_TEMPERATURE: 0.2,
        semconv.GEN_AI_REQUEST_STOP_SEQUENCES: ["x"],
        semconv.GEN_AI_REQUEST_STREAM: True,
    }


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            b'{"max_tokens": 50, "top_p": 0.9}',
            {semconv.GEN_AI_REQUEST_MAX_TOKENS: 50, semconv.GEN_AI_REQUEST_TOP_P: 0.9},
        ),
        ('{"inferenceConfig": {"max_new_tokens": 7}}', {semconv.GEN_AI_REQUEST_MAX_TOKENS: 7}),
        ('{"max_gen_len": 9}', {semconv.GEN_AI_REQUEST_MAX_TOKENS: 9}),
        ("not json", {}),
        (object(), {}),  # a file object is never read
    ],
)
def test_invoke_request_attributes_per_vendor(body: object, expected: dict) -> None:
    attrs = invoke_request_attributes({"modelId": "x"}, decode_body(body), stream=False)
    assert attrs == {semconv.GEN_AI_REQUEST_MODEL: "x", semconv.GEN_AI_REQUEST_STREAM: False, **expected}


@pytest.mark.parametrize(
    ("model", "operation"),
    [
        ("amazon.titan-embed-text-v2:0", "embeddings"),
        ("arn:aws:bedrock:us-east-1::foundation-model/cohere.embed-english-v3", "embeddings"),
        ("us.anthropic.claude-3-5-haiku-20241022-v1:0", "chat"),
        (None, "chat"),
    ],
)
def test_invoke_operation(model: object, operation: str) -> None:
    assert invoke_operation(model) == operation


def test_anthropic_body_and_stream_merge_like_anthropic() -> None:
    body = {
        "type": "message",
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 5, "output_tokens": 7, "cache_read_input_tokens": 50},
    }
    assert _report(body) == Usage(input_tokens=55, output_tokens=7, cache_read_tokens=50)
    start = {"type": "message_start", "message": {"usage": {"input_tokens": 5, "output_tokens": 1}}}
    delta = {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 30}}
    metrics = {
        "type": "message_stop",
        "amazon-bedrock-invocationMetrics": {"inputTokenCount": 5, "outputTokenCount": 30},
    }
    assert _report(start, delta, metrics) == Usage(input_tokens=5, output_tokens=30)  # merged, never summed


def test_nova_llama_titan_bodies() -> None:
    nova = {
        "stopReason": "end_turn",
        "usage": {"inputTokens": 10, "outputTokens": 3, "cacheReadInputTokenCount": 40, "cacheWriteInputTokenCount": 0},
    }
    assert _report(nova) == Usage(input_tokens=50, output_tokens=3, cache_read_tokens=40)
    assert _report({"generation": "x", "prompt_token_count": 4, "generation_token_count": 9}) == Usage(4, 9)
    llama_stream = [
        {"generation": "a", "prompt_token_count": 4, "generation_token_count": 1},
        {"generation": "b", "prompt_token_count": None, "generation_token_count": 2, "stop_reason": "stop"},
    ]
    assert _report(*llama_stream) == Usage(4, 2)
    assert _report({"embedding": [0.1], "inputTextTokenCount": 12}) == Usage(input_tokens=12)


def test_headers_only_when_the_body_has_no_usage() -> None:
    headers = {"x-amzn-bedrock-input-token-count": "31", "x-amzn-bedrock-output-token-count": "8"}
    assert _report({"outputs": [{"text": "hi", "stop_reason": "stop"}]}, headers=headers) == Usage(31, 8)
    assert _report({"outputs": []}, headers={"x-amzn-bedrock-input-token-count": "-1"}) is None
    report = InvokeReport()
    report.add({"outputs": [{"text": "hi", "stop_reason": "length"}]})
    assert report.attributes() == {semconv.GEN_AI_RESPONSE_FINISH_REASONS: ["length"]}


def test_malformed_counts_mark_the_usage_malformed() -> None:
    _, usage = converse_response({"usage": {"inputTokens": -3, "outputTokens": 2}})
    assert usage is not None and usage.malformed


def test_nova_body_tools_count_once_and_tool_choice_is_hashed() -> None:
    from otel_llm.instrumentation._fingerprint import request_shape
    from otel_llm.instrumentation.bedrock._extract import invoke_request_parts

    def shape(choice: str) -> dict:
        body = {"messages": [{"role": "user", "content": [{"text": "hi"}]}], "inferenceConfig": {"max_new_tokens": 9},
                "toolConfig": {"tools": [{"toolSpec": {"name": "w"}}], "toolChoice": {choice: {}}}}
        return request_shape(b"k" * 32, invoke_request_parts({"modelId": "amazon.nova-lite-v1:0"}, body)).attributes

    auto, any_tool = shape("auto"), shape("any")
    assert auto[semconv.OTEL_LLM_REQUEST_TOOL_COUNT] == 1 and auto[semconv.OTEL_LLM_REQUEST_MAX_TOKENS_SET] is True
    assert auto[semconv.OTEL_LLM_REQUEST_FINGERPRINT] != any_tool[semconv.OTEL_LLM_REQUEST_FINGERPRINT]
    assert auto[semconv.OTEL_LLM_REQUEST_PREFIX_FINGERPRINT] == any_tool[semconv.OTEL_LLM_REQUEST_PREFIX_FINGERPRINT]


def test_a_body_that_is_no_json_still_gets_the_models_fingerprint() -> None:
    from otel_llm.instrumentation._fingerprint import request_shape
    from otel_llm.instrumentation.bedrock._extract import invoke_request_parts

    a = request_shape(b"k" * 32, invoke_request_parts({"modelId": "x"}, decode_body(b"\xff not json"))).attributes
    assert a[semconv.OTEL_LLM_REQUEST_MESSAGE_COUNT] == 0 and len(a[semconv.OTEL_LLM_REQUEST_FINGERPRINT]) == 32
