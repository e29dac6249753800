"""One contender's timing run, executed inside that contender's own virtual environment.

The harness (``bench_overhead.py``) starts this script once per contender per round, so every
contender gets a fresh interpreter and the rounds interleave. Every contender shares the same
pipeline: a TracerProvider with a BatchSpanProcessor whose exporter discards, and a MeterProvider
that is never read, so the differences come from the instrumentation alone. The SDKs run on openai 2.x /
anthropic 0.x (httpx), the last lines every peer supports. The script prints one JSON object
with the median nanoseconds per call of each scenario.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

PROMPT = [
    {"role": "system", "content": "You are a terse assistant."},
    {"role": "user", "content": "Summarize the quarterly report in one sentence."},
]


class DiscardingExporter(SpanExporter):
    """Counts spans and drops them: the export cost is not what we measure."""

    def __init__(self) -> None:
        self.spans = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.spans += len(spans)
        return SpanExportResult.SUCCESS


def _install(contender: str, tracer_provider: TracerProvider, meter_provider: MeterProvider) -> None:
    """Switch the contender's instrumentation on, in its default configuration."""
    if contender in ("baseline", "floor"):
        return
    if contender == "otel-llm":
        from otel_llm.instrumentation.anthropic import AnthropicInstrumentor
        from otel_llm.instrumentation.openai import OpenAIInstrumentor
    elif contender == "openai-v2":
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

        OpenAIInstrumentor().instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
        return
    elif contender == "openllmetry":
        from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor
        from opentelemetry.instrumentation.openai import OpenAIInstrumentor
    elif contender == "openinference":
        from openinference.instrumentation.anthropic import AnthropicInstrumentor
        from openinference.instrumentation.openai import OpenAIInstrumentor
    elif contender == "openlit":
        import openlit

        # OpenLIT reuses the registered TracerProvider; without a local price file it would fetch
        # one from the internet, and OTEL_TRACES_EXPORTER=none keeps it from adding an exporter.
        prices = Path(tempfile.mkdtemp()) / "pricing.json"
        prices.write_text("{}")
        os.environ["OTEL_TRACES_EXPORTER"] = "none"
        openlit.init(pricing_json=str(prices), disable_metrics=True)
        return
    else:
        raise SystemExit(f"unknown contender {contender}")
    OpenAIInstrumentor().instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    AnthropicInstrumentor().instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)


class ReplayTransport(httpx.BaseTransport):
    """Fetches each kind of response once from the fake provider over real HTTP, then replays it.

    The socket round trip (about 1 ms here, with jitter of the same size on this shared machine)
    would drown an overhead of tens of microseconds; replaying the recorded bytes keeps the SDK's
    full parsing and streaming path, and the instrumentation's, while the network drops out.
    """

    def __init__(self) -> None:
        self._live = httpx.HTTPTransport()
        self._recorded: dict[tuple[str, bool], tuple[int, list[tuple[bytes, bytes]], bytes]] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        key = (request.url.path, b'"stream":true' in request.content.replace(b" ", b""))
        if key not in self._recorded:
            live = self._live.handle_request(request)
            live.read()
            self._recorded[key] = (live.status_code, list(live.headers.raw), live.content)
        status, headers, content = self._recorded[key]
        return httpx.Response(status, headers=headers, content=content, request=request)


def _scenarios(base_url: str, chunks: int) -> dict[str, Callable[[], object]]:
    import anthropic
    import openai

    from otel_llm.fake_provider import CHUNKS_HEADER

    http_client = httpx.Client(transport=ReplayTransport())
    oai = openai.OpenAI(base_url=f"{base_url}/v1", api_key="bench", max_retries=0, http_client=http_client)
    claude = anthropic.Anthropic(base_url=base_url, api_key="bench", max_retries=0, http_client=http_client)
    stream_headers = {CHUNKS_HEADER: str(chunks)}

    def openai_chat() -> object:
        return oai.chat.completions.create(model="gpt-4o", messages=PROMPT, max_tokens=64)

    def openai_stream() -> object:
        stream = oai.chat.completions.create(
            model="gpt-4o", messages=PROMPT, stream=True, extra_headers=stream_headers
        )
        return sum(1 for _ in stream)

    def anthropic_messages() -> object:
        return claude.messages.create(model="claude-sonnet-4-5", max_tokens=64, messages=PROMPT[1:])

    def anthropic_stream() -> object:
        stream = claude.messages.create(
            model="claude-sonnet-4-5", max_tokens=64, messages=PROMPT[1:], stream=True, extra_headers=stream_headers
        )
        return sum(1 for _ in stream)

    return {
        "openai.chat": openai_chat,
        "openai.chat.stream": openai_stream,
        "anthropic.messages": anthropic_messages,
        "anthropic.messages.stream": anthropic_stream,
    }


def _floor_scenario(attribute_count: int) -> dict[str, Callable[[], object]]:
    """One bare CLIENT span carrying as many attributes as an otel-llm span: the cost no call can beat."""
    tracer = trace.get_tracer("floor")
    attributes = {f"gen_ai.floor.attr_{i}": i if i % 2 else f"value-{i}" for i in range(attribute_count)}

    def bare_span() -> object:
        with tracer.start_as_current_span("chat gpt-4o", kind=trace.SpanKind.CLIENT, attributes=attributes):
            return None

    return {"floor.span": bare_span}


def _median_ns(call: Callable[[], object], calls: int, warmup: int) -> float:
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(calls):
        start = time.perf_counter_ns()
        call()
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contender", required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--chunks", type=int, default=200)
    parser.add_argument("--floor-attributes", type=int, default=27)
    args = parser.parse_args()

    exporter = DiscardingExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
    meter_provider = MeterProvider()
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(meter_provider)
    _install(args.contender, tracer_provider, meter_provider)

    if args.contender == "floor":
        scenarios = _floor_scenario(args.floor_attributes)
    else:
        scenarios = _scenarios(args.base_url, args.chunks)
    result = {name: _median_ns(call, args.calls, args.warmup) for name, call in scenarios.items()}
    tracer_provider.force_flush()
    result["spans_exported"] = exporter.spans
    print(json.dumps(result))


if __name__ == "__main__":
    main()
