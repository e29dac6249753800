"""Request shape cost per LLM call (fingerprints, prefix size, flags), before and after, in one run.

Run: python benchmarks/advise/bench_fingerprint.py [--baseline d2703e9] [--rounds 21]
Prints the median microseconds per call of ``request_parts`` + ``request_shape`` (what the
lifecycle adds to every call) for chat requests of about 2 KB (one question; a 14-message
conversation), 50 KB and 500 KB, in the OpenAI and Anthropic layouts, for this checkout and for
the package at ``--baseline`` (read from git, its readers and its ``_fingerprint.py``), rounds
interleaved A/B so a loaded machine slows both alike. Floors in the same run: SHA-256 over the request's JSON bytes
alone, and ``json.dumps`` + SHA-256 (the serialize-then-hash way the module avoids). Then the
prefix token count, by bytes (on the span at the request) and by share of the provider's input
count (what the span ends with), against tiktoken's count of the same prefix (o200k_base): the
estimate's error is measured, not assumed.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from _baseline import before_and_after_args

from otel_llm import semconv
from otel_llm.instrumentation import _fingerprint
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


def per_call_us(fn: Callable[[], object], budget_s: float = 0.02) -> Callable[[], float]:
    """A sampler: each call times enough calls of ``fn`` to fill ``budget_s`` and returns µs per call."""
    start = time.perf_counter_ns()
    fn()
    calls = max(3, int(budget_s * 1e9 / max(time.perf_counter_ns() - start, 100)))

    def sample() -> float:
        begin = time.perf_counter_ns()
        for _ in range(calls):
            fn()
        return (time.perf_counter_ns() - begin) / calls / 1000

    return sample


def interleaved(fns: dict[str, Callable[[], object]], rounds: int) -> dict[str, tuple[float, float]]:
    """(median, minimum) µs per call of each function, sampled in turn round after round. On a
    shared machine the minimum is the closer to the cost alone; the median says what a call paid."""
    samplers = {name: per_call_us(fn) for name, fn in fns.items()}
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, sampler in samplers.items():
            samples[name].append(sampler())
    return {name: (statistics.median(values), min(values)) for name, values in samples.items()}


def token_counts(chat: dict[str, Any]) -> tuple[int, int]:
    """tiktoken's counts (o200k_base) of the prefix (system text + tools as JSON) and of the whole
    input (the prefix + every other message's text): what the provider would report, near enough."""
    import tiktoken

    encoding = tiktoken.get_encoding("o200k_base")
    system, *rest = chat["messages"]
    prefix = len(encoding.encode(system["content"])) + len(encoding.encode(json.dumps(chat["tools"]))) if (
        "tools" in chat) else len(encoding.encode(system["content"]))
    return prefix, prefix + sum(len(encoding.encode(message["content"])) for message in rest)


def main() -> None:
    args, old = before_and_after_args(__doc__.splitlines()[0])
    before = importlib.import_module(f"{old}.instrumentation._fingerprint")
    openai_before = importlib.import_module(f"{old}.instrumentation.openai._extract").request_parts
    anthropic_before = importlib.import_module(f"{old}.instrumentation.anthropic._extract").request_parts
    cases = (("2 KB, 2 messages", single_turn_request(2_000)), ("2 KB, 14 messages", chat_request(2_000)),
             ("50 KB", chat_request(50_000)), ("500 KB", chat_request(500_000)))
    print("| request | bytes (JSON) | openai before µs | openai after µs | anthropic before µs | anthropic after µs"
          " | SHA-256 of the bytes µs | json.dumps + SHA-256 µs |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"(before = {args.baseline}; median (minimum) of {args.rounds} interleaved rounds)\n", file=sys.stderr)
    estimates = []
    for label, chat in cases:
        claude = anthropic_request(chat)
        body = json.dumps(chat).encode()
        timings = interleaved({
            "openai before": lambda chat=chat: before.request_shape(KEY, openai_before(chat, "openai")),
            "openai after": lambda chat=chat: _fingerprint.request_shape(KEY, openai_parts(chat, "openai")),
            "anthropic before": lambda c=claude: before.request_shape(KEY, anthropic_before(c)),
            "anthropic after": lambda c=claude: _fingerprint.request_shape(KEY, anthropic_parts(c)),
            "hash": lambda body=body: hashlib.sha256(body).hexdigest(),
            "dumps": lambda chat=chat: hashlib.sha256(json.dumps(chat).encode()).hexdigest(),
        }, args.rounds)
        print(f"| {label} | {len(body)} | "
              + " | ".join(f"{median:.1f} ({least:.1f})" for median, least in timings.values()) + " |")
        shape = _fingerprint.request_shape(KEY, openai_parts(chat, "openai"))
        prefix, total = token_counts(chat)
        by_usage = shape.with_usage(total)[semconv.OTEL_LLM_REQUEST_PREFIX_TOKENS]
        estimates.append((label, prefix, shape.attributes[semconv.OTEL_LLM_REQUEST_PREFIX_TOKENS], total, by_usage))
    print("\n| request | prefix tokens (tiktoken) | bytes / 4 (at the request) | ratio | input tokens (tiktoken)"
          " | share x input (at the response) | ratio |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, prefix, by_bytes, total, by_usage in estimates:
        print(f"| {label} | {prefix} | {by_bytes} | {by_bytes / prefix:.2f} | {total} | {by_usage}"
              f" | {by_usage / prefix:.2f} |")


if __name__ == "__main__":
    main()
