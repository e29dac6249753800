"""What differs between a sampled and a sampled-out call, timed alone: the span, or the usage record.

    python benchmarks/sampling/bench_record.py [--rounds 15] [--reps 2000]

Everything else a call costs (the SDK, our wrapper, extraction, pricing, the request shape,
metrics) is the same whatever the sampler decides, so on a machine shared with other work the
full-call benchmark (``benchmarks/instrumentation/bench_sampling.py``) buries this difference in
noise. Here the attributes of a real instrumented call (the openai SDK replaying a recorded
reply, captured once) go through each path alone, timed by the thread's CPU time, contenders
interleaved in shuffled blocks:

- ``span``: what a sampled call adds: ``start_span`` with the request attributes, one
  ``set_attributes`` with the response's, ``end()`` into a BatchSpanProcessor;
- ``record, direct``: what a sampled-out call adds: a non-recording span (the sampler's
  decision), and the usage record through otel-llm's direct path into a BatchLogRecordProcessor;
- ``record, SDK emit``: the same record through ``Logger.emit`` (before the direct path).

Printed: medians over rounds of each round's median µs, and each path over ``span``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import SpanKind

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "instrumentation"))
from bench_inprocess import MESSAGES, _client, _Discard, _recorded_replies
from bench_sampling import _DiscardLogs

from otel_llm.instrumentation._usage_record import emit_usage_record, event_logger
from otel_llm.instrumentation.openai import OpenAIInstrumentor

CONTENDERS = ("span", "record, direct", "record, SDK emit")


def real_call_attributes() -> tuple[str, dict[str, Any], dict[str, Any]]:
    """The name, start attributes and response attributes of one real instrumented chat call."""
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        _client(_recorded_replies([])).chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=64)
    finally:
        instrumentor.uninstrument()
    [span] = memory.get_finished_spans()
    attributes = dict(span.attributes or {})
    response_keys = [key for key in attributes if key.startswith(("gen_ai.response", "gen_ai.usage", "otel_llm.cost"))]
    response = {key: attributes.pop(key) for key in response_keys}
    return span.name, attributes, response


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--reps", type=int, default=2000)
    args = parser.parse_args()
    name, start, response = real_call_attributes()

    sampled = TracerProvider()
    sampled.add_span_processor(BatchSpanProcessor(_Discard(), max_queue_size=1 << 20))
    sampled_tracer = sampled.get_tracer("otel_llm.instrumentation.openai")
    out_tracer = TracerProvider(sampler=ALWAYS_OFF).get_tracer("otel_llm.instrumentation.openai")
    logs = LoggerProvider()
    logs.add_log_record_processor(BatchLogRecordProcessor(_DiscardLogs(), max_queue_size=1 << 20))
    sdk_logger = logs.get_logger("otel_llm.instrumentation.openai")
    direct_logger = event_logger(sdk_logger)

    def span_path() -> None:
        span = sampled_tracer.start_span(name, kind=SpanKind.CLIENT, attributes=start)
        span.set_attributes(response)
        span.end()

    def record_path(logger: Any) -> Callable[[], None]:
        def record() -> None:
            span = out_tracer.start_span(name, kind=SpanKind.CLIENT, attributes=start)
            attributes = dict(start)
            attributes.update(response)
            emit_usage_record(logger, span, attributes, time.time_ns(), 1_000_000)
            span.end()

        return record

    paths = {
        "span": span_path,
        "record, direct": record_path(direct_logger),
        "record, SDK emit": record_path(sdk_logger),
    }
    results: dict[str, list[float]] = defaultdict(list)
    for path in paths.values():  # warm-up
        for _ in range(200):
            path()
    for _ in range(args.rounds):
        samples: dict[str, list[float]] = defaultdict(list)
        for _block in range(10):
            for contender in random.sample(CONTENDERS, len(CONTENDERS)):
                path = paths[contender]
                for _ in range(args.reps // 10):
                    began = time.thread_time_ns()
                    path()
                    samples[contender].append((time.thread_time_ns() - began) / 1000)
        for contender, values in samples.items():
            results[contender].append(statistics.median(values))
    sampled.shutdown()
    logs.shutdown()
    print(f"{len(start) + len(response)} attributes per call ({len(start)} at start)")
    print(f"{'path':<18} {'µs (CPU)':>9} {'x span':>7}")
    span_median = statistics.median(results["span"])
    for contender in CONTENDERS:
        median = statistics.median(results[contender])
        print(f"{contender:<18} {median:9.1f} {median / span_median:7.2f}")


if __name__ == "__main__":
    main()
