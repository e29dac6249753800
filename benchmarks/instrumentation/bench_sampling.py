"""Per-call cost of a sampled and of a sampled-out OpenAI call, against the uninstrumented SDK.

    python benchmarks/instrumentation/bench_sampling.py [--rounds 5] [--calls 200]

Issue 13: a call whose span is sampled out still records its usage and cost, as one log event
(``gen_ai.client.inference.operation.details``). Its cost must stay well under a sampled call's.
Like ``bench_inprocess.py`` (whose replay transport and timing helpers this reuses), the real
``openai`` SDK sends through a transport that replays bytes recorded once from the fake provider,
so everything but the socket is real: the SDK, our wrapper, pricing, metrics, spans and logs.

Contenders, interleaved in short blocks of shuffled order within every round, each with a
MeterProvider and a LoggerProvider (BatchLogRecordProcessor, discarding exporter):

- ``baseline``: the SDK uninstrumented;
- ``sampled``: instrumented, TracerProvider sampler ALWAYS_ON, BatchSpanProcessor (discarding):
  the span carries the call, no event;
- ``sampled out``: instrumented, sampler ALWAYS_OFF: a non-recording span, and the call's event;
- ``out, no event``: the same with the API's no-op LoggerProvider, so the difference from ``sampled
  out`` is what the event itself costs (the rest is the call's extraction, pricing and metrics,
  which a sampled call pays too);
- ``out, SDK emit``: sampled out, the event through the SDK's ``Logger.emit`` (which re-validates
  every attribute) instead of otel-llm's direct path: what a sampled-out call cost before it.

Printed: medians over rounds of each round's median µs per call, and the overhead over the
baseline of the same round. ``--clock cpu`` times each call by the calling thread's CPU time
instead of the wall clock: on a machine shared with other work, a call's wall time includes the
time other processes held the core, which drowns differences of tens of µs; the thread's CPU time
does not (the batch processors' export threads are not counted, for spans and events alike).
The numbers are in benchmarks/instrumentation/RESULTS.md.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence

from opentelemetry._logs import NoOpLoggerProvider
from opentelemetry.sdk._logs import Logger as SdkLogger
from opentelemetry.sdk._logs import LoggerProvider, ReadableLogRecord
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, LogRecordExporter, LogRecordExportResult
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_inprocess import MESSAGES, SHORT_STREAM, _block, _client, _Discard, _recorded_replies

from otel_llm.instrumentation.openai import OpenAIInstrumentor

CONTENDERS = ["baseline", "sampled", "sampled out", "out, no event", "out, SDK emit"]


class _PlainEmitLogger(SdkLogger):
    """An SDK logger otel-llm does not recognize as the SDK's own: its events take ``Logger.emit``."""


class _PlainEmitProvider(LoggerProvider):
    def get_logger(self, *args: object, **kwargs: object) -> SdkLogger:
        logger = super().get_logger(*args, **kwargs)  # type: ignore[arg-type]
        logger.__class__ = _PlainEmitLogger
        return logger


class _DiscardLogs(LogRecordExporter):
    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        return LogRecordExportResult.SUCCESS

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    args = parser.parse_args()
    block = _block if args.clock == "wall" else _cpu_block
    os.environ.pop("OTEL_LLM_OPENAI_STREAM_USAGE", None)

    client = _client(_recorded_replies([SHORT_STREAM]))
    meter_provider = MeterProvider()
    logger_provider = LoggerProvider()
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(_DiscardLogs()))
    tracers = {}
    plain_emit = _PlainEmitProvider()
    plain_emit.add_log_record_processor(BatchLogRecordProcessor(_DiscardLogs()))
    loggers = {"out, no event": NoOpLoggerProvider(), "out, SDK emit": plain_emit}
    out = ("sampled out", "out, no event", "out, SDK emit")
    for name, sampler in (("sampled", ALWAYS_ON), *((name, ALWAYS_OFF) for name in out)):
        tracers[name] = TracerProvider(sampler=sampler)
        tracers[name].add_span_processor(BatchSpanProcessor(_Discard()))

    def chat() -> object:
        return client.chat.completions.create(model="gpt-4o", messages=MESSAGES, max_tokens=64)

    instrumentor = OpenAIInstrumentor()

    def instrument(contender: str) -> None:
        if contender != "baseline":
            instrumentor.instrument(
                tracer_provider=tracers[contender],
                meter_provider=meter_provider,
                logger_provider=loggers.get(contender, logger_provider),
            )

    def uninstrument(contender: str) -> None:
        if contender != "baseline":
            instrumentor.uninstrument()

    for contender in CONTENDERS:  # warm-up: caches, price lookups, the SDK's first-call work
        instrument(contender)
        _block(chat, 20)
        uninstrument(contender)
    results: dict[str, list[float]] = defaultdict(list)
    for _ in range(args.rounds):
        samples: dict[str, list[float]] = defaultdict(list)
        for _block_no in range(10):
            for contender in random.sample(CONTENDERS, len(CONTENDERS)):
                instrument(contender)
                try:
                    samples[contender] += block(chat, max(args.calls // 10, 2))
                finally:
                    uninstrument(contender)
        for contender, values in samples.items():
            results[contender].append(statistics.median(values))
    for provider in (*tracers.values(), logger_provider, plain_emit, meter_provider):
        provider.shutdown()
    _print_table(results)


def _cpu_block(call: Callable[[], object], calls: int) -> list[float]:
    """``_block`` timed by this thread's CPU time (µs per call)."""
    gc.collect()
    samples = []
    for _ in range(calls):
        start = time.thread_time_ns()
        call()
        samples.append((time.thread_time_ns() - start) / 1000)
    return samples


def _print_table(results: dict[str, list[float]]) -> None:
    base = results["baseline"]
    header = f"{'contender':<14} {'µs per call':>12} {'overhead µs':>12}"
    print(header)
    print("-" * len(header))
    for contender in CONTENDERS:
        values = results[contender]
        overhead = statistics.median(v - b for v, b in zip(values, base, strict=True))
        print(f"{contender:<14} {statistics.median(values):12.1f} {overhead:12.1f}")


if __name__ == "__main__":
    main()
