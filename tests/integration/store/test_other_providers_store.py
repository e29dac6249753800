"""Mistral, Groq and Cohere end to end: the real SDKs over HTTP, our spans through the ClickHouse
exporter into a real engine (chdb), and the report by provider shows each call priced."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from otel_llm import semconv
from otel_llm.fake_provider import FakeProvider, Script
from otel_llm.query import ClickHouseSource
from otel_llm.query.reads import usage_by
from otel_llm.schema import sync_prices
from tests.fixtures.sampling import AppPipeline
from tests.fixtures.store import Store

pytestmark = pytest.mark.totals

MESSAGES = [{"role": "user", "content": "Say hello."}]
# (provider, hand-computed cost of the call made below)
EXPECTED = {
    semconv.PROVIDER_COHERE: Decimal("0.0045"),  # command-a-03-2025: 1000*2.5e-6 + 200*10e-6 (billed units)
    semconv.PROVIDER_GROQ: Decimal("0.0002616"),  # gpt-oss-20b: 976*0.075e-6 + 1024*0.0375e-6 + 500*0.3e-6
    semconv.PROVIDER_MISTRAL: Decimal("0.0001836"),  # mistral-small-2603: 360*0.15e-6 + 640*0.015e-6 + 200*0.6e-6
}


@pytest.fixture
def traced_into_store(store: Store, store_dsn: str, meter_provider: Any) -> Iterator[tuple[Store, Any]]:
    for sdk in ("mistralai", "groq", "cohere"):
        pytest.importorskip(sdk)
    from otel_llm.instrumentation.cohere import CohereInstrumentor
    from otel_llm.instrumentation.groq import GroqInstrumentor
    from otel_llm.instrumentation.mistralai import MistralInstrumentor

    sync_prices(store.client, store.database)
    app = AppPipeline(store_dsn, store.database)
    instrumentors = [MistralInstrumentor(), GroqInstrumentor(), CohereInstrumentor()]
    for instrumentor in instrumentors:
        instrumentor.instrument(meter_provider=meter_provider, **app.instrument_options)
    yield store, app
    for instrumentor in instrumentors:
        instrumentor.uninstrument()
    app.close()


def test_report_by_provider_shows_each_sdks_call_priced(
    traced_into_store: tuple[Store, Any], fake_provider: FakeProvider
) -> None:
    import cohere
    import groq

    from tests.integration.instrumentation.sdk_spans import mistral_class

    Mistral = mistral_class()

    fake_provider.enqueue(Script(endpoint="/mistral/", prompt_tokens=1000, completion_tokens=200, cached_tokens=640))
    fake_provider.enqueue(Script(endpoint="/openai/v1/", prompt_tokens=2000, completion_tokens=500, cached_tokens=1024))
    fake_provider.enqueue(Script(endpoint="/v2/chat", prompt_tokens=1000, completion_tokens=200))
    since = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(hours=1)
    with Mistral(api_key="test-key", server_url=fake_provider.mistral_server_url) as mistral:
        mistral.chat.complete(model="mistral-small-2603", messages=MESSAGES)
    with groq.Groq(api_key="test-key", base_url=fake_provider.groq_base_url) as groq_client:
        list(groq_client.chat.completions.create(model="openai/gpt-oss-20b", messages=MESSAGES, stream=True))
    with cohere.ClientV2(api_key="test-key", base_url=fake_provider.cohere_base_url) as cohere_client:
        cohere_client.chat(model="command-a-03-2025", messages=MESSAGES)
    assert fake_provider.pending == []

    (client, database), app = traced_into_store
    assert app.flush()
    until = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + dt.timedelta(hours=1)
    report = usage_by(ClickHouseSource(client), database, ("provider",), since, until, metrics=("calls", "cost_usd"))
    assert {row[0]: row[1:] for row in report.rows} == {p: (1, cost) for p, cost in EXPECTED.items()}
    # The price dictionary knows each model too: the call is re-priceable at today's prices in SQL.
    matched = client.query(
        f"SELECT Provider, PriceKnown, PriceProvider, PriceModel FROM `{database}`.llm_calls ORDER BY Provider"
    ).result_rows
    assert matched == [
        ("cohere", 1, "cohere", "command-a-03-2025"),
        ("groq", 1, "groq", "openai/gpt-oss-20b"),
        ("mistral_ai", 1, "mistral_ai", "mistral-small-2603"),
    ]
