"""LangChain and LangGraph over real HTTP: one usage-carrying span per provider request, priced
to the micro-dollar with its cache tokens, named by its graph node or chain.

Real langchain-openai / langchain-anthropic / LangGraph against the fake provider. Every route is
run twice: with the provider SDK instrumented (its span carries the usage and the workflow) and
without (LangChain's own span, from ``usage_metadata``, carries them).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry import context as otel_context
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_llm import semconv, tag
from otel_llm.fake_provider import FakeProvider, Script
from otel_llm.instrumentation._nesting import OPENLLMETRY_SUPPRESS_KEY

lc_messages = pytest.importorskip("langchain_core.messages")
langchain_openai = pytest.importorskip("langchain_openai")
langchain_anthropic = pytest.importorskip("langchain_anthropic")
langgraph_graph = pytest.importorskip("langgraph.graph")

pytestmark = pytest.mark.usefixtures("langchain_instrumentor")

LANGCHAIN_SCOPE = "otel_llm.instrumentation.langchain"
WORKFLOW = semconv.OTEL_LLM_WORKFLOW
INPUT = semconv.GEN_AI_USAGE_INPUT_TOKENS
CACHE_READ = semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS
CACHE_WRITE = semconv.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS
COST = semconv.OTEL_LLM_COST_USD


@dataclass(frozen=True)
class Provider:
    name: str
    script: Script
    input_tokens: int
    cache_read: int
    cache_write: int
    cost_usd: float  # by hand, from the bundled prices
    # LangChain's own usage of a STREAM (what its span is priced from when the SDK is not traced)
    langchain_stream_cost_usd: float
    sdk_scope: str
    make: Callable[[FakeProvider], Any]


OPENAI = Provider(
    "openai",
    Script(endpoint="/chat/completions", prompt_tokens=2000, completion_tokens=100, cached_tokens=1024),
    2000,
    1024,
    0,
    0.00472,  # gpt-4o: 976 * 2.5e-6 + 1024 * 1.25e-6 + 100 * 10e-6
    0.00472,
    "otel_llm.instrumentation.openai",
    lambda fp: langchain_openai.ChatOpenAI(
        model="gpt-4o", base_url=fp.openai_base_url, api_key="test-key", stream_usage=True
    ),
)
ANTHROPIC = Provider(
    "anthropic",
    Script(
        endpoint="/messages",
        input_tokens=1000,
        output_tokens=200,
        cache_read_tokens=2000,
        cache_write_5m_tokens=500,
        cache_write_1h_tokens=100,
    ),
    3600,
    2000,
    600,
    # claude-sonnet-4-5: 1000 * 3e-6 + 200 * 15e-6 + 2000 * 0.3e-6 + 500 * 3.75e-6 + 100 * 6e-6 (1-hour write)
    0.009075,
    # langchain-anthropic builds a stream's usage from message_delta, which (as in Anthropic's API)
    # has no 5-minute / 1-hour split: all 600 writes are priced at the 5-minute price, 225e-6 less.
    0.00885,
    "otel_llm.instrumentation.anthropic",
    lambda fp: langchain_anthropic.ChatAnthropic(
        model="claude-sonnet-4-5", base_url=fp.anthropic_base_url, api_key="test-key", max_tokens=256
    ),
)


def _graph(model: Any, name: str = "support") -> Any:
    def answer(state: dict[str, Any]) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    builder = langgraph_graph.StateGraph(langgraph_graph.MessagesState)
    builder.add_node("answer", answer)
    builder.add_edge(langgraph_graph.START, "answer")
    return builder.compile(name=name)


async def _agraph_run(model: Any) -> None:
    async def answer(state: dict[str, Any]) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    builder = langgraph_graph.StateGraph(langgraph_graph.MessagesState)
    builder.add_node("answer", answer)
    builder.add_edge(langgraph_graph.START, "answer")
    await builder.compile(name="support").ainvoke({"messages": [("user", "Say hello.")]})


async def _astream(model: Any) -> None:
    async for _ in model.astream("Say hello."):
        pass


GRAPH_INPUT = {"messages": [("user", "Say hello.")]}
# One event loop for the module's async routes: the integrations cache their async HTTP clients
# process-wide, and a pooled connection must not outlive the loop it was opened on.
_LOOP = asyncio.new_event_loop()


def run_async(coroutine: Any) -> Any:
    return _LOOP.run_until_complete(coroutine)


@dataclass(frozen=True)
class Route:
    name: str
    run: Callable[[Any], Any]
    requests: int = 1
    workflow: str | None = None
    streamed: bool = False


ROUTES = [
    Route("invoke", lambda m: m.invoke("Say hello.")),
    Route("ainvoke", lambda m: run_async(m.ainvoke("Say hello."))),
    Route("batch", lambda m: m.batch(["Say hello.", "Say goodbye."]), requests=2),
    Route("generate", lambda m: m.generate([[lc_messages.HumanMessage("Say hello.")]])),
    Route("stream", lambda m: list(m.stream("Say hello.")), streamed=True),
    Route("astream", lambda m: run_async(_astream(m)), streamed=True),
    Route("graph", lambda m: _graph(m).invoke(GRAPH_INPUT), workflow="support.answer"),
    Route("graph_async", lambda m: run_async(_agraph_run(m)), workflow="support.answer"),
    # stream_mode="messages" makes the node's invoke stream underneath (LangChain's callbacks ask it to)
    Route(
        "graph_messages",
        lambda m: list(_graph(m).stream(GRAPH_INPUT, stream_mode="messages")),
        workflow="support.answer",
        streamed=True,
    ),
]


def usage_spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    """Every finished span, of any scope, that carries usage."""
    return [s for s in exporter.get_finished_spans() if INPUT in (s.attributes or {})]


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


@pytest.fixture
def sdk_traced(
    request: pytest.FixtureRequest, tracer_provider: TracerProvider, meter_provider: MeterProvider
) -> Iterator[bool]:
    """Whether the provider SDK below LangChain is instrumented (param: (provider, traced))."""
    provider, traced = request.param
    instrumentor = None
    if traced:
        if provider == "openai":
            from otel_llm.instrumentation.openai import OpenAIInstrumentor as Instrumentor
        else:
            from otel_llm.instrumentation.anthropic import AnthropicInstrumentor as Instrumentor  # type: ignore[assignment]
        instrumentor = Instrumentor()
        instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    yield traced
    if instrumentor is not None:
        instrumentor.uninstrument()


CASES = [
    pytest.param(p, r, (p.name, traced), id=f"{p.name}-{r.name}-{'sdk' if traced else 'langchain'}")
    for p in (OPENAI, ANTHROPIC)
    for r in ROUTES
    for traced in (True, False)
]


@pytest.mark.parametrize(("provider", "route", "sdk_traced"), CASES, indirect=["sdk_traced"])
def test_one_usage_span_per_request_priced_with_its_cache_tokens(
    provider: Provider, route: Route, sdk_traced: bool, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    fake_provider.enqueue(*[provider.script] * route.requests)
    route.run(provider.make(fake_provider))
    assert len(fake_provider.requests) == route.requests
    spans = usage_spans(span_exporter)
    assert len(spans) == route.requests, [(s.instrumentation_scope.name, s.name) for s in spans]
    for span in spans:
        a = attrs(span)
        assert span.instrumentation_scope.name == (provider.sdk_scope if sdk_traced else LANGCHAIN_SCOPE)
        assert (a[INPUT], a[CACHE_READ], a[CACHE_WRITE]) == (
            provider.input_tokens,
            provider.cache_read,
            provider.cache_write,
        )
        langchain_stream = route.streamed and not sdk_traced
        cost = provider.langchain_stream_cost_usd if langchain_stream else provider.cost_usd
        assert a[COST] == pytest.approx(cost, abs=1e-9)
        assert a[semconv.GEN_AI_PROVIDER_NAME] == provider.name
        assert a.get(WORKFLOW) == route.workflow
        assert span.end_time is not None and span.start_time is not None
        assert span.end_time - span.start_time > 0  # the framework's own span is backdated to the call's start


def test_a_model_on_an_sdk_we_do_not_wrap_gets_one_span_from_langchain(
    fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    from tests.integration.instrumentation.langchain_models import HttpChatModel

    model = HttpChatModel(base_url=fake_provider.openai_base_url, model="gpt-4o")
    fake_provider.enqueue(Script(prompt_tokens=2000, completion_tokens=100, cached_tokens=1024, reasoning_tokens=40))
    _graph(model, name="triage").invoke(GRAPH_INPUT)
    (span,) = usage_spans(span_exporter)
    a = attrs(span)
    assert span.instrumentation_scope.name == LANGCHAIN_SCOPE
    assert span.name == "chat gpt-4o"
    assert a[WORKFLOW] == "triage.answer"
    assert (a[INPUT], a[CACHE_READ], a[semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS]) == (2000, 1024, 40)
    assert a[COST] == pytest.approx(0.00472, abs=1e-9)
    assert a[semconv.GEN_AI_RESPONSE_FINISH_REASONS] == ("stop",)


def test_a_subgraphs_node_is_named_by_its_path_under_the_outer_graph(
    openai_instrumentor: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    model = OPENAI.make(fake_provider)
    research = _graph(model, name="research")  # node "answer"; added to the outer graph as a node
    drafting = _graph(model)  # unnamed, invoked from inside a node

    builder = langgraph_graph.StateGraph(langgraph_graph.MessagesState)
    builder.add_node("research", research)
    builder.add_node("write", lambda state: drafting.invoke(state))
    builder.add_edge(langgraph_graph.START, "research")
    builder.add_edge("research", "write")
    builder.compile(name="blog").invoke(GRAPH_INPUT)
    assert [attrs(s)[WORKFLOW] for s in usage_spans(span_exporter)] == ["blog.research.answer", "blog.write.answer"]


def test_an_unknown_provider_is_flagged_unpriced_never_zero(
    fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    from tests.integration.instrumentation.langchain_models import HttpChatModel

    HttpChatModel(base_url=fake_provider.openai_base_url, model="in-house-7b", provider="inhouse").invoke("Hi.")
    (span,) = usage_spans(span_exporter)
    assert attrs(span)[semconv.OTEL_LLM_COST_UNKNOWN_MODEL] is True
    assert COST not in attrs(span)
    assert attrs(span)[semconv.GEN_AI_PROVIDER_NAME] == "inhouse"


def test_a_failed_call_is_one_error_span(fake_provider: FakeProvider, span_exporter: InMemorySpanExporter) -> None:
    from tests.integration.instrumentation.langchain_models import HttpChatModel

    fake_provider.enqueue(Script(status=400))
    with pytest.raises(Exception, match="400"):
        HttpChatModel(base_url=fake_provider.openai_base_url, model="gpt-4o").invoke("Hi.")
    (span,) = span_exporter.get_finished_spans()
    assert attrs(span)[semconv.ERROR_TYPE] == "HTTPStatusError"
    assert INPUT not in attrs(span)


def test_a_response_replayed_from_langchains_cache_makes_no_span(
    fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    from langchain_core.caches import InMemoryCache

    from tests.integration.instrumentation.langchain_models import HttpChatModel

    model = HttpChatModel(base_url=fake_provider.openai_base_url, model="gpt-4o", cache=InMemoryCache())
    model.invoke("Same question.")
    model.invoke("Same question.")
    assert len(fake_provider.requests) == 1
    assert len(usage_spans(span_exporter)) == 1


def test_a_named_chain_names_its_calls(
    openai_instrumentor: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    from langchain_core.prompts import ChatPromptTemplate

    chain = ChatPromptTemplate.from_messages([("user", "Summarize {text}")]) | OPENAI.make(fake_provider)
    chain.with_config(run_name="summarize").invoke({"text": "a"})
    list(chain.with_config(run_name="summarize_stream").stream({"text": "b"}))
    run_async(chain.with_config(run_name="summarize_async").ainvoke({"text": "c"}))
    chain.invoke({"text": "d"})  # unnamed: no workflow
    assert [attrs(s).get(WORKFLOW) for s in usage_spans(span_exporter)] == [
        "summarize",
        "summarize_stream",
        "summarize_async",
        None,
    ]


def test_create_agent_names_its_model_node(
    openai_instrumentor: Any, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    agents = pytest.importorskip("langchain.agents")
    agent = agents.create_agent(OPENAI.make(fake_provider), tools=[], name="researcher")
    agent.invoke({"messages": [("user", "Find it.")]})
    (span,) = usage_spans(span_exporter)
    assert attrs(span)[WORKFLOW] == "researcher.model"


@pytest.mark.parametrize(
    ("env_on", "app_tag", "expected"),
    [
        (True, None, "support.answer"),  # the workflow is the feature...
        (True, "checkout", "checkout"),  # ...unless the app tagged one
        (False, None, "default-feature"),  # off: the default feature, the workflow still recorded
    ],
)
def test_feature_precedence_tag_then_workflow_then_default(
    env_on: bool,
    app_tag: str | None,
    expected: str,
    monkeypatch: pytest.MonkeyPatch,
    tracer_provider: TracerProvider,
    meter_provider: MeterProvider,
    openai_instrumentor: Any,
    fake_provider: FakeProvider,
    span_exporter: InMemorySpanExporter,
) -> None:
    from otel_llm.instrumentation.langchain import LangChainInstrumentor

    monkeypatch.setenv(semconv.ENV_DEFAULT_FEATURE, "default-feature")
    monkeypatch.setenv(semconv.ENV_FEATURE_FROM_WORKFLOW, "true" if env_on else "false")
    LangChainInstrumentor().uninstrument()  # the setting is read by instrument()
    LangChainInstrumentor().instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    app = _graph(OPENAI.make(fake_provider))
    if app_tag:
        with tag(feature=app_tag):
            app.invoke(GRAPH_INPUT)
    else:
        app.invoke(GRAPH_INPUT)
    (span,) = usage_spans(span_exporter)
    assert attrs(span)[semconv.OTEL_LLM_FEATURE] == expected
    assert attrs(span)[WORKFLOW] == "support.answer"


def test_openllmetry_suppression_key_keeps_langchain_silent(
    fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    from tests.integration.instrumentation.langchain_models import HttpChatModel

    token = otel_context.attach(otel_context.set_value(OPENLLMETRY_SUPPRESS_KEY, True))
    try:
        HttpChatModel(base_url=fake_provider.openai_base_url, model="gpt-4o").invoke("Hi.")
    finally:
        otel_context.detach(token)
    assert len(fake_provider.requests) == 1
    assert span_exporter.get_finished_spans() == ()


def test_a_stream_left_early_still_ends_its_span_once(
    fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    model = OPENAI.make(fake_provider)
    stream = model.stream("Say hello.")
    next(stream)
    stream.close()
    (span,) = span_exporter.get_finished_spans()
    assert span.instrumentation_scope.name == LANGCHAIN_SCOPE
    assert span.end_time is not None
