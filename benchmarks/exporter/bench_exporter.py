"""Spans/s from finished spans to committed rows, through ClickHouseSpanExporter into chdb, views on.

    python benchmarks/exporter/bench_exporter.py [--spans 100000] [--rounds 5] [--cores 1]

One run, one table, medians over the rounds, each path measured on the same spans:

- exporter: ``export()`` in 512-span calls (what the BatchSpanProcessor hands over), then
  ``force_flush()``: conversion, regrouping, dedup token and insert, until ClickHouse committed;
- ceiling: clickhouse-connect's column-oriented insert of the same rows, already converted
  (what the exporter could reach if conversion were free), same batch size and settings;
- convert only: ``spans_to_columns`` alone, to show where the exporter's time goes;
- OTLP protobuf: ``encode_spans(...).SerializeToString()``, what an app pays to ship the same spans
  to a collector instead (encoding only, no network).

Every insert goes into a fresh database with the full schema, so every materialized view
(llm_calls, both rollups, the trace id lookup) runs, and dedup never skips a repeated batch.
Goals (issue 3): >= 50,000 spans/s on one core into chdb with the views on, >= 80% of the ceiling.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_llm import semconv
from otel_llm.exporter import ClickHouseSpanExporter
from otel_llm.exporter.table import COLUMN_NAMES, TraceWriter, spans_to_columns
from otel_llm.schema import migrate
from otel_llm.store import connect

BSP_BATCH = 512
INSERT_BATCH = 50_000  # the exporter's default batch
MODELS = ("gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "o3-mini")
FEATURES = ("search", "summaries", "chat", "extraction", "agent")


def make_spans(count: int) -> list[ReadableSpan]:
    """LLM call spans as the instrumentation writes them (about 20 attributes, a few of each type)."""
    memory = InMemorySpanExporter()
    resource = Resource.create({"service.name": "bench", "deployment.environment.name": "prod"})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("otel_llm.instrumentation.openai", "0.1.0")
    for i in range(count):
        model = MODELS[i % len(MODELS)]
        attributes = {
            semconv.GEN_AI_OPERATION_NAME: "chat",
            semconv.GEN_AI_PROVIDER_NAME: "anthropic" if model.startswith("claude") else "openai",
            semconv.GEN_AI_REQUEST_MODEL: model,
            semconv.GEN_AI_RESPONSE_MODEL: model + "-2025-01-01",
            semconv.GEN_AI_RESPONSE_ID: f"chatcmpl-{i:012d}",
            semconv.GEN_AI_REQUEST_MAX_TOKENS: 1024,
            semconv.GEN_AI_REQUEST_TEMPERATURE: 0.7,
            semconv.GEN_AI_REQUEST_STREAM: bool(i % 2),
            semconv.GEN_AI_USAGE_INPUT_TOKENS: 1_000 + i % 5_000,
            semconv.GEN_AI_USAGE_OUTPUT_TOKENS: 100 + i % 700,
            semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: (i % 3) * 512,
            semconv.GEN_AI_RESPONSE_FINISH_REASONS: ("stop",),
            semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: 0.25 + (i % 100) / 1000,
            semconv.SERVER_ADDRESS: "api.example.com",
            semconv.SERVER_PORT: 443,
            semconv.OTEL_LLM_FEATURE: FEATURES[i % len(FEATURES)],
            semconv.USER_ID: f"user-{i % 1_000}",
            semconv.OTEL_LLM_COST_USD: round(0.0001 * (1 + i % 97), 6),
            semconv.OTEL_LLM_PRICING_VERSION: "2025-11-01",
        }
        with tracer.start_as_current_span(f"chat {model}", attributes=attributes):
            pass
    return list(memory.get_finished_spans())


def rates(count: int, run: Callable[[], object]) -> tuple[float, float]:
    """Spans per wall second, and per CPU second of the whole process (our threads and chdb's).

    The second is what one dedicated core would do: on a shared machine the wall clock also
    counts other processes' turns on the core, the process CPU time does not.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return count / (time.perf_counter() - wall), count / max(time.process_time() - cpu, 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cores", type=int, default=1, help="pin the process (and chdb's threads) to N cores")
    args = parser.parse_args()
    if args.cores and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[: args.cores]))

    spans = make_spans(args.spans)
    directory = tempfile.mkdtemp(prefix="bench-exporter-")
    dsn = f"chdb://{directory}"
    client = connect(dsn)
    names = iter(f"bench_{i}" for i in range(10**6))

    def fresh_database() -> str:
        name = next(names)
        migrate(client, name)
        return name

    def through_exporter() -> tuple[float, float]:
        exporter = ClickHouseSpanExporter(endpoint=dsn, database=fresh_database(), create_schema=False)
        exporter.export(spans[:1])  # the lazy connect is not what we measure: open the store first
        exporter.force_flush(120_000)
        rest = spans[1:]

        def run() -> None:
            for start in range(0, len(rest), BSP_BATCH):
                exporter.export(rest[start : start + BSP_BATCH])
            if not exporter.force_flush(600_000):
                raise RuntimeError("flush timed out")

        measured = rates(len(rest), run)
        stats = exporter.stats()
        exporter.shutdown()
        if stats.written_spans != len(spans):
            raise RuntimeError(f"exporter wrote {stats.written_spans} of {len(spans)} spans: {stats}")
        return measured

    def ceiling() -> tuple[float, float]:
        writer = TraceWriter(client, fresh_database())
        writer.write(spans_to_columns(spans[:1]))  # the one DESCRIBE, outside the timing as for the exporter
        rest = spans[1:]
        chunks = [spans_to_columns(rest[i : i + INSERT_BATCH]) for i in range(0, len(rest), INSERT_BATCH)]
        tokens = [chunk.dedup_token() for chunk in chunks]
        pairs = list(zip(chunks, tokens, strict=True))
        return rates(len(rest), lambda: [writer.write(chunk, token) for chunk, token in pairs])

    results: dict[str, list[tuple[float, float]]] = {"exporter": [], "ceiling": [], "convert": [], "otlp": []}
    for _ in range(args.rounds):
        results["exporter"].append(through_exporter())
        results["ceiling"].append(ceiling())
        results["convert"].append(rates(len(spans), lambda: spans_to_columns(spans)))
        results["otlp"].append(rates(len(spans), lambda: encode_spans(spans).SerializeToString()))

    check = client.query("SELECT count() FROM bench_0.llm_calls").result_rows[0][0]
    client.close()
    wall = {name: statistics.median(r[0] for r in values) for name, values in results.items()}
    cpu = {name: statistics.median(r[1] for r in values) for name, values in results.items()}
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"\n{args.spans:,} LLM spans x {args.rounds} rounds, {len(COLUMN_NAMES)} columns, {cores} core(s), "
        f"chdb with all views on (llm_calls rows from round 1: {check:,}); medians\n"
    )
    print(f"| {'path':<58} | {'spans/s wall':>13} | {'spans/CPU-s':>12} | {'wall min..max':>19} |")
    print(f"|{'-' * 60}|{'-' * 15}|{'-' * 14}|{'-' * 21}|")
    labels = {
        "exporter": "ClickHouseSpanExporter: export(512) x N + force_flush",
        "ceiling": "ceiling: clickhouse-connect column insert, rows prebuilt",
        "convert": "spans_to_columns only (no insert)",
        "otlp": "OTLP protobuf encode_spans + SerializeToString",
    }
    for name, label in labels.items():
        walls = [r[0] for r in results[name]]
        span = f"{min(walls):,.0f}..{max(walls):,.0f}"
        print(f"| {label:<58} | {wall[name]:>13,.0f} | {cpu[name]:>12,.0f} | {span:>19} |")
    print(
        f"\nexporter / ceiling: {wall['exporter'] / wall['ceiling']:.0%} wall, "
        f"{cpu['exporter'] / cpu['ceiling']:.0%} CPU (goal >= 80%); "
        f"exporter: {wall['exporter']:,.0f} spans/s wall, {cpu['exporter']:,.0f} per CPU-second (goal >= 50,000)"
    )


if __name__ == "__main__":
    main()
