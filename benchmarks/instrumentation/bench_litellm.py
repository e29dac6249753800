"""Per-call overhead on LiteLLM: otel-llm against OpenLLMetry's and OpenInference's LiteLLM instrumentations.

    benchmarks/.venvs/litellm/bin/python benchmarks/instrumentation/bench_litellm.py [--slots 40] [--calls 20]

The environment (one venv, every contender on the same litellm, openai and OpenTelemetry SDK)::

    python3 -m venv benchmarks/.venvs/litellm
    benchmarks/.venvs/litellm/bin/pip install litellm==1.110.2 openai==3.63.0 opentelemetry-sdk==1.45.2 \\
        opentelemetry-instrumentation-litellm==0.62.4 openinference-instrumentation-litellm==0.1.51
    benchmarks/.venvs/litellm/bin/pip install -e .

Without network noise: LiteLLM runs in full (routing, parameter mapping, its logging objects and
cost calculation, response normalization, its stream wrapper) and only the socket is replaced,
through the ``client=`` argument LiteLLM documents: an openai client over an ``httpx2``
``MockTransport`` for the ``openai/`` route, LiteLLM's own ``HTTPHandler`` over an ``httpx``
``MockTransport`` for the ``anthropic/`` route, each replaying bytes recorded once from the local
fake provider. Contenders, alternating in short shuffled slots, on one TracerProvider
with a BatchSpanProcessor (counting, discarding exporter) and a MeterProvider:

- ``baseline``: uninstrumented;
- ``otel-llm``: ``LiteLLMInstrumentor`` with the openai instrumentor on too, as
  ``opentelemetry-instrument`` loads both (the openai SDK call inside LiteLLM passes through);
- ``openllmetry``: ``opentelemetry-instrumentation-litellm``;
- ``openinference``: ``openinference-instrumentation-litellm``.

Each runs with its shipped defaults. Measured: the process's CPU time per call (all its threads),
not wall time: on a shared machine wall time mostly measures the neighbours' load. Printed: the
median over slots of each slot's CPU µs per call, the overhead over the baseline of the same slot
(median over slots), and the spans per call each contender
exported (by scope), so a contender that emitted nothing, or two spans a call, shows.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # read on import: no price-map download

import httpx  # LiteLLM's own HTTP client library
import httpx2  # the openai SDK's
import litellm
import openai
from _harness import CountingExporter
from litellm.llms.custom_httpx.http_handler import HTTPHandler
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from otel_llm.fake_provider import CHUNKS_HEADER, FakeProvider
from otel_llm.instrumentation.litellm import LiteLLMInstrumentor
from otel_llm.instrumentation.openai import OpenAIInstrumentor

MESSAGES = [{"role": "user", "content": "Summarize the quarterly report in one sentence."}]
Recorded = tuple[int, dict[str, str], bytes]
_HOP_BY_HOP = {"transfer-encoding", "content-length", "connection", "date", "server"}
_BODIES = {
    "openai": ("/v1/chat/completions", {"model": "gpt-4o-mini", "messages": MESSAGES}),
    "anthropic": ("/v1/messages", {"model": "claude-sonnet-4-5", "max_tokens": 1024, "messages": MESSAGES}),
    "anthropic-stream": (
        "/v1/messages",
        {"model": "claude-sonnet-4-5", "max_tokens": 1024, "messages": MESSAGES, "stream": True},
    ),
}


def _record(chunks: int) -> dict[str, Recorded]:
    """Status, headers and body of the fake provider's reply to each scenario's request."""
    out: dict[str, Recorded] = {}
    with FakeProvider() as fake:
        for name, (path, body) in _BODIES.items():
            request = urllib.request.Request(
                fake.url + path,
                data=json.dumps(body).encode(),
                headers={CHUNKS_HEADER: str(chunks), "content-type": "application/json"},
                method="POST",
            )
            with urllib.request.urlopen(request) as reply:
                headers = {k: v for k, v in reply.headers.items() if k.lower() not in _HOP_BY_HOP}
                out[name] = (reply.status, headers, reply.read())
    return out


def _scenarios(recorded: dict[str, Recorded]) -> dict[str, Callable[[], object]]:
    def replay(http: Any, name: Callable[[Any], str]) -> Any:
        def answer(request: Any) -> Any:
            status, headers, body = recorded[name(request)]
            return http.Response(status, headers=headers, content=body)

        return http.MockTransport(answer)

    openai_client = openai.OpenAI(
        api_key="bench",
        base_url="http://replay.invalid/v1",
        http_client=openai.DefaultHttpxClient(transport=replay(httpx2, lambda _: "openai")),
    )
    streamed = '"stream":true'
    anthropic_client = HTTPHandler(
        client=httpx.Client(
            transport=replay(httpx, lambda r: "anthropic-stream" if streamed in r.content.decode() else "anthropic")
        )
    )
    anthropic_route = {
        "model": "anthropic/claude-sonnet-4-5",
        "api_key": "bench",
        "api_base": "http://replay.invalid",
        "client": anthropic_client,
    }

    def stream() -> object:
        return sum(1 for _ in litellm.completion(messages=MESSAGES, stream=True, **anthropic_route))

    return {
        "openai/ completion": lambda: litellm.completion(
            model="openai/gpt-4o-mini", messages=MESSAGES, api_key="bench", client=openai_client
        ),
        "anthropic/ completion": lambda: litellm.completion(messages=MESSAGES, **anthropic_route),
        "anthropic/ stream": stream,
    }


def _contenders() -> tuple[dict[str, list[Any]], list[str]]:
    """The instrumentors of each contender, and a note for each one not installed here."""
    contenders: dict[str, list[Any]] = {
        "baseline": [],
        "otel-llm": [LiteLLMInstrumentor(), OpenAIInstrumentor()],
    }
    notes = []
    try:
        from opentelemetry.instrumentation.litellm import LiteLLMInstrumentor as OpenLLMetry

        contenders["openllmetry"] = [OpenLLMetry()]
    except ImportError:
        notes.append("openllmetry: opentelemetry-instrumentation-litellm not installed here, not in this run")
    try:
        from openinference.instrumentation.litellm import LiteLLMInstrumentor as OpenInference

        contenders["openinference"] = [OpenInference()]
    except ImportError:
        notes.append("openinference: openinference-instrumentation-litellm not installed here, not in this run")
    return contenders, notes


def _cpu_us_per_call(scenario: Callable[[], object], calls: int) -> float:
    """The process's CPU time per call over ``calls`` calls: every thread's (LiteLLM's logging
    workers, the span processor's exporter thread), and none of the other processes' on a shared
    machine, where wall time mostly measures the neighbours."""
    start = time.process_time()
    for _ in range(calls):
        scenario()
    return (time.process_time() - start) / calls * 1e6


def _our_work_us(response: object, providers: dict[str, Any], calls: int = 2000) -> float:
    """otel-llm's own work per call, without LiteLLM's: our ``completion`` wrapper around a function
    that returns an already-built response, in a tight loop (span, attributes, price, metrics)."""
    from otel_llm.instrumentation.litellm._methods import ROWS

    instrumentor = LiteLLMInstrumentor()
    instrumentor.instrument(**providers)
    try:
        assert instrumentor.telemetry is not None
        wrapper = next(r for r in ROWS if r.module == "litellm" and r.target == "completion").factory(
            instrumentor.telemetry
        )
        kwargs = {"model": "anthropic/claude-sonnet-4-5", "messages": MESSAGES, "api_key": "bench"}
        times = []
        for _ in range(calls):
            start = time.perf_counter()
            wrapper(lambda **_: response, None, (), kwargs)
            times.append(time.perf_counter() - start)
    finally:
        instrumentor.uninstrument()
    return statistics.median(times) * 1e6


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--slots", type=int, default=40, help="paired slots: every contender once per slot")
    parser.add_argument("--calls", type=int, default=20, help="calls per contender, scenario and slot")
    parser.add_argument("--chunks", type=int, default=50)
    args = parser.parse_args(argv)

    exporter = CountingExporter()
    tracer_provider = TracerProvider()
    processor = BatchSpanProcessor(exporter)
    tracer_provider.add_span_processor(processor)
    providers = {"tracer_provider": tracer_provider, "meter_provider": MeterProvider()}
    scenarios = _scenarios(_record(args.chunks))
    contenders, notes = _contenders()
    results: dict[tuple[str, str], list[float]] = defaultdict(list)
    spans: dict[str, Counter[str]] = defaultdict(Counter)
    calls_made: Counter[str] = Counter()
    for scenario in scenarios.values():
        for _ in range(20):  # LiteLLM's own first calls (imports, client caches) are not anyone's overhead
            scenario()
    # The machine's load drifts over seconds, LiteLLM's calls take milliseconds and the overheads
    # are tenths of that: so contenders alternate in short slots (shuffled each time), and each
    # contender's overhead is the median over slots of its slot median minus the baseline's.
    for _ in range(args.slots):
        for name, scenario in scenarios.items():
            order = list(contenders)
            random.shuffle(order)
            for contender in order:
                for instrumentor in contenders[contender]:
                    instrumentor.instrument(**providers)
                processor.force_flush()
                before = Counter(exporter.by_scope)
                try:
                    scenario()  # warm this contender's path
                    results[(name, contender)].append(_cpu_us_per_call(scenario, args.calls))
                    calls_made[contender] += 1 + args.calls
                finally:
                    for instrumentor in reversed(contenders[contender]):
                        instrumentor.uninstrument()
                processor.force_flush()
                spans[contender].update(exporter.by_scope - before)

    print(", ".join(f"{name} {version(name)}" for name in ("litellm", "openai", "opentelemetry-sdk")))
    print(f"{args.slots} slots x {args.calls} calls per contender and scenario, streams of {args.chunks} chunks\n")
    print("| scenario | contender | CPU µs per call | overhead µs (median of paired slots) |")
    print("| --- | --- | ---: | ---: |")
    for name in scenarios:
        base_slots = results[(name, "baseline")]
        for contender in contenders:
            slots = results[(name, contender)]
            overhead = statistics.median(r - b for r, b in zip(slots, base_slots, strict=True))
            print(f"| {name} | {contender} | {statistics.median(slots):.1f} | {overhead:.1f} |")
    print("\nspans per call, by scope:")
    for contender in contenders:
        per_call = {scope: round(n / calls_made[contender], 2) for scope, n in spans[contender].items()}
        print(f"  {contender}: {per_call or 'none'}")
    for note in notes:
        print(note)
    response = scenarios["anthropic/ completion"]()
    print(f"\notel-llm's own work per completion (tight loop, no LiteLLM): {_our_work_us(response, providers):.1f} µs")


if __name__ == "__main__":
    main()
