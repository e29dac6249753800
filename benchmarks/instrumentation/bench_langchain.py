"""Per-call overhead on a LangChain chain: otel-llm against OpenLLMetry and OpenInference.

One virtual environment holds every contender on the same versions (they are switched on and off
in turn inside one process, so no version can differ)::

    python3.11 -m venv benchmarks/.venvs/langchain
    benchmarks/.venvs/langchain/bin/pip install langchain-core==1.8.3 langchain-openai==1.8.1 openai==3.63.0 \\
        opentelemetry-sdk opentelemetry-instrumentation-langchain openinference-instrumentation-langchain
    benchmarks/.venvs/langchain/bin/pip install -e .
    benchmarks/.venvs/langchain/bin/python benchmarks/instrumentation/bench_langchain.py [--rounds 7] [--calls 200]

The chain is ``prompt | ChatOpenAI | StrOutputParser`` invoked once per call. Each (round,
contender) runs in a fresh process (OpenLLMetry's ``uninstrument`` leaves its callback handler
active, so contenders cannot take turns in one process), contenders shuffled within a round. No network noise:
the real openai SDK runs in full and only the socket is replaced, by a transport of the HTTP
library the SDK uses that replays bytes recorded once from the local fake provider. Each contender
runs on a TracerProvider with a BatchSpanProcessor (counting, discarding exporter) and a MeterProvider:

- ``baseline``: uninstrumented LangChain;
- ``otel-llm``: ``OpenAIInstrumentor`` + ``LangChainInstrumentor`` (the openai span carries the
  usage and cost, named by the chain);
- ``openllmetry``: ``opentelemetry-instrumentation-langchain`` (its callback spans; it suppresses
  the provider instrumentation below, so it is run alone);
- ``openinference``: ``openinference-instrumentation-langchain``.

Each runs with its shipped defaults (the peers capture message content by default, otel-llm does
not). Printed: medians over rounds of each round's median µs per call, the overhead over the
baseline of the same round, and the spans per call each instrumentation scope exported.
"""

from __future__ import annotations

import argparse
import importlib
import json
import random
import statistics
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from typing import Any

import openai
from _harness import CountingExporter
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_openai import ChatOpenAI
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from otel_llm.fake_provider import FakeProvider

MODEL = "gpt-4o-mini"
_HOP_BY_HOP = {"transfer-encoding", "content-length", "connection", "date", "server"}


