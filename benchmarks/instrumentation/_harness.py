"""The in-process overhead harness behind ``bench_gemini.py``, ``bench_bedrock.py`` and ``bench_providers.py``.

A benchmark module supplies a :class:`Suite`: the instrumentations to compare (each an
OpenTelemetry instrumentor switched on and off in this process) and a function that records the
fake provider's replies once and returns a builder of its scenarios. :func:`main` runs one or
more suites the one way every such benchmark on this shared machine must run, and prints the table:

- one TracerProvider (a BatchSpanProcessor whose exporter counts and discards) and one
  MeterProvider for every contender, so differences come from the instrumentations alone; the
  MeterProvider has no reader, as ``OTEL_METRICS_EXPORTER=none`` builds it (otel-llm then records
  no points; the peers record theirs into nothing), or, with ``--metric-reader``, one that
  aggregates every point, as with a metrics exporter;
- rounds, the contenders in a new random order each round, each contender switched on for one
  block of ``--calls`` calls per scenario and off again: drift of a machine shared with other
  work hits every contender alike, and no contender's wrappers stay installed under another's;
- the scenarios are BUILT after the contender is switched on, because some instrumentations only
  see clients created after ``instrument()`` (OpenLLMetry's Bedrock one wraps ``create_client``);
- per block the median µs per call; per contender the median over rounds, and its overhead as the
  median over rounds of (its block - the baseline block of the same round), with the ratio to
  otel-llm's overhead from the same rounds: paired differences, so a load change between rounds
  cancels out. ``--clock cpu`` times the calling thread's CPU time instead of the wall clock
  (another process's work then costs nothing; the exporter thread's neither);
- the spans each instrumentation scope exported, so a contender that silently did nothing shows
  up as 0, not as a fast row; a contender not installed, or inactive on the installed SDK (an
  instrumentor refuses an SDK outside its declared range without raising), has no row for that
  suite's scenarios and a line saying why.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from otel_llm.fake_provider import CHUNKS_HEADER

__all__ = [
    "BASELINE", "OURS", "SYSTEM", "TURNS", "Candidate", "Contender", "Results", "Suite", "main", "recorded_reply",
    "run", "table",
]

BASELINE = "baseline"
# A realistic conversation for the "chat of 9 turns" scenarios: a 1.6 KB system prompt, eight
# earlier turns of about 230 characters, and the question (roles as Bedrock and OpenAI name them).
SYSTEM = (
    "You are the support assistant of Acme Corp. Answer briefly, cite the policy section, and never "
    "promise refunds beyond the policy. "
) * 12
_EARLIER = "Some earlier part of the conversation about an order. " * 4
TURNS = [("user" if i % 2 == 0 else "assistant", f"Turn {i}: {_EARLIER}") for i in range(8)]
TURNS.append(("user", "So, can I return the blender I bought 40 days ago?"))
OURS = "otel-llm"
Scenario = Callable[[], object]
ScenarioBuilder = Callable[[], Mapping[str, Scenario]]
_CLOCKS: dict[str, Callable[[], int]] = {"wall": time.perf_counter_ns, "cpu": time.thread_time_ns}
# Headers of the recorded reply that describe that one HTTP exchange, not the response: left out.
_HOP_BY_HOP = {"transfer-encoding", "content-length", "connection", "date", "server"}


def recorded_reply(url: str, body: str, chunks: int) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of the fake provider's reply to one POST, for a scenario to replay."""
    headers = {CHUNKS_HEADER: str(chunks), "content-type": "application/json"}
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    with urllib.request.urlopen(request) as reply:
        kept = {k: v for k, v in reply.headers.items() if k.lower() not in _HOP_BY_HOP}
        return reply.status, kept, reply.read()


@dataclass(frozen=True)
class Candidate:
    """One instrumentation of one suite: its row name, a function returning the instrumentor
    (raising ImportError when it is not installed), notes for scenarios it skips by design, and
    ``only``: the scenarios it is measured on (None: all of its suite's)."""

    name: str
    make: Callable[[], Any]
    notes: Mapping[str, str] = field(default_factory=dict)
    only: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Suite:
    """One SDK's benchmark: its candidates, its scenario names, and how to get its scenarios.

    ``prepare(args)`` records what the scenarios replay (once) and returns the builder, which the
    harness calls after each contender is switched on.
    """

    title: Callable[[argparse.Namespace], str]
    scenarios: tuple[str, ...]
    candidates: tuple[Candidate, ...]
    prepare: Callable[[argparse.Namespace], ScenarioBuilder]


@dataclass
class Contender:
    """One row name of the table: the instrumentors it switches on together (one per suite)."""

    name: str
    instrumentors: list[Any] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)
    # Scenarios of a suite this contender has no instrumentor for here (not installed, inactive).
    absent: set[str] = field(default_factory=set)

    def on(self, tracer_provider: TracerProvider, meter_provider: MeterProvider) -> None:
        for instrumentor in self.instrumentors:
            instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)

    def off(self) -> None:
        for instrumentor in self.instrumentors:
            instrumentor.uninstrument()


def _instrumentor(candidate: Candidate) -> Any:
    """The candidate's instrumentor if it can take part here, else the line that says why not."""
    try:
        instrumentor = candidate.make()
    except ImportError as exc:
        return f"{candidate.name}: {exc.name} not installed here"
    instrumentor.instrument(tracer_provider=TracerProvider(), meter_provider=MeterProvider())
    if not instrumentor.is_instrumented_by_opentelemetry:
        return f"{candidate.name}: {type(instrumentor).__name__} inactive on the SDK version installed here"
    instrumentor.uninstrument()
    return instrumentor


