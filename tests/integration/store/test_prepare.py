"""A store created on start is ready to price: spans of other instrumentations get a cost at once."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind

from otel_llm.exporter import ClickHouseSpanExporter
from otel_llm.pricing import default_price_book
from otel_llm.schema import prepare, sync_prices
from otel_llm.usage import openai_usage
from tests.fixtures.store import Store
from tests.integration.store.test_schema_calls import BOOK


def test_create_schema_on_start_also_loads_prices(store: Store, store_dsn: str) -> None:
    client, _ = store
    database = f"fresh_{uuid.uuid4().hex[:8]}"
    exporter = ClickHouseSpanExporter(endpoint=store_dsn, database=database, create_schema=True)
    provider = TracerProvider(resource=Resource.create({"service.name": "legacy-app"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    # An OpenLLMetry-style span: no cost of its own, older token names, the deprecated gen_ai.system.
    foreign: dict[str, Any] = {
        "gen_ai.system": "openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o-2024-08-06",
        "gen_ai.usage.prompt_tokens": 1000,
        "gen_ai.usage.completion_tokens": 200,
    }
    with provider.get_tracer("opentelemetry.instrumentation.openai").start_as_current_span(
        "openai.chat", kind=SpanKind.CLIENT, attributes=foreign
    ):
        pass
    try:
        assert exporter.force_flush(timeout_millis=30_000)
    finally:
        exporter.shutdown(timeout_millis=5_000)

    rows = client.query(f"SELECT PriceKnown, CostUSD FROM `{database}`.llm_calls").result_rows
    usage = openai_usage(1000, 200)
    expected = default_price_book().cost(usage, "gpt-4o", "openai", response_model="gpt-4o-2024-08-06")
    assert expected is not None
    assert len(rows) == 1
    price_known, cost = rows[0]
    assert price_known == 1
    assert Decimal(cost).quantize(Decimal("1e-9")) == expected.total_usd.quantize(Decimal("1e-9"))


def test_prepare_is_idempotent(store: Store) -> None:
    client, database = store
    prepare(client, database)
    revisions = client.command(f"SELECT uniqExact(Revision) FROM `{database}`.llm_prices")
    assert prepare(client, database) == []
    assert client.command(f"SELECT uniqExact(Revision) FROM `{database}`.llm_prices") == revisions == 1


def test_a_restart_keeps_the_prices_someone_imported(store: Store) -> None:
    client, _ = store
    database = f"fresh_{uuid.uuid4().hex[:8]}"
    prepare(client, database)
    bundled = client.command(f"SELECT argMax(Revision, SyncedAt) FROM `{database}`.llm_prices")
    imported = sync_prices(client, database, BOOK)  # what `otel-llm prices import` does
    assert imported != bundled

    prepare(client, database)  # an exporter or the collector (re)connecting with the bundled book

    assert client.command(f"SELECT argMax(Revision, SyncedAt) FROM `{database}`.llm_prices") == imported
