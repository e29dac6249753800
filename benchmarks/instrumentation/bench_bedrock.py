"""Per-call overhead on boto3's bedrock-runtime client: otel-llm against the official botocore instrumentation.

    python benchmarks/instrumentation/bench_bedrock.py [--rounds 5] [--calls 200] [--chunks 50]

Like ``bench_inprocess.py``, without network noise: the real boto3 client (request building,
SigV4 signing, retries handler, response parsing, botocore's eventstream parser) runs in full,
and only the HTTP send is replaced, through botocore's own ``before-send`` event, by bytes recorded
once from the local fake provider. Contenders, interleaved in shuffled order within each round,
on one TracerProvider with a BatchSpanProcessor (discarding exporter) and a MeterProvider:

- ``baseline``: uninstrumented;
- ``otel-llm``: ``BedrockInstrumentor`` (priced span, metrics);
- ``official``: ``opentelemetry-instrumentation-botocore`` with its Bedrock extension
  (gen_ai span and metrics), when installed;
- ``s3 baseline`` / ``s3 otel-llm``: a non-Bedrock call (S3 ``list_buckets``, replayed the same
  way), to show what our filter costs every other AWS call.

Scenarios: ``converse``, ``converse_stream`` with ``--chunks`` text deltas, ``invoke_model``
(an Anthropic body). Printed: medians over rounds of each round's median µs per call, and the
overhead over the baseline of the same round. OpenLLMetry's Bedrock instrumentation is not in
this run (it needs its own environment, as in ``bench_overhead.py``).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import time
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from otel_llm.fake_provider import CHUNKS_HEADER, FakeProvider
from otel_llm.instrumentation.bedrock import BedrockInstrumentor

MODEL = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Summarize the quarterly report in one sentence."}]}]
ANTHROPIC_BODY = json.dumps(
    {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64, "messages": [{"role": "user", "content": "Hi."}]}
)
Recorded = tuple[int, dict[str, str], bytes]


class _Discard(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


class _Raw(io.BytesIO):
    """What botocore reads a response body from (``stream()``, or ``read()`` for a blob), over recorded bytes."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.getvalue()


def _record(chunks: int) -> dict[str, Recorded]:
    """Status, headers and body of each operation's reply from the fake provider."""
    out: dict[str, Recorded] = {}
    with FakeProvider() as fake:
        for name, path, body in (
            ("converse", f"/model/{MODEL}/converse", json.dumps({"messages": MESSAGES})),
            ("converse_stream", f"/model/{MODEL}/converse-stream", json.dumps({"messages": MESSAGES})),
            ("invoke_model", f"/model/{MODEL}/invoke", ANTHROPIC_BODY),
        ):
            request = urllib.request.Request(
                fake.url + path, data=body.encode(), headers={CHUNKS_HEADER: str(chunks)}, method="POST"
            )
            with urllib.request.urlopen(request) as reply:
                out[name] = (reply.status, dict(reply.headers.items()), reply.read())
    out["list_buckets"] = (200, {"content-type": "application/xml"}, b"<ListAllMyBucketsResult/>")
    return out


def _clients(recorded: dict[str, Recorded]) -> tuple[Any, Any]:
    def replay(request: Any, **_: Any) -> AWSResponse:
        path = request.url.rsplit("/", 1)[-1]
        key = {"converse": "converse", "converse-stream": "converse_stream", "invoke": "invoke_model"}.get(
            path, "list_buckets"
        )
        status, headers, body = recorded[key]
        return AWSResponse(request.url, status, headers, _Raw(body))

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    bedrock = boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url="http://replay.invalid")
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url="http://replay.invalid")
    for client in (bedrock, s3):
        client.meta.events.register("before-send", replay)
    return bedrock, s3


def _scenarios(bedrock: Any, s3: Any) -> dict[str, Callable[[], object]]:
    def converse_stream() -> object:
        return sum(1 for _ in bedrock.converse_stream(modelId=MODEL, messages=MESSAGES)["stream"])

    return {
        "converse": lambda: bedrock.converse(modelId=MODEL, messages=MESSAGES),
        "converse_stream": converse_stream,
        "invoke_model": lambda: bedrock.invoke_model(modelId=MODEL, body=ANTHROPIC_BODY)["body"].read(),
        "s3 list_buckets": lambda: s3.list_buckets(),
    }


class _Switch:
    """Turns each contender on and off; one at a time."""

    def __init__(self, tracer_provider: TracerProvider, meter_provider: MeterProvider) -> None:
        self._providers = {"tracer_provider": tracer_provider, "meter_provider": meter_provider}
        self._ours = BedrockInstrumentor()
        try:
            from opentelemetry.instrumentation.botocore import BotocoreInstrumentor

            self._official: Any = BotocoreInstrumentor()
        except ImportError:
            self._official = None

    @property
    def contenders(self) -> list[str]:
        return ["baseline", "otel-llm"] + (["official"] if self._official is not None else [])

    def on(self, contender: str) -> None:
        if contender == "otel-llm":
            self._ours.instrument(**self._providers)
        elif contender == "official":
            self._official.instrument(**self._providers)

    def off(self, contender: str) -> None:
        if contender == "otel-llm":
            self._ours.uninstrument()
        elif contender == "official":
            self._official.uninstrument()


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

    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(_Discard()))
    meter_provider = MeterProvider()
    bedrock, s3 = _clients(_record(args.chunks))
    scenarios = _scenarios(bedrock, s3)
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

    print("| scenario | contender | median µs | overhead µs |\n| --- | --- | ---: | ---: |")
    for name in scenarios:
        base = statistics.median(results[(name, "baseline")])
        for contender in switch.contenders:
            value = statistics.median(results[(name, contender)])
            print(f"| {name} | {contender} | {value:.1f} | {value - base:.1f} |")
    tracer_provider.shutdown()


if __name__ == "__main__":
    main()
