"""``otel-llm report --by feature`` on a LangGraph app shows its nodes, when asked to
(``OTEL_LLM_FEATURE_FROM_WORKFLOW=true``): real LangGraph and langchain-openai over HTTP to the fake
provider, our spans through the real ClickHouse exporter into chdb, the report read by the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider

from otel_llm import semconv
from otel_llm.fake_provider import FakeProvider, Script
from otel_llm.schema import sync_prices
from tests.cli.conftest import Run, as_json
from tests.fixtures.sampling import AppPipeline
from tests.fixtures.store import Store

langchain_openai = pytest.importorskip("langchain_openai")
langgraph_graph = pytest.importorskip("langgraph.graph")
pytestmark = pytest.mark.totals


@pytest.fixture
def exported(store: Store, store_dsn: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppPipeline]:
    from otel_llm.instrumentation.langchain import LangChainInstrumentor
    from otel_llm.instrumentation.openai import OpenAIInstrumentor

    monkeypatch.setenv(semconv.ENV_FEATURE_FROM_WORKFLOW, "true")
    sync_prices(store.client, store.database)
    app = AppPipeline(store_dsn, store.database)
    meters = MeterProvider()
    instrumentors = [OpenAIInstrumentor(), LangChainInstrumentor()]
    for instrumentor in instrumentors:
        instrumentor.instrument(meter_provider=meters, **app.instrument_options)
    yield app
    for instrumentor in instrumentors:
        instrumentor.uninstrument()
    app.close()
    meters.shutdown()


def _blog_graph(model: Any, reviewer: Any) -> Any:
    def research(state: dict[str, Any]) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    def write(state: dict[str, Any]) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"][:1])]}

    def review(state: dict[str, Any]) -> dict[str, Any]:
        return {"messages": [reviewer.invoke(state["messages"][:1])]}

    builder = langgraph_graph.StateGraph(langgraph_graph.MessagesState)
    builder.add_node("research", research)
    builder.add_node("write", write)
    builder.add_node("review", review)
    builder.add_edge(langgraph_graph.START, "research")
    builder.add_edge("research", "write")
    builder.add_edge("write", "review")
    return builder.compile(name="blog")


def test_report_by_feature_shows_each_langgraph_node_priced(
    exported: AppPipeline, fake_provider: FakeProvider, run: Run
) -> None:
    from tests.integration.instrumentation.langchain_models import HttpChatModel

    model = langchain_openai.ChatOpenAI(model="gpt-4o", base_url=fake_provider.openai_base_url, api_key="test-key")
    # review runs on a model whose SDK otel-llm does not trace: LangChain's own span carries its usage
    reviewer = HttpChatModel(base_url=fake_provider.openai_base_url, model="gpt-4o")
    research, write = (
        Script(prompt_tokens=2000, completion_tokens=100, cached_tokens=1024),
        Script(prompt_tokens=1000, completion_tokens=50),
    )
    review = Script(prompt_tokens=4000, completion_tokens=10, cached_tokens=2048)
    fake_provider.enqueue(research, write, review, research, write, review)
    app = _blog_graph(model, reviewer)
    for _ in range(2):
        app.invoke({"messages": [("user", "Write about caching.")]})
    assert exported.flush()

    code, out, err = run("report", "--by", "feature", "--format", "json", "--since", "1h")
    assert code == 0, err
    got = {row["feature"]: (row["calls"], row["cost_usd"], row["cache_read_tokens"]) for row in as_json(out)}
    assert got == {
        "blog.research": (2, pytest.approx(0.00944, abs=1e-9), 2048),  # 2 x (976*2.5e-6 + 1024*1.25e-6 + 100*1e-5)
        "blog.write": (2, pytest.approx(0.006, abs=1e-9), 0),  # 2 x (1000*2.5e-6 + 50*1e-5)
        "blog.review": (2, pytest.approx(0.01508, abs=1e-9), 4096),  # 2 x (1952*2.5e-6 + 2048*1.25e-6 + 10*1e-5)
    }
    code, table, _ = run("report", "--by", "feature", "--since", "1h")
    assert code == 0
    assert all(node in table for node in ("blog.research", "blog.write", "blog.review"))
