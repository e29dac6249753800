"""Next to the official opentelemetry-instrumentation-google-genai, a call is still counted once.

``opentelemetry-bootstrap`` installs that package whenever google-genai is present. Its declared
range ends below google-genai 3, so on 3.x ``opentelemetry-instrument`` skips it (and says so on
stderr, which is why the dev environment, on 3.x, does not install it; ``make test-compat`` does,
with google-genai 1.x). The tests instrument it with ``skip_dep_check=True``, so they hold on any
google-genai where it is installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_llm import semconv
from otel_llm.fake_provider import FakeProvider, Script

genai = pytest.importorskip("google.genai")
official_module = pytest.importorskip("opentelemetry.instrumentation.google_genai")
from google.genai import types  # noqa: E402

from otel_llm.instrumentation.google_genai import GoogleGenAIInstrumentor  # noqa: E402

FLASH = "gemini-2.5-flash"


@pytest.fixture
def official(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    # It writes OTEL_INSTRUMENTATION_GENAI_EMIT_EVENT into os.environ; monkeypatch puts it back.
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_EMIT_EVENT", "false")
    instrumentor = official_module.GoogleGenAiSdkInstrumentor()
    yield instrumentor
    instrumentor.uninstrument()


def _usage_spans(exporter: InMemorySpanExporter) -> list[str]:
    """The scope of every span that carries input tokens: what a token sum would count."""
    return [
        s.instrumentation_scope.name
        for s in exporter.get_finished_spans()
        if semconv.GEN_AI_USAGE_INPUT_TOKENS in (s.attributes or {})
    ]


def _calls(fake_provider: FakeProvider) -> None:
    client = genai.Client(api_key="k", http_options=types.HttpOptions(base_url=fake_provider.url))
    fake_provider.enqueue(Script(prompt_token_count=10, candidates_token_count=5))
    client.models.generate_content(model=FLASH, contents="once")
    fake_provider.enqueue(Script(prompt_token_count=10, chunks=3))
    list(client.models.generate_content_stream(model=FLASH, contents="once, streamed"))
    fake_provider.enqueue(Script(prompt_token_count=4))
    client.models.embed_content(model="gemini-embedding-001", contents="once, embedded")


@pytest.mark.parametrize("ours_first", [True, False])
def test_each_call_is_one_span_with_usage_in_either_load_order(
    official: Any,
    fake_provider: FakeProvider,
    tracer_provider: TracerProvider,
    span_exporter: InMemorySpanExporter,
    ours_first: bool,
) -> None:
    ours = GoogleGenAIInstrumentor()
    if ours_first:
        ours.instrument(tracer_provider=tracer_provider)
        official.instrument(tracer_provider=tracer_provider, skip_dep_check=True)
    else:
        official.instrument(tracer_provider=tracer_provider, skip_dep_check=True)
        ours.instrument(tracer_provider=tracer_provider)
    try:
        _calls(fake_provider)
    finally:
        ours.uninstrument()
    with_usage = 3 if "usage_metadata" in types.EmbedContentResponse.model_fields else 2  # 1.x: no embed usage
    assert _usage_spans(span_exporter) == ["otel_llm.instrumentation.google_genai"] * with_usage
    assert len(span_exporter.get_finished_spans()) == 3
    assert official.is_instrumented_by_opentelemetry  # still on for what we do not trace


def test_keep_emits_both_spans_theirs_the_parent(
    official: Any, fake_provider: FakeProvider, tracer_provider: TracerProvider, span_exporter: InMemorySpanExporter
) -> None:
    official.instrument(tracer_provider=tracer_provider, skip_dep_check=True)
    ours = GoogleGenAIInstrumentor()
    ours.instrument(tracer_provider=tracer_provider, official_spans="keep")
    try:
        client = genai.Client(api_key="k", http_options=types.HttpOptions(base_url=fake_provider.url))
        client.models.generate_content(model=FLASH, contents="twice")
    finally:
        ours.uninstrument()
    spans = {s.instrumentation_scope.name: s for s in span_exporter.get_finished_spans()}
    assert set(spans) == {"otel_llm.instrumentation.google_genai", "opentelemetry.instrumentation.google_genai"}
    theirs, mine = spans["opentelemetry.instrumentation.google_genai"], spans["otel_llm.instrumentation.google_genai"]
    assert mine.parent is not None and mine.parent.span_id == theirs.context.span_id
    assert semconv.OTEL_LLM_COST_USD in (mine.attributes or {})
