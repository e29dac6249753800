"""The anthropic SDK's own spans: one span per call by default, both on request (``keep``).

anthropic >= 1.x traces its own API calls whenever a tracer provider is set, explicitly on the
client or globally. These tests turn that on for real and count every finished span.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import anthropic
import pytest
import test_anthropic_fixtures as fixtures
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from test_anthropic_fixtures import OUR_SCOPE, SDK_HAS_OWN_SPANS, ask, instrumenting, sdk_tracing

from otel_llm import semconv
from otel_llm.fake_provider import FakeProvider

instrumented = fixtures.instrumented
traced_client = fixtures.traced_client
async_traced_client = fixtures.async_traced_client

SDK_SCOPE = "com.anthropic.sdk.python"
needs_sdk_spans = pytest.mark.skipif(not SDK_HAS_OWN_SPANS, reason="this anthropic has no spans of its own")


def _span_id_in(traceparent: str | None) -> int | None:
    return int(traceparent.split("-")[2], 16) if traceparent else None


async def test_one_span_per_call_sync_async_and_streams(
    traced_client: anthropic.Anthropic,
    async_traced_client: anthropic.AsyncAnthropic,
    fake_provider: FakeProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    traced_client.messages.create(**ask())
    await async_traced_client.messages.create(**ask())
    for _ in traced_client.messages.create(**ask(stream=True)):
        pass
    async with async_traced_client.messages.stream(**ask()) as stream:
        await stream.until_done()

    spans = span_exporter.get_finished_spans()
    assert [s.instrumentation_scope.name for s in spans] == [OUR_SCOPE] * 4
    if SDK_HAS_OWN_SPANS:
        # The SDK still propagates context, and the parent it names is our span.
        sent = [_span_id_in(r.headers.get("traceparent")) for r in fake_provider.requests]
        assert sorted(sent) == sorted(s.context.span_id for s in spans)


@needs_sdk_spans
@pytest.mark.parametrize("via", ["argument", "environment"])
def test_keep_emits_the_sdk_span_as_a_child_of_ours(
    fake_provider: FakeProvider,
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
    via: str,
) -> None:
    options = {"sdk_spans": "keep"} if via == "argument" else {}
    if via == "environment":
        monkeypatch.setenv(semconv.ENV_ANTHROPIC_SDK_SPANS, "KEEP")
    with instrumenting(tracer_provider, meter_provider, **options):
        client = anthropic.Anthropic(
            base_url=fake_provider.anthropic_base_url, api_key="k", **sdk_tracing(tracer_provider)
        )
        client.messages.create(**ask())
    spans = {s.instrumentation_scope.name: s for s in span_exporter.get_finished_spans()}
    assert sorted(spans) == sorted([OUR_SCOPE, SDK_SCOPE])
    assert spans[SDK_SCOPE].parent is not None
    assert spans[SDK_SCOPE].parent.span_id == spans[OUR_SCOPE].context.span_id
    assert semconv.OTEL_LLM_COST_USD not in (spans[SDK_SCOPE].attributes or {})


@needs_sdk_spans
def test_calls_we_do_not_trace_keep_the_sdk_span(
    traced_client: anthropic.Anthropic, span_exporter: InMemorySpanExporter
) -> None:
    try:
        counting = {k: v for k, v in ask().items() if k != "max_tokens"}
        traced_client.with_options(max_retries=0).messages.count_tokens(**counting)
    except anthropic.APIStatusError:
        pass  # the fake has no count_tokens endpoint; the SDK's span is there either way
    assert [s.instrumentation_scope.name for s in span_exporter.get_finished_spans()] == [SDK_SCOPE]


@needs_sdk_spans
def test_uninstrument_gives_the_sdk_its_spans_back(
    fake_provider: FakeProvider,
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    from anthropic._base_client import BaseClient

    original = BaseClient.__dict__["_tracer"]
    with instrumenting(tracer_provider, meter_provider):
        assert BaseClient.__dict__["_tracer"] is not original
    assert BaseClient.__dict__["_tracer"] is original
    client = anthropic.Anthropic(base_url=fake_provider.anthropic_base_url, api_key="k", **sdk_tracing(tracer_provider))
    client.messages.create(**ask())
    assert [s.instrumentation_scope.name for s in span_exporter.get_finished_spans()] == [SDK_SCOPE]


_GLOBAL_PROVIDER_APP = textwrap.dedent(
    """
    import asyncio, json, sys
    import anthropic
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from otel_llm.instrumentation.anthropic import AnthropicInstrumentor

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    AnthropicInstrumentor().instrument()  # as opentelemetry-instrument does: global providers
    ask = dict(model="claude-sonnet-4-6", max_tokens=32, messages=[{"role": "user", "content": "hi"}])
    client = anthropic.Anthropic(base_url=sys.argv[1], api_key="k")
    client.messages.create(**ask)
    with client.messages.stream(**ask) as stream:
        stream.get_final_message()

    async def main():
        aclient = anthropic.AsyncAnthropic(base_url=sys.argv[1], api_key="k")
        await aclient.messages.create(**ask)
        async for _ in await aclient.messages.create(stream=True, **ask):
            pass

    asyncio.run(main())
    print(json.dumps([s.instrumentation_scope.name for s in exporter.get_finished_spans()]))
    """
)


def test_one_span_per_call_with_the_global_tracer_provider(fake_provider: FakeProvider) -> None:
    # A global provider can be set once per process, so this runs as its own small app.
    done = subprocess.run(
        [sys.executable, "-c", _GLOBAL_PROVIDER_APP, fake_provider.anthropic_base_url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [OUR_SCOPE] * 4
