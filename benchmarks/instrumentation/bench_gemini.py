"""Per-call overhead on the google-genai client: otel-llm against the official instrumentation and OpenLLMetry.

    python benchmarks/instrumentation/bench_gemini.py [--rounds 5] [--calls 200] [--chunks 50]

Like ``bench_bedrock.py``, without network noise: the real ``genai.Client`` (request building,
pydantic validation and conversion, the SSE line parser, response models) runs in full, and only
the socket is replaced: ``HttpOptions(client_args={"transport": MockTransport(...)})`` (the SDK's
documented hook) hands its HTTP client a transport that replays bytes recorded once from the local
fake provider. The transport is from the library the SDK uses by default: ``httpx2`` from
google-genai 3, ``httpx`` before. Contenders, interleaved in shuffled order within each round, on
one TracerProvider with a BatchSpanProcessor (counting, discarding exporter) and a MeterProvider:

- ``baseline``: uninstrumented;
- ``otel-llm``: ``GoogleGenAIInstrumentor`` (priced span, metrics);
- ``official``: ``opentelemetry-instrumentation-google-genai``, when installed AND active: it
  declares google-genai 1.32 to 2.x and does nothing on 3.x, so that row needs an environment with
  google-genai 2 (``pip install -e ".[dev]" "google-genai>=2,<3" opentelemetry-instrumentation-google-genai``);
- ``openllmetry``: ``opentelemetry-instrumentation-google-generativeai`` (which wraps
  ``google.genai``), when installed.

Each contender runs with its shipped defaults (content capture included or not, as each ships).
Scenarios: ``generate_content`` and ``generate_content_stream`` with ``--chunks`` text chunks
(and a last one with the finish reason, as the API sends).
Printed: medians over rounds of each round's median µs per call, the overhead over the baseline of
the same round, and the spans each instrumentation scope exported (a contender that emitted
nothing measured nothing).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from google import genai
from google.genai import types
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from otel_llm.fake_provider import CHUNKS_HEADER, FakeProvider
from otel_llm.instrumentation.google_genai import GoogleGenAIInstrumentor

MODEL = "gemini-2.5-flash"
PROMPT = "Summarize the quarterly report in one sentence."
Recorded = tuple[int, dict[str, str], bytes]
_HOP_BY_HOP = {"transfer-encoding", "content-length", "connection", "date", "server"}


class _Count(SpanExporter):
    """Discards spans, counting them per instrumentation scope."""

    def __init__(self) -> None:
        self.by_scope: Counter[str] = Counter()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.by_scope.update(s.instrumentation_scope.name if s.instrumentation_scope else "?" for s in spans)
        return SpanExportResult.SUCCESS


def _record(chunks: int) -> dict[str, Recorded]:
    """Status, headers and body of the fake provider's reply to each method's request."""
    body = json.dumps({"contents": [{"role": "user", "parts": [{"text": PROMPT}]}]}).encode()
    out: dict[str, Recorded] = {}
    with FakeProvider() as fake:
        for method, suffix in (("generateContent", ""), ("streamGenerateContent", "?alt=sse")):
            request = urllib.request.Request(
                f"{fake.url}/v1beta/models/{MODEL}:{method}{suffix}",
                data=body,
                headers={CHUNKS_HEADER: str(chunks), "content-type": "application/json"},
                method="POST",
            )
            with urllib.request.urlopen(request) as reply:
                headers = {k: v for k, v in reply.headers.items() if k.lower() not in _HOP_BY_HOP}
                out[method] = (reply.status, headers, reply.read())
    return out


def _client(recorded: dict[str, Recorded]) -> genai.Client:
    """A real client whose HTTP sends are answered from ``recorded``, by the method in the URL."""
    # google-genai 3 defaults to httpx2 and picks the library of a given transport; 2.x uses httpx.
    http: Any
    if int(genai.__version__.split(".")[0]) >= 3:
        import httpx2 as http
    else:
        import httpx as http

    def replay(request: Any) -> Any:
        method = "streamGenerateContent" if ":streamGenerateContent" in request.url.path else "generateContent"
        status, headers, body = recorded[method]
        return http.Response(status, headers=headers, content=body)

    options = types.HttpOptions(base_url="http://replay.invalid", client_args={"transport": http.MockTransport(replay)})
    return genai.Client(api_key="bench", http_options=options)


def _scenarios(client: genai.Client) -> dict[str, Callable[[], object]]:
    def stream() -> object:
        return sum(1 for _ in client.models.generate_content_stream(model=MODEL, contents=PROMPT))

    return {
        "generate_content": lambda: client.models.generate_content(model=MODEL, contents=PROMPT),
        "generate_content_stream": stream,
    }


class _Switch:
    """Turns each contender on and off; one at a time."""

    def __init__(self, tracer_provider: TracerProvider, meter_provider: MeterProvider) -> None:
        self._providers = {"tracer_provider": tracer_provider, "meter_provider": meter_provider}
        self.notes: list[str] = []
        self._instrumentors: dict[str, Any] = {"otel-llm": GoogleGenAIInstrumentor()}
        for name, load in (("official", _official), ("openllmetry", _openllmetry)):
            instrumentor = load()
            if instrumentor is None:
                self.notes.append(f"{name}: not installed here, not in this run")
            elif self._activates(instrumentor):
                self._instrumentors[name] = instrumentor
            else:
                version = genai.__version__
                self.notes.append(f"{name}: inactive on google-genai {version} (outside its range), not in this run")

    def _activates(self, instrumentor: Any) -> bool:
        """Whether ``instrument()`` took: one refuses an SDK version outside its declared range."""
        instrumentor.instrument(**self._providers)
        active = bool(instrumentor.is_instrumented_by_opentelemetry)
        if active:
            instrumentor.uninstrument()
        return active

    @property
    def contenders(self) -> list[str]:
        return ["baseline", *self._instrumentors]

    def on(self, contender: str) -> None:
        if contender in self._instrumentors:
            self._instrumentors[contender].instrument(**self._providers)

    def off(self, contender: str) -> None:
        if contender in self._instrumentors:
            self._instrumentors[contender].uninstrument()


def _official() -> Any:
    try:
        from opentelemetry.instrumentation.google_genai import GoogleGenAiSdkInstrumentor
    except ImportError:
        return None
    return GoogleGenAiSdkInstrumentor()


def _openllmetry() -> Any:
    try:
        from opentelemetry.instrumentation.google_generativeai import GoogleGenerativeAiInstrumentor
    except ImportError:
        return None
    return GoogleGenerativeAiInstrumentor()


def _per_call_us(scenario: Callable[[], object], calls: int) -> float:
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        scenario()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--chunks", type=int, default=50)
    args = parser.parse_args(argv)

    exporter = _Count()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
    meter_provider = MeterProvider()
    scenarios = _scenarios(_client(_record(args.chunks)))
    switch = _Switch(tracer_provider, meter_provider)
    results: dict[tuple[str, str], list[float]] = defaultdict(list)
    for _ in range(args.rounds):
        order = switch.contenders
        random.shuffle(order)
        for contender in order:
            switch.on(contender)
            try:
                for name, scenario in scenarios.items():
                    for _ in range(10):  # warm up this contender's path
                        scenario()
                    results[(name, contender)].append(_per_call_us(scenario, args.calls))
            finally:
                switch.off(contender)
            tracer_provider.force_flush()  # export this block's spans outside the next one's timing

    print(f"google-genai {genai.__version__}, {args.rounds} rounds x {args.calls} calls, {args.chunks}-chunk stream")
    print("| scenario | contender | median µs | overhead µs |\n| --- | --- | ---: | ---: |")
    for name in scenarios:
        base = statistics.median(results[(name, "baseline")])
        for contender in switch.contenders:
            value = statistics.median(results[(name, contender)])
            print(f"| {name} | {contender} | {value:.1f} | {value - base:.1f} |")
    tracer_provider.shutdown()
    print("spans exported per scope:", dict(exporter.by_scope))
    for note in switch.notes:
        print(note)


if __name__ == "__main__":
    main()