def contenders(suites: Sequence[Suite]) -> tuple[list[Contender], list[str]]:
    """The baseline and one contender per name across suites; and a line per instrumentor left out."""
    rows: dict[str, Contender] = {BASELINE: Contender(BASELINE)}
    left_out = []
    for suite in suites:
        for candidate in suite.candidates:
            row = rows.setdefault(candidate.name, Contender(candidate.name))
            instrumentor = _instrumentor(candidate)
            if isinstance(instrumentor, str):
                left_out.append(f"{instrumentor}: no row for {', '.join(suite.scenarios)}")
                row.absent.update(suite.scenarios)
            else:
                row.instrumentors.append(instrumentor)
                row.notes.update(candidate.notes)
                if candidate.only is not None:
                    row.absent.update(name for name in suite.scenarios if name not in candidate.only)
    return [row for row in rows.values() if row.name == BASELINE or row.instrumentors], left_out


class CountingExporter(SpanExporter):
    """Discards spans, counting them per instrumentation scope."""

    def __init__(self) -> None:
        self.by_scope: Counter[str] = Counter()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.by_scope.update(s.instrumentation_scope.name if s.instrumentation_scope else "?" for s in spans)
        return SpanExportResult.SUCCESS


@dataclass
class Results:
    """Per (scenario, contender): the median µs per call of each round's block, in round order."""

    contenders: list[Contender]
    scenarios: list[str]
    rounds: dict[tuple[str, str], list[float]]
    spans_by_scope: dict[str, int]
    settings: str


def median_us(scenario: Scenario, calls: int, warmup: int, clock: Callable[[], int]) -> float:
    """The median µs of ``calls`` timed calls of ``scenario`` after ``warmup`` untimed ones."""
    for _ in range(warmup):
        scenario()
    samples = []
    for _ in range(calls):
        start = clock()
        scenario()
        samples.append(clock() - start)
    return statistics.median(samples) / 1000


def run(rows: Sequence[Contender], build_scenarios: ScenarioBuilder, args: argparse.Namespace) -> Results:
    """Every contender's block of every scenario, interleaved over ``args.rounds`` shuffled rounds."""
    exporter = CountingExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
    # No reader by default, as ``OTEL_METRICS_EXPORTER=none`` (the README's commands) builds it;
    # ``--metric-reader``: one that aggregates every point, as a metrics exporter would.
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()] if args.metric_reader else [])
    clock = _CLOCKS[args.clock]
    rounds: dict[tuple[str, str], list[float]] = defaultdict(list)
    names: list[str] = []
    for _ in range(args.rounds):
        for contender in random.sample(list(rows), len(rows)):
            contender.on(tracer_provider, meter_provider)
            try:
                scenarios = build_scenarios()
                names = names or list(scenarios)
                for name, scenario in scenarios.items():
                    if name not in contender.absent:
                        rounds[(name, contender.name)].append(median_us(scenario, args.calls, args.warmup, clock))
            finally:
                contender.off()
            tracer_provider.force_flush()  # export this block's spans outside the next block's timing
    tracer_provider.shutdown()
    meter_provider.shutdown()
    settings = f"{args.rounds} rounds x {args.calls} calls, {args.clock} clock"
    settings += ", metrics read" if args.metric_reader else ", no metric reader"
    return Results(list(rows), names, dict(rounds), dict(exporter.by_scope), settings)


def table(results: Results) -> str:
    """The markdown table: median µs, overhead over the same round's baseline, and x otel-llm."""
    lines = [
        "| scenario | contender | median µs | overhead µs | x otel-llm |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for scenario in results.scenarios:
        base = results.rounds[(scenario, BASELINE)]
        present = [c for c in results.contenders if (scenario, c.name) in results.rounds]
        overheads = {
            c.name: statistics.median([a - b for a, b in zip(results.rounds[(scenario, c.name)], base, strict=True)])
            for c in present
        }
        ours = overheads.get(OURS)
        for contender in present:
            median = statistics.median(results.rounds[(scenario, contender.name)])
            overhead = overheads[contender.name]
            ratio = f"{overhead / ours:.2f}" if ours and ours > 0 and contender.name != BASELINE else ""
            name = f"**{contender.name}**" if contender.name == OURS else contender.name
            if scenario in contender.notes:
                name += f" ({contender.notes[scenario]})"
            lines.append(f"| {scenario} | {name} | {median:.1f} | {overhead:.1f} | {ratio} |")
    return "\n".join(lines)


def main(suites: Sequence[Suite], description: str, argv: list[str] | None = None) -> None:
    """Parse the common options, run the suites' scenarios interleaved in one run, print the report."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rounds", type=int, default=7, help="rounds; each runs every contender once, shuffled")
    parser.add_argument("--calls", type=int, default=100, help="timed calls per scenario per block")
    parser.add_argument("--warmup", type=int, default=10, help="untimed calls per scenario before each block")
    parser.add_argument("--clock", choices=sorted(_CLOCKS), default="wall", help="wall clock or thread CPU time")
    parser.add_argument("--chunks", type=int, default=50, help="text chunks (deltas) per streamed reply")
    parser.add_argument("--metric-reader", action="store_true",
                        help="give the MeterProvider a reader (default: none, as OTEL_METRICS_EXPORTER=none)")
    args = parser.parse_args(argv)

    builders = [suite.prepare(args) for suite in suites]
    rows, left_out = contenders(suites)

    def build() -> dict[str, Scenario]:
        return {name: scenario for builder in builders for name, scenario in builder().items()}

    results = run(rows, build, args)
    print("; ".join(suite.title(args) for suite in suites) + f"; {results.settings}")
    print(table(results))
    print(f"spans exported per scope: {results.spans_by_scope}")
    for line in left_out:
        print(line)
