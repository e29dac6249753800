"""Request shape cost per LLM call: fingerprints, prefix size and flags, on the caller's thread.

Run: python benchmarks/instrumentation/bench_fingerprint.py [--rounds 15]
Prints the median microseconds per call of ``request_parts`` + ``shape_attributes`` (what the
lifecycle adds to every call) for chat requests of about 2 KB (one question; a conversation),
50 KB and 500 KB, for both SDKs' request layouts, next to two floors measured in the same run:
keyed BLAKE2b over the request's bytes alone, and ``json.dumps`` of the request plus the same
hash (the serialize-then-hash way this module avoids).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from otel_llm.instrumentation._fingerprint import shape_attributes
from otel_llm.instrumentation.anthropic._extract import request_parts as anthropic_parts
from otel_llm.instrumentation.openai._extract import request_parts as openai_parts

KEY = bytes(range(32))
TOOL = {
    "type": "function",
    "function": {
        "name": "lookup_order",
        "description": "Find an order by its id and return its status.",
        "parameters": {"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]},
    },
}


def chat_request(size: int) -> dict[str, Any]:
    """A support-bot request of about ``size`` bytes: system prompt, two tools, a conversation."""
    system = "You are a support assistant for an online shop. Answer briefly. " * max(1, size // 4 // 64)
    turns = []
    turn_text = "Where is my order 12345? It was due on Monday and has not arrived yet. "
    for i in range(max(1, (size - len(system) - 600) // (2 * len(turn_text)))):
        turns.append({"role": "user", "content": turn_text})
        turns.append({"role": "assistant", "content": f"Let me check order {i}. " + turn_text})
    turns.append({"role": "user", "content": "Thanks, and the refund?"})
    return {
        "model": "gpt-4o-mini",
        "messages": [{"role": "system", "content": system}, *turns],
        "tools": [TOOL, {**TOOL, "function": {**TOOL["function"], "name": "refund_order"}}],
        "max_tokens": 300,
        "temperature": 0.2,
    }


def single_turn_request(size: int) -> dict[str, Any]:
    """About ``size`` bytes in two messages: a system prompt and one question."""
    return {
        "model": "gpt-4o-mini",
        "messages": [{"role": "system", "content": "You classify support tickets. " * (size * 3 // 4 // 30)},
                     {"role": "user", "content": "My invoice is wrong. " * (size // 4 // 21)}],
        "max_tokens": 5,
    }


def anthropic_request(chat: dict[str, Any]) -> dict[str, Any]:
    system, *messages = chat["messages"]
    return {
        "model": "claude-sonnet-4-5",
        "system": [{"type": "text", "text": system["content"], "cache_control": {"type": "ephemeral"}}],
        "messages": messages,
        "tools": [{"name": t["function"]["name"], "description": t["function"]["description"],
                   "input_schema": t["function"]["parameters"]} for t in chat.get("tools", [])],
        "max_tokens": 300,
    }


def median_us(fn: Callable[[], object], rounds: int, budget_s: float = 0.05) -> float:
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    calls = max(5, int(budget_s / once))
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds
    print("| request | bytes (JSON) | openai shape µs | anthropic shape µs | BLAKE2b of the bytes µs"
          " | json.dumps + BLAKE2b µs |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    cases = (("2 KB, 2 messages", single_turn_request(2_000)), ("2 KB, 14 messages", chat_request(2_000)),
             ("50 KB", chat_request(50_000)), ("500 KB", chat_request(500_000)))
    for label, chat in cases:
        claude = anthropic_request(chat)
        body = json.dumps(chat).encode()
        openai_us = median_us(lambda chat=chat: shape_attributes(KEY, openai_parts(chat, "openai")), rounds)
        anthropic_us = median_us(lambda claude=claude: shape_attributes(KEY, anthropic_parts(claude)), rounds)
        hash_us = median_us(lambda body=body: hashlib.blake2b(body, key=KEY, digest_size=16).hexdigest(), rounds)
        dumps_us = median_us(
            lambda chat=chat: hashlib.blake2b(json.dumps(chat).encode(), key=KEY, digest_size=16).hexdigest(), rounds
        )
        print(f"| {label} | {len(body)} | {openai_us:.1f} | {anthropic_us:.1f} | {hash_us:.1f} | {dumps_us:.1f} |")


if __name__ == "__main__":
    main()
