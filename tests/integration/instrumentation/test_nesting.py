"""The nesting rule (``otel_llm.instrumentation._nesting``): one usage-carrying span per request.

Real ``openai`` SDK over real HTTP to the fake provider; the context values are read where the
request really goes out, in an httpx event hook.
"""

from __future__ import annotations

from typing import Any

import openai
import pytest
from opentelemetry import context as otel_context
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_llm import semconv
from otel_llm.fake_provider import FakeProvider
from otel_llm.instrumentation._nesting import OPENLLMETRY_SUPPRESS_KEY, current_model_scope, model_scope
from tests.fixtures.provider import API_KEY
from tests.integration.instrumentation.test_openai_fixtures import attrs, chat, one_span

pytestmark = pytest.mark.usefixtures("openai_instrumentor")
WORKFLOW = semconv.OTEL_LLM_WORKFLOW


def test_openllmetry_suppression_key_silences_our_span(
    openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter
) -> None:
    token = otel_context.attach(otel_context.set_value(OPENLLMETRY_SUPPRESS_KEY, True))
    try:
        response = openai_client.chat.completions.create(**chat())
    finally:
        otel_context.detach(token)
    assert response.usage is not None  # the call itself went through untouched
    assert span_exporter.get_finished_spans() == ()


def test_our_call_asks_other_instrumentations_below_to_stay_silent(
    fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    seen: list[Any] = []

    def hook(request: Any) -> None:
        seen.append(otel_context.get_value(OPENLLMETRY_SUPPRESS_KEY))

    http = openai.DefaultHttpxClient(event_hooks={"request": [hook]})  # httpx or httpx2, as the SDK uses
    with openai.OpenAI(base_url=fake_provider.openai_base_url, api_key=API_KEY, http_client=http) as client:
        client.chat.completions.create(**chat())
    assert seen == [True]
    one_span(span_exporter)
    assert otel_context.get_value(OPENLLMETRY_SUPPRESS_KEY) is None  # detached after the call


def test_model_scope_names_the_calls_inside_and_counts_them(
    openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter
) -> None:
    with model_scope({WORKFLOW: "graph"}), model_scope({WORKFLOW: "graph.node", "otel_llm.tag.step": "1"}) as inner:
        openai_client.chat.completions.create(**chat())
        openai_client.chat.completions.create(**chat())
    assert inner.traced_calls == 2
    assert current_model_scope() is None
    first, second = span_exporter.get_finished_spans()
    for span in (first, second):
        assert attrs(span)[WORKFLOW] == "graph.node"
        assert attrs(span)["otel_llm.tag.step"] == "1"
        assert attrs(span)[semconv.OTEL_LLM_COST_USD] > 0


def test_a_tag_set_by_the_app_wins_over_the_scope(
    openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter
) -> None:
    from otel_llm import tag

    with model_scope({semconv.OTEL_LLM_FEATURE: "node"}), tag(feature="checkout"):
        openai_client.chat.completions.create(**chat())
    assert attrs(one_span(span_exporter))[semconv.OTEL_LLM_FEATURE] == "checkout"


def test_a_scope_with_no_traced_call_is_left_at_zero(openai_client: openai.OpenAI) -> None:
    with model_scope({WORKFLOW: "idle"}) as scope:
        pass
    assert scope.traced_calls == 0


def test_the_scopes_feature_wins_over_the_default_feature_and_loses_to_the_apps_tag(
    openai_client: openai.OpenAI, span_exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    from otel_llm import tag

    monkeypatch.setenv(semconv.ENV_DEFAULT_FEATURE, "default")
    openai_client.chat.completions.create(**chat())  # no scope: the default names it
    with model_scope({semconv.OTEL_LLM_FEATURE: "graph.node"}):
        openai_client.chat.completions.create(**chat())
        with tag(feature="checkout"):
            openai_client.chat.completions.create(**chat())
    features = [attrs(s)[semconv.OTEL_LLM_FEATURE] for s in span_exporter.get_finished_spans()]
    assert features == ["default", "graph.node", "checkout"]
