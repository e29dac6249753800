"""The OpenAI Agents SDK over real HTTP: each model call named by its agent (a handoff renames the
next calls), one usage-carrying span per provider request, priced to the micro-dollar with cache.

Real openai-agents with the real openai SDK against the fake provider, with its Responses and its
Chat Completions models, run and streamed; with the openai instrumentor on (its span carries the
usage) and off (the Agents SDK's own reported usage makes the one span).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_llm import semconv
from otel_llm.fake_provider import FakeProvider, Script

agents = pytest.importorskip("agents")
pytest.importorskip("openai")

INPUT = semconv.GEN_AI_USAGE_INPUT_TOKENS
WORKFLOW = semconv.OTEL_LLM_WORKFLOW
OPENAI_SCOPE = "otel_llm.instrumentation.openai"
AGENTS_SCOPE = "otel_llm.instrumentation.openai_agents"
COST = 0.00472  # gpt-4o: 976 * 2.5e-6 + 1024 * 1.25e-6 + 100 * 10e-6
USAGE = {"prompt_tokens": 2000, "completion_tokens": 100, "cached_tokens": 1024}
ENDPOINTS = {"responses": "/responses", "chat": "/chat/completions"}


@pytest.fixture(autouse=True)
def agents_tracing_off() -> Iterator[None]:
    """The SDK's own tracing exports to OpenAI's dashboard: off, as in a test. Its no-op spans
    still tell which agent runs (``_extract``)."""
    agents.set_tracing_disabled(True)
    yield
    agents.set_tracing_disabled(False)


@pytest.fixture
def agents_instrumentor(tracer_provider: TracerProvider, meter_provider: MeterProvider) -> Iterator[Any]:
    from otel_llm.instrumentation.openai_agents import OpenAIAgentsInstrumentor

    instrumentor = OpenAIAgentsInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    yield instrumentor
    instrumentor.uninstrument()


@pytest.fixture(params=[True, False], ids=["openai-traced", "agents-only"])
def openai_traced(
    request: pytest.FixtureRequest, tracer_provider: TracerProvider, meter_provider: MeterProvider
) -> Iterator[bool]:
    from otel_llm.instrumentation.openai import OpenAIInstrumentor

    instrumentor = OpenAIInstrumentor()
    if request.param:
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    yield request.param
    if request.param:
        instrumentor.uninstrument()


def _model(kind: str, client: Any) -> Any:
    if kind == "responses":
        return agents.OpenAIResponsesModel(model="gpt-4o", openai_client=client)
    return agents.OpenAIChatCompletionsModel(model="gpt-4o", openai_client=client)


def usage_spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return [s for s in exporter.get_finished_spans() if INPUT in (s.attributes or {})]


async def _run(agent: Any, streamed: bool) -> Any:
    if not streamed:
        return await agents.Runner.run(agent, "I need a refund.")
    result = agents.Runner.run_streamed(agent, "I need a refund.")
    async for _ in result.stream_events():
        pass
    return result


@pytest.mark.parametrize("kind", ["responses", "chat"])
@pytest.mark.parametrize("streamed", [False, True], ids=["run", "streamed"])
async def test_a_handoff_renames_the_calls_each_counted_once(
    kind: str,
    streamed: bool,
    openai_traced: bool,
    agents_instrumentor: Any,
    async_openai_client: Any,
    fake_provider: FakeProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    model = _model(kind, async_openai_client)
    # The SDK asks a chat stream for its usage only on api.openai.com's host; the fake is elsewhere.
    settings = agents.ModelSettings(include_usage=True)
    billing = agents.Agent(
        name="Billing", instructions="Answer billing questions.", model=model, model_settings=settings
    )
    triage = agents.Agent(
        name="Triage",
        instructions="Route the user.",
        model=model,
        handoffs=[billing],
        # the fake calls the handoff tool when the request forces it
        model_settings=settings.resolve(agents.ModelSettings(tool_choice="transfer_to_billing")),
    )
    fake_provider.enqueue(*[Script(endpoint=ENDPOINTS[kind], **USAGE)] * 2)
    result = await _run(triage, streamed)
    assert result.last_agent.name == "Billing"
    assert len(fake_provider.requests) == 2
    spans = usage_spans(span_exporter)
    assert len(spans) == 2, [(s.instrumentation_scope.name, s.name) for s in spans]
    assert [dict(s.attributes or {})[WORKFLOW] for s in spans] == ["Triage", "Billing"]
    for span in spans:
        a = dict(span.attributes or {})
        assert span.instrumentation_scope.name == (OPENAI_SCOPE if openai_traced else AGENTS_SCOPE)
        assert a[semconv.GEN_AI_AGENT_NAME] == a[WORKFLOW]
        assert (a[INPUT], a[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]) == (2000, 1024)
        assert a[semconv.OTEL_LLM_COST_USD] == pytest.approx(COST, abs=1e-9)


async def test_the_agent_is_the_feature_when_asked(
    monkeypatch: pytest.MonkeyPatch,
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    openai_instrumentor: Any,
    async_openai_client: Any,
    fake_provider: FakeProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    from otel_llm.instrumentation.openai_agents import OpenAIAgentsInstrumentor

    monkeypatch.setenv(semconv.ENV_FEATURE_FROM_WORKFLOW, "true")
    instrumentor = OpenAIAgentsInstrumentor()
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    try:
        agent = agents.Agent(
            name="Researcher", instructions="Research.", model=_model("responses", async_openai_client)
        )
        await agents.Runner.run(agent, "Find it.")
    finally:
        instrumentor.uninstrument()
    (span,) = usage_spans(span_exporter)
    assert dict(span.attributes or {})[semconv.OTEL_LLM_FEATURE] == "Researcher"


async def test_a_call_outside_any_agent_run_carries_no_workflow(
    openai_instrumentor: Any,
    agents_instrumentor: Any,
    async_openai_client: Any,
    fake_provider: FakeProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    await async_openai_client.responses.create(model="gpt-4o", input="Hi.")
    (span,) = usage_spans(span_exporter)
    assert WORKFLOW not in dict(span.attributes or {})
