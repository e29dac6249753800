"""otel-llm's wrapper alone, in a hot loop: what the shared lifecycle (span, usage, price, metrics) costs.

    python benchmarks/instrumentation/bench_hotpath.py [--calls 20000] [--rounds 6] [--against DIR]

The SDK does no work here: the wrapper our instrumentor installs on google-genai's
``Models._generate_content``, on botocore's ``BaseClient._make_api_call`` (Bedrock ``Converse``
and ``InvokeModel`` with an Anthropic body) and on openai's ``Completions.create`` is called
around a callee that returns a response recorded once from the fake provider (a real
``GenerateContentResponse``, the parsed Converse dict, the InvokeModel body bytes, a real
``ChatCompletion``). Each call is timed with ``perf_counter_ns``; a round prints the median of
``--calls`` calls per scenario. Spans go to a BatchSpanProcessor (discarding exporter), metrics to
an in-memory reader, as in the other benchmarks.

``--against DIR`` compares two versions of the code on a loaded machine: DIR holds another
checkout's ``otel_llm`` (``git archive <rev> otel_llm | tar -x -C DIR``); rounds alternate
between a process importing it (``A``) and one importing this checkout (``B``), and the medians
over rounds are printed with B's saving. Same venv, same run, interleaved: the load drifts
equally over both.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from _harness import median_us

Scenario = Callable[[], object]


def _tracing() -> tuple[Any, Any]:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    class Discard(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(Discard()))
    return tracer_provider, MeterProvider(metric_readers=[InMemoryMetricReader()])


def _wrapper(table: Any, target: str, tracer_provider: Any, meter_provider: Any) -> Any:
    """The wrapper function our wrap table installs on ``target``, bound to a fresh Telemetry."""
    from otel_llm.instrumentation._lifecycle import Telemetry

    row = next(r for r in table if r.target == target)
    telemetry = Telemetry(tracer_provider.get_tracer("bench"), meter_provider.get_meter("bench"))
    return row.factory(telemetry)


def _gemini(tracer_provider: Any, meter_provider: Any) -> Scenario:
    from google import genai
    from google.genai import types

    from otel_llm.fake_provider import FakeProvider
    from otel_llm.instrumentation.google_genai._methods import ROWS

    with FakeProvider() as fake:
        client = genai.Client(api_key="bench", http_options=types.HttpOptions(base_url=fake.url))
        response = client.models.generate_content(model="gemini-2.5-flash", contents="Say hi.")
    wrapper = _wrapper(ROWS, "Models._generate_content", tracer_provider, meter_provider)
    instance = client.models
    kwargs = {"model": "gemini-2.5-flash", "contents": "Say hi.", "config": None}

    def callee(**_: Any) -> Any:
        return response

    return lambda: wrapper(callee, instance, (), kwargs)


def _bedrock(tracer_provider: Any, meter_provider: Any) -> dict[str, Scenario]:
    import boto3

    from otel_llm.fake_provider import FakeProvider
    from otel_llm.instrumentation.bedrock._methods import ROWS

    model = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
    messages = [{"role": "user", "content": [{"text": "Say hi."}]}]
    body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64, "messages": messages})
    with FakeProvider() as fake:
        client = boto3.client(
            "bedrock-runtime", region_name="us-east-1", endpoint_url=fake.url, aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
        converse = client.converse(modelId=model, messages=messages)
        invoke = client.invoke_model(modelId=model, body=body)
        invoke_bytes = invoke["body"].read()
    wrapper = _wrapper(ROWS, "BaseClient._make_api_call", tracer_provider, meter_provider)

    class Body:
        """What botocore returns as ``body``: read once."""

        def read(self) -> bytes:
            return invoke_bytes

    def converse_callee(operation: str, params: Any) -> Any:
        return dict(converse)

    def invoke_callee(operation: str, params: Any) -> Any:
        return {**invoke, "body": Body()}

    converse_args = ("Converse", {"modelId": model, "messages": messages})
    invoke_args = ("InvokeModel", {"modelId": model, "body": body})
    return {
        "bedrock converse": lambda: wrapper(converse_callee, client, converse_args, {}),
        "bedrock invoke_model": lambda: wrapper(invoke_callee, client, invoke_args, {}),
    }


def _openai(tracer_provider: Any, meter_provider: Any) -> Scenario:
    import openai

    from otel_llm.fake_provider import FakeProvider
    from otel_llm.instrumentation.openai._methods import rows
    from otel_llm.instrumentation.openai._settings import OpenAISettings

    messages = [{"role": "user", "content": "Say hi."}]
    with FakeProvider() as fake:
        client = openai.OpenAI(base_url=fake.openai_base_url, api_key="bench")
        response = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    wrapper = _wrapper(rows(OpenAISettings()), "Completions.create", tracer_provider, meter_provider)
    instance = client.chat.completions
    kwargs = {"model": "gpt-4o-mini", "messages": messages}

    def callee(**_: Any) -> Any:
        return response

    return lambda: wrapper(callee, instance, (), kwargs)


def _median_ns(scenario: Scenario, calls: int) -> float:
    # A tenth as many untimed calls first: caches, the price book's first lookup.
    return median_us(scenario, calls, calls // 10, time.perf_counter_ns) * 1000


def _worker(calls: int) -> dict[str, float]:
    tracer_provider, meter_provider = _tracing()
    scenarios = {
        "gemini generate_content": _gemini(tracer_provider, meter_provider),
        **_bedrock(tracer_provider, meter_provider),
        "openai chat": _openai(tracer_provider, meter_provider),
    }
    return {name: _median_ns(scenario, calls) / 1000 for name, scenario in scenarios.items()}


def _run(calls: int, pythonpath: str | None) -> dict[str, float]:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    command = [sys.executable, __file__, "--worker", "--calls", str(calls)]
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    source, results = out.stdout.strip().splitlines()[-2:]
    if pythonpath and not source.startswith(pythonpath):
        raise SystemExit(f"the A process imported {source}, not {pythonpath}")
    return json.loads(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--against", help="a directory holding another checkout's otel_llm (A)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        import otel_llm

        print(os.path.dirname(otel_llm.__file__))
        print(json.dumps(_worker(args.calls)))
        return
    variants = {"A": args.against, "B": None} if args.against else {"B": None}
    rounds: dict[str, list[dict[str, float]]] = {v: [] for v in variants}
    for _ in range(args.rounds):
        for variant, path in variants.items():
            rounds[variant].append(_run(args.calls, path))
    scenarios = list(rounds["B"][0])
    print(f"median over {args.rounds} rounds of each round's median of {args.calls} calls, µs per call")
    for scenario in scenarios:
        medians = {v: statistics.median(r[scenario] for r in rounds[v]) for v in variants}
        line = f"{scenario:26} " + "  ".join(f"{v} {m:6.1f}" for v, m in medians.items())
        if "A" in medians:
            line += f"  saving {medians['A'] - medians['B']:5.1f} ({1 - medians['B'] / medians['A']:.0%})"
        print(line)


if __name__ == "__main__":
    main()
