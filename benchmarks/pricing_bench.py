"""Price-book cost per LLM call: the instrumentation prices every call, on the caller's thread.

Run: python benchmarks/pricing_bench.py
Prints the median microseconds per operation over several rounds, next to a plain dict lookup
measured in the same run as the floor. Cached rows are what every call after the first pays;
the "first sight" rows are paid once per distinct (model, provider) pair.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from otel_llm.pricing import PriceBook, snapshot_price_book
from otel_llm.pricing.snapshot import load_snapshot
from otel_llm.usage import anthropic_usage, openai_usage

ROUNDS = 15
CALLS = 20_000


def per_call_us(fn: Callable[[], object], calls: int = CALLS) -> float:
    for _ in range(calls // 10):  # warm-up: first-sight resolution and caches out of the samples
        fn()
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(samples)


def first_sight_us(models: list[tuple[str, str | None]]) -> float:
    """A fresh book per round, each name looked up once: the normalization cost itself."""
    entries = list(snapshot_price_book().entries())
    samples = []
    for _ in range(ROUNDS):
        book = PriceBook(entries, version="bench")
        start = time.perf_counter()
        for model, provider in models:
            book.lookup(model, provider)
        samples.append((time.perf_counter() - start) / len(models) * 1e6)
    return statistics.median(samples)


def load_ms() -> float:
    from importlib import resources

    text = resources.files("otel_llm.pricing").joinpath("snapshot.json").read_text(encoding="utf-8")
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        source, prices = load_snapshot(text)
        PriceBook(prices, version=source["sha256"][:8])
        samples.append((time.perf_counter() - start) * 1e3)
    return statistics.median(samples)


def main() -> None:
    book = snapshot_price_book()
    plain = {("openai", "gpt-4o"): object()}
    key = ("openai", "gpt-4o")
    cached = openai_usage(1200, 300, cached_tokens=1000)
    anthropic = anthropic_usage(100, 500, cache_read_input_tokens=2000, cache_creation_input_tokens=1500)
    bedrock = "us.anthropic.claude-3-5-sonnet-20240620-v1:0"
    rows = [
        ("baseline: dict.get (floor)", per_call_us(lambda: plain.get(key))),
        ("lookup hit, exact key", per_call_us(lambda: book.lookup("gpt-4o", "openai"))),
        ("lookup hit, normalized (dated -> family)", per_call_us(lambda: book.lookup("gpt-4o-2099-01-01", "openai"))),
        ("lookup hit, normalized (Bedrock id)", per_call_us(lambda: book.lookup(bedrock, "aws.bedrock"))),
        ("lookup miss", per_call_us(lambda: book.lookup("acme-llm-9000", "openai"))),
        ("cost, gpt-4o with cache read", per_call_us(lambda: book.cost(cached, "gpt-4o", "openai"))),
        (
            "cost, claude via response model + writes",
            per_call_us(
                lambda: book.cost(
                    anthropic, "claude-sonnet-4-5", "anthropic", response_model="claude-sonnet-4-5-20250929"
                )
            ),
        ),
        (
            "cost, gpt-4o priority tier",
            per_call_us(lambda: book.cost(cached, "gpt-4o", "openai", service_tier="priority")),
        ),
        (
            "first sight: normalized hit (uncached)",
            first_sight_us([(f"gpt-4o-2099-01-{d:02d}", "openai") for d in range(1, 29)] + [(bedrock, None)]),
        ),
        ("first sight: miss (uncached)", first_sight_us([(f"acme-llm-{i}", "openai") for i in range(30)])),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'operation':{width}}  median µs/call")
    print(f"{'-' * width}  --------------")
    for name, us in rows:
        print(f"{name:{width}}  {us:14.3f}")
    print(f"\nsnapshot parse + index ({sum(1 for _ in book.entries())} prices): {load_ms():.1f} ms (median of 5)")


if __name__ == "__main__":
    main()
