"""Ours and the official botocore instrumentation on the same boto3 client: a call is counted once.

``opentelemetry-bootstrap`` installs ``opentelemetry-instrumentation-botocore`` wherever boto3 is;
its Bedrock extension puts ``gen_ai.usage.*`` on its own span. With the default
(``OTEL_LLM_BEDROCK_OFFICIAL_SPANS=off``) exactly one span per call carries usage (ours), in
either instrumentation order, and the ClickHouse views (real chdb) hold one ``llm_calls`` row.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_llm import semconv
from otel_llm.fake_provider import FakeProvider, Script
from tests.fixtures.store import Store

boto3 = pytest.importorskip("boto3")
pytest.importorskip("opentelemetry.instrumentation.botocore")
from opentelemetry.instrumentation.botocore import BotocoreInstrumentor  # noqa: E402

from otel_llm.instrumentation.bedrock import BedrockInstrumentor  # noqa: E402

MODEL = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Say hello."}]}]
OURS = "otel_llm.instrumentation.bedrock"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKEFAKE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture
def both(request: pytest.FixtureRequest, tracer_provider: TracerProvider) -> Iterator[None]:
    """Both instrumentors; the parameter is (which first, our ``official_spans`` setting).

    Removed in the reverse order (the last wrapper on top comes off first), as each unwrap
    removes the outermost wrapper of ``_make_api_call``.
    """
    order, mode = getattr(request, "param", ("ours_first", "off"))
    ours, theirs = BedrockInstrumentor(), BotocoreInstrumentor()
    steps = [
        (lambda: ours.instrument(tracer_provider=tracer_provider, official_spans=mode), ours),
        (lambda: theirs.instrument(tracer_provider=tracer_provider), theirs),
    ]
    if order == "theirs_first":
        steps.reverse()
    for instrument, _ in steps:
        instrument()
    yield
    for _, instrumentor in reversed(steps):
        instrumentor.uninstrument()


def _converse_and_stream(fake_provider: FakeProvider) -> None:
    fake_provider.enqueue(Script(input_tokens=1000, output_tokens=100), Script(input_tokens=500, output_tokens=50))
    client = boto3.client("bedrock-runtime", endpoint_url=fake_provider.url)
    client.converse(modelId=MODEL, messages=MESSAGES)
    for _ in client.converse_stream(modelId=MODEL, messages=MESSAGES)["stream"]:
        pass


def _store_spans(spans: tuple[ReadableSpan, ...], store: Store, store_dsn: str) -> None:
    """Write the spans through our ClickHouse exporter into the test's database (real chdb)."""
    from otel_llm.exporter import ClickHouseSpanExporter

    exporter = ClickHouseSpanExporter(endpoint=store_dsn, database=store.database)
    try:
        exporter.export(spans)
        assert exporter.force_flush(30_000)
    finally:
        exporter.shutdown(timeout_millis=5_000)


def _carrying_usage(spans: tuple[ReadableSpan, ...]) -> list[ReadableSpan]:
    return [s for s in spans if semconv.GEN_AI_USAGE_INPUT_TOKENS in (s.attributes or {})]


@pytest.mark.parametrize("both", [("ours_first", "off"), ("theirs_first", "off")], indirect=True)
def test_one_span_per_call_carries_usage_in_either_order(
    both: None, aws_env: None, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    _converse_and_stream(fake_provider)

    spans = span_exporter.get_finished_spans()
    carrying = _carrying_usage(spans)
    assert [s.instrumentation_scope.name for s in carrying] == [OURS, OURS]
    assert [(s.attributes or {})[semconv.GEN_AI_USAGE_INPUT_TOKENS] for s in carrying] == [1000, 500]
    official = [s for s in spans if s.instrumentation_scope.name != OURS]
    assert [(s.attributes or {}).get("rpc.method") for s in official] == ["Converse", "ConverseStream"]
    assert not any(key.startswith("gen_ai.") for s in official for key in (s.attributes or {}))


@pytest.mark.parametrize("both", [("ours_first", "keep")], indirect=True)
def test_keep_leaves_the_official_usage_spans_as_documented(
    both: None, aws_env: None, fake_provider: FakeProvider, span_exporter: InMemorySpanExporter
) -> None:
    _converse_and_stream(fake_provider)

    scopes = sorted({s.instrumentation_scope.name for s in _carrying_usage(span_exporter.get_finished_spans())})
    assert len(scopes) == 2 and OURS in scopes  # ours and the official one: any sum counts twice


def test_uninstrument_gives_the_official_extension_back(tracer_provider: TracerProvider) -> None:
    from opentelemetry.instrumentation.botocore.extensions import _BOTOCORE_EXTENSIONS

    ours = BedrockInstrumentor()
    ours.instrument(tracer_provider=tracer_provider)
    assert "bedrock-runtime" not in _BOTOCORE_EXTENSIONS
    ours.uninstrument()
    assert "bedrock-runtime" in _BOTOCORE_EXTENSIONS


def test_the_clickhouse_views_count_the_call_once(
    both: None,
    aws_env: None,
    fake_provider: FakeProvider,
    span_exporter: InMemorySpanExporter,
    store: Store,
    store_dsn: str,
) -> None:
    _converse_and_stream(fake_provider)
    spans = span_exporter.get_finished_spans()
    assert len(spans) == 4  # two calls, each traced by both instrumentations

    _store_spans(spans, store, store_dsn)
    client, database = store
    rows = client.query(
        f"SELECT Provider, RequestModel, InputTokens, OutputTokens FROM `{database}`.llm_calls ORDER BY InputTokens"
    ).result_rows
    assert rows == [("aws.bedrock", MODEL, 500, 50), ("aws.bedrock", MODEL, 1000, 100)]


def test_bedrock_calls_land_priced_in_llm_calls(
    aws_env: None,
    fake_provider: FakeProvider,
    tracer_provider: TracerProvider,
    span_exporter: InMemorySpanExporter,
    store: Store,
    store_dsn: str,
) -> None:
    """Region-prefixed ids, an inference-profile ARN and an embeddings model, priced in the store."""
    arn = f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/{MODEL}"
    ours = BedrockInstrumentor()
    ours.instrument(tracer_provider=tracer_provider)
    try:
        fake_provider.enqueue(Script(input_tokens=1000, output_tokens=100), Script(input_tokens=2000))
        client = boto3.client("bedrock-runtime", endpoint_url=fake_provider.url)
        client.converse(modelId=arn, messages=MESSAGES)
        client.invoke_model(modelId="amazon.titan-embed-text-v2:0", body='{"inputText": "hello"}')
    finally:
        ours.uninstrument()
    _store_spans(span_exporter.get_finished_spans(), store, store_dsn)

    client_, database = store
    rows = client_.query(
        f"SELECT RequestModel, Operation, InputTokens, PriceKnown, toFloat64(CostUSD) FROM `{database}`.llm_calls "
        "ORDER BY InputTokens"
    ).result_rows
    assert rows == [
        (arn, "chat", 1000, True, pytest.approx(1000 * 0.8e-6 + 100 * 4e-6, abs=1e-12)),
        ("amazon.titan-embed-text-v2:0", "embeddings", 2000, True, pytest.approx(2000 * 0.02e-6, abs=1e-12)),
    ]
