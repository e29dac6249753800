"""otel-llm's own per-call overhead on the OpenAI SDK, in one process, without network noise.

    python benchmarks/instrumentation/bench_inprocess.py [--rounds 7] [--calls 300] [--chunks 200]

``bench_overhead.py`` compares otel-llm with its peers over real HTTP, across virtual
environments; on a shared machine its socket round trips (~1 ms) drown a few microseconds. This
one isolates our cost: the real ``openai`` SDK sends through an ``httpx2.MockTransport`` that
replays bytes recorded once from the fake provider, so everything but the socket is real.

Contenders, interleaved within every round in short blocks of shuffled order, all on the same TracerProvider with a
BatchSpanProcessor (discarding exporter) and a MeterProvider:

- ``baseline``: the SDK uninstrumented;
- ``otel-llm``: instrumented (``instrument()`` / ``uninstrument()`` switch between them);
- ``floor``: one bare CLIENT span carrying the attributes an otel-llm chat span carries (copied
  from a real one in this run): what no instrumentation can undercut.

Scenarios: a chat completion; a 200-chunk chat stream whose tokens are estimated with tiktoken
(the default); the same stream with ``stream_options.include_usage`` (exact usage, no estimate).
Printed: medians over rounds of each round's median µs per call, overhead over the baseline of
the same round, that overhead as a multiple of the floor, and µs per chunk for streams.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import httpx2
import openai
from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_llm.fake_provider import FakeProvider
from otel_llm.instrumentation.openai import OpenAIInstrumentor

MESSAGES = [
    {"role": "system", "content": "You are a terse assistant."},
    {"role": "user", "content": "Summarize the quarterly report in one sentence."},
]


class _Discard(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def _recorded_replies(chunks: int) -> dict[tuple[str, bool], tuple[bytes, str]]:
    """Body and content type of a chat reply, a stream and a stream with usage, from the fake."""
    replies = {}
    with FakeProvider() as fake, httpx2.Client(base_url=fake.openai_base_url) as http:
        for stream, include_usage in ((False, False), (True, False), (True, True)):
            body: dict[str, Any] = {"model": "gpt-4o", "messages": MESSAGES, "stream": stream}
            if include_usage:
                body["stream_options"] = {"include_usage": True}
            reply = http.post("/chat/completions", json=body, headers={"x-fake-chunks": str(chunks)})
            replies[(("stream" if stream else "chat"), include_usage)] = (
                reply.content,
                reply.headers["content-type"],
            )
    return replies


def _client(replies: dict[tuple[str, bool], tuple[bytes, str]]) -> openai.OpenAI:
    def handle(request: httpx2.Request) -> httpx2.Response:
        body = request.content
        kind = "stream" if b'"stream":true' in body.replace(b" ", b"") else "chat"
        content, content_type = replies[(kind, b"include_usage" in body)]
        return httpx2.Response(200, content=content, headers={"content-type": content_type})

    return openai.OpenAI(
        base_url="http://replay.invalid/v1",
        api_key="bench",
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(handle)),
    )


def _scenarios(client: openai.OpenAI) -> dict[str, Callable[[], object]]:
    def chat() -> object:
        return client.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=64)

    def stream_estimated() -> object:
        return sum(1 for _ in client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True))

    def stream_with_usage() -> object:
        stream = client.chat.completions.create(
            model="gpt-4o", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        return sum(1 for _ in stream)

    return {"chat": chat, "stream (estimated)": stream_estimated, "stream (include_usage)": stream_with_usage}


def _span_attributes(client: openai.OpenAI, meter_provider: MeterProvider) -> dict[str, Any]:
    """The attributes of a real otel-llm chat span, for the floor to carry."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=provider, meter_provider=meter_provider)
    try:
        _scenarios(client)["chat"]()
    finally:
        instrumentor.uninstrument()
    (span,) = exporter.get_finished_spans()
    return dict(span.attributes or {})


def _block(call: Callable[[], object], calls: int) -> list[float]:
    """µs per call of ``calls`` consecutive calls, after a collection so no block inherits garbage."""
    gc.collect()
    samples = []
    for _ in range(calls):
        start = time.perf_counter_ns()
        call()
        samples.append((time.perf_counter_ns() - start) / 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--chunks", type=int, default=200)
    args = parser.parse_args()
    os.environ.pop("OTEL_LLM_OPENAI_STREAM_USAGE", None)

    client = _client(_recorded_replies(args.chunks))
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(_Discard()))
    meter_provider = MeterProvider()
    attributes = _span_attributes(client, meter_provider)
    tracer = tracer_provider.get_tracer("floor")

    def floor() -> object:
        with tracer.start_as_current_span("chat gpt-4o", kind=trace.SpanKind.CLIENT, attributes=attributes):
            return None

    scenarios = _scenarios(client)
    instrumentor = OpenAIInstrumentor()
    for call in scenarios.values():  # warm-up of both paths: caches, tiktoken encoding, price lookups
        _block(call, 10)
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
        _block(call, 10)
        instrumentor.uninstrument()
    results: dict[tuple[str, str], list[float]] = defaultdict(list)
    for _ in range(args.rounds):
        results[("floor", "span")].append(statistics.median(_block(floor, args.calls)))
        for name, call in scenarios.items():
            calls = args.calls if name == "chat" else max(args.calls // 10, 20)
            samples: dict[str, list[float]] = defaultdict(list)
            # Alternate short blocks so drift on a shared machine hits both contenders alike.
            for _block_no in range(10):
                for contender in random.sample(["baseline", "otel-llm"], 2):
                    if contender == "otel-llm":
                        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
                    try:
                        samples[contender] += _block(call, max(calls // 10, 2))
                    finally:
                        if contender == "otel-llm":
                            instrumentor.uninstrument()
            for contender, values in samples.items():
                results[(contender, name)].append(statistics.median(values))
    tracer_provider.shutdown()
    _print_table(results, args.chunks, len(attributes))


def _print_table(results: dict[tuple[str, str], list[float]], chunks: int, attribute_count: int) -> None:
    floor = statistics.median(results[("floor", "span")])
    print(f"floor: one bare span with the {attribute_count} attributes of an otel-llm chat span: {floor:.1f} µs")
    print()
    header = (
        f"{'scenario':<24} {'baseline µs':>12} {'otel-llm µs':>12} {'overhead µs':>12} {'x floor':>8} {'µs/chunk':>9}"
    )
    print(header)
    print("-" * len(header))
    for name in ("chat", "stream (estimated)", "stream (include_usage)"):
        base, ours = results[("baseline", name)], results[("otel-llm", name)]
        overhead = statistics.median(o - b for o, b in zip(ours, base, strict=True))
        per_chunk = f"{overhead / chunks:9.3f}" if name != "chat" else ""
        print(
            f"{name:<24} {statistics.median(base):12.1f} {statistics.median(ours):12.1f} "
            f"{overhead:12.1f} {overhead / floor:8.2f} {per_chunk:>9}"
        )


if __name__ == "__main__":
    main()