def _record() -> tuple[int, dict[str, str], bytes]:
    body = {"model": MODEL, "messages": [{"role": "user", "content": "Summarize the report."}]}
    with FakeProvider() as fake:
        request = urllib.request.Request(
            f"{fake.openai_base_url}/chat/completions",
            data=json.dumps(body).encode(),
            headers={"content-type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request) as reply:
            headers = {k: v for k, v in reply.headers.items() if k.lower() not in _HOP_BY_HOP}
            return reply.status, headers, reply.read()


def _replaying_client(recorded: tuple[int, dict[str, str], bytes]) -> Any:
    """The SDK's own HTTP client class, on a transport that answers every request with ``recorded``."""
    library = next(c for c in type(openai.DefaultHttpxClient()).__mro__ if not c.__module__.startswith("openai"))
    http = importlib.import_module(library.__module__.split(".")[0])  # httpx or httpx2, whichever the SDK uses
    status, headers, content = recorded
    transport = http.MockTransport(lambda request: http.Response(status, headers=headers, content=content))
    return openai.DefaultHttpxClient(transport=transport)


def _switch_on(name: str, tracer_provider: TracerProvider, meter_provider: MeterProvider) -> None:
    kwargs = {"tracer_provider": tracer_provider, "meter_provider": meter_provider}
    if name == "otel-llm":
        from otel_llm.instrumentation.langchain import LangChainInstrumentor
        from otel_llm.instrumentation.openai import OpenAIInstrumentor

        OpenAIInstrumentor().instrument(**kwargs)
        LangChainInstrumentor().instrument(**kwargs)
    elif name == "openllmetry":
        from opentelemetry.instrumentation.langchain import LangchainInstrumentor

        LangchainInstrumentor().instrument(**kwargs)
    elif name == "openinference":
        from openinference.instrumentation.langchain import LangChainInstrumentor as OpenInference

        OpenInference().instrument(**kwargs)


def _time(chain: Any, calls: int) -> tuple[float, float]:
    """Median µs per call: wall clock, and this thread's CPU time (steadier on a loaded machine:
    time spent waiting for a core is not counted; the span export thread is not either)."""
    wall, cpu = [], []
    for i in range(calls):
        start, start_cpu = time.perf_counter(), time.thread_time()
        chain.invoke({"question": f"Summarize report {i}."})
        cpu.append(time.thread_time() - start_cpu)
        wall.append(time.perf_counter() - start)
    return statistics.median(wall) * 1e6, statistics.median(cpu) * 1e6


def worker(name: str, calls: int, recorded: tuple[int, dict[str, str], bytes]) -> dict[str, Any]:
    """One contender in this process: median µs per call and spans per call by scope."""
    counter = CountingExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(counter))
    meter_provider = MeterProvider()
    _switch_on(name, tracer_provider, meter_provider)
    model = ChatOpenAI(model=MODEL, api_key="bench-key", http_client=_replaying_client(recorded))
    chain = (
        ChatPromptTemplate.from_messages([("system", "Be brief."), ("user", "{question}")]) | model | StrOutputParser()
    ).with_config(run_name="summarize")
    _time(chain, 30)  # warm up
    tracer_provider.force_flush()
    counter.by_scope.clear()
    median, cpu = _time(chain, calls)
    tracer_provider.force_flush()
    return {"median_us": median, "cpu_us": cpu, "spans": {scope: n / calls for scope, n in counter.by_scope.items()}}


CONTENDERS = ("baseline", "otel-llm", "openllmetry", "openinference")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--worker", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--recorded", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        status, headers, body = json.loads(args.recorded)
        print(json.dumps(worker(args.worker, args.calls, (status, headers, body.encode()))))
        return

    status, headers, body = _record()
    recorded = json.dumps([status, headers, body.decode()])
    medians: dict[str, list[float]] = defaultdict(list)
    overheads: dict[str, list[float]] = defaultdict(list)
    cpu_overheads: dict[str, list[float]] = defaultdict(list)
    spans: dict[str, dict[str, float]] = {}
    for _ in range(args.rounds):
        order = list(CONTENDERS)
        random.shuffle(order)
        this_round = {}
        for name in order:
            argv = [sys.executable, __file__, "--worker", name, "--calls", str(args.calls), "--recorded", recorded]
            done = subprocess.run(argv, capture_output=True, text=True, check=True)
            result = json.loads(done.stdout.strip().splitlines()[-1])
            this_round[name] = (result["median_us"], result["cpu_us"])
            spans[name] = result["spans"]
        for name, (wall, cpu) in this_round.items():
            medians[name].append(wall)
            overheads[name].append(wall - this_round["baseline"][0])
            cpu_overheads[name].append(cpu - this_round["baseline"][1])

    print(f"{args.rounds} rounds x {args.calls} calls; medians over rounds of each round's median")
    print("| contender | median µs | overhead µs | CPU overhead µs | spans per call, by scope |")
    print("| --- | ---: | ---: | ---: | --- |")
    for name in sorted(CONTENDERS, key=lambda n: statistics.median(overheads[n])):
        per_call = ", ".join(f"{scope} {n:.2f}" for scope, n in sorted(spans[name].items())) or "none"
        median, overhead = statistics.median(medians[name]), statistics.median(overheads[name])
        print(f"| {name} | {median:.1f} | {overhead:.1f} | {statistics.median(cpu_overheads[name]):.1f} | {per_call} |")


if __name__ == "__main__":
    main()
