"""Request shape cost per call on the google-genai and Bedrock spans, beside OpenAI's, in one run.

Run: python benchmarks/advise/bench_shape_sdks.py [--baseline d2703e9] [--rounds 21]
Prints the median (minimum) microseconds per call of each SDK's ``request_parts`` +
``request_shape`` (what ``start_call(request=...)`` adds to a call), for this checkout and the
package at ``--baseline`` (read from git) in turn, for the same conversations as bench_fingerprint.py
(2 KB in 2 and 14 messages, 50 KB), rounds interleaved so a loaded machine slows all alike:
OpenAI chat (the reference), Gemini with dict contents and with the SDK's ``Content`` models (a
chat's history: pydantic objects marshal refuses, so the slow path), Bedrock Converse, and
Bedrock InvokeModel's Anthropic body (decoded once by the handler for its attributes; the
decode is not counted here, it was paid before too).
"""

from __future__ import annotations

import importlib
from typing import Any

from _baseline import before_and_after_args
from bench_fingerprint import KEY, chat_request, interleaved, single_turn_request
from google.genai import types

from otel_llm.instrumentation._fingerprint import request_shape
from otel_llm.instrumentation.bedrock._extract import converse_request_parts, invoke_request_parts
from otel_llm.instrumentation.google_genai._extract import request_parts as gemini_parts
from otel_llm.instrumentation.openai._extract import request_parts as openai_parts

_GEMINI_ROLE = {"user": "user", "assistant": "model"}


def gemini_request(chat: dict[str, Any], typed: bool) -> dict[str, Any]:
    system, *turns = chat["messages"]
    if typed:
        contents: list[Any] = [types.Content(role=_GEMINI_ROLE[m["role"]], parts=[types.Part(text=m["content"])])
                               for m in turns]
        config: Any = types.GenerateContentConfig(system_instruction=system["content"], max_output_tokens=300,
                                                  temperature=0.2)
    else:
        contents = [{"role": _GEMINI_ROLE[m["role"]], "parts": [{"text": m["content"]}]} for m in turns]
        config = {"system_instruction": system["content"], "max_output_tokens": 300, "temperature": 0.2}
    return {"model": "gemini-2.5-flash", "contents": contents, "config": config}


def converse_request(chat: dict[str, Any]) -> dict[str, Any]:
    system, *turns = chat["messages"]
    return {
        "modelId": "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "system": [{"text": system["content"]}],
        "messages": [{"role": m["role"], "content": [{"text": m["content"]}]} for m in turns],
        "inferenceConfig": {"maxTokens": 300, "temperature": 0.2},
        "toolConfig": {"tools": [{"toolSpec": {"name": t["function"]["name"], "description": t["function"][
            "description"], "inputSchema": {"json": t["function"]["parameters"]}}} for t in chat.get("tools", [])]},
    }


def invoke_body(chat: dict[str, Any]) -> dict[str, Any]:
    system, *turns = chat["messages"]
    return {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 300, "system": system["content"],
            "messages": turns}


def main() -> None:
    args, old = before_and_after_args(__doc__.splitlines()[0])
    shape_before = importlib.import_module(f"{old}.instrumentation._fingerprint").request_shape
    gemini_before = importlib.import_module(f"{old}.instrumentation.google_genai._extract").request_parts
    bedrock_before = importlib.import_module(f"{old}.instrumentation.bedrock._extract")
    openai_before = importlib.import_module(f"{old}.instrumentation.openai._extract").request_parts
    cases = (("2 KB, 2 messages", single_turn_request(2_000)), ("2 KB, 14 messages", chat_request(2_000)),
             ("50 KB", chat_request(50_000)))
    names = ("openai", "gemini dicts", "gemini Content models", "bedrock converse", "bedrock invoke (anthropic body)")
    print("| request | " + " | ".join(f"{name} before µs | {name} after µs" for name in names) + " |")
    print("| --- |" + " ---: |" * (2 * len(names)))
    model_id = {"modelId": "us.anthropic.claude-sonnet-4-5-20250929-v1:0"}
    for label, chat in cases:
        plain, typed = gemini_request(chat, typed=False), gemini_request(chat, typed=True)
        converse, body = converse_request(chat), invoke_body(chat)
        timings = interleaved({
            "openai before": lambda chat=chat: shape_before(KEY, openai_before(chat, "openai")),
            "openai": lambda chat=chat: request_shape(KEY, openai_parts(chat, "openai")),
            "gemini dicts before": lambda r=plain: shape_before(KEY, gemini_before(r)),
            "gemini dicts": lambda r=plain: request_shape(KEY, gemini_parts(r)),
            "gemini models before": lambda r=typed: shape_before(KEY, gemini_before(r)),
            "gemini models": lambda r=typed: request_shape(KEY, gemini_parts(r)),
            "converse before": lambda r=converse: shape_before(KEY, bedrock_before.converse_request_parts(r)),
            "converse": lambda r=converse: request_shape(KEY, converse_request_parts(r)),
            "invoke before": lambda b=body: shape_before(KEY, bedrock_before.invoke_request_parts(model_id, b)),
            "invoke": lambda b=body: request_shape(KEY, invoke_request_parts(model_id, b)),
        }, args.rounds)
        print(f"| {label} | " + " | ".join(f"{median:.1f} ({least:.1f})" for median, least in timings.values()) + " |")


if __name__ == "__main__":
    main()
