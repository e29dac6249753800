"""Gemini and Vertex AI calls end to end: the real google-genai SDK over HTTP, our instrumentation,
the ClickHouse exporter into chdb, and ``otel-llm report --by provider`` showing them priced."""

from __future__ import annotations

from typing import Any

import pytest

from otel_llm.fake_provider import FakeProvider, Script
from tests.cli.conftest import Run, as_json
from tests.fixtures.sampling import AppPipeline

genai = pytest.importorskip("google.genai")
from google.genai import types  # noqa: E402
from google.oauth2.credentials import Credentials  # noqa: E402

from otel_llm.instrumentation.google_genai import GoogleGenAIInstrumentor  # noqa: E402

pytestmark = pytest.mark.totals


def test_report_by_provider_shows_gemini_and_vertex_priced(
    store: Any, store_dsn: str, fake_provider: FakeProvider, run: Run
) -> None:
    _, database = store
    app = AppPipeline(store_dsn, database)
    instrumentor = GoogleGenAIInstrumentor()
    instrumentor.instrument(**app.instrument_options)
    try:
        options = types.HttpOptions(base_url=fake_provider.url)
        gemini = genai.Client(api_key="k", http_options=options)
        vertex = genai.Client(
            vertexai=True, project="p", location="us-central1", credentials=Credentials(token="t"), http_options=options
        )
        fake_provider.enqueue(
            Script(
                prompt_token_count=1000,
                cached_content_token_count=400,
                candidates_token_count=200,
                thoughts_token_count=50,
            ),
            Script(prompt_token_count=2000, candidates_token_count=100),
        )
        gemini.models.generate_content(model="gemini-2.5-pro", contents="priced")
        vertex.models.generate_content(model="gemini-2.5-flash", contents="priced too")
    finally:
        instrumentor.uninstrument()
        app.close()

    code, out, err = run("report", "--by", "provider", "--format", "json")
    assert code == 0, err
    rows = {row["provider"]: row for row in as_json(out)}
    assert set(rows) == {"gcp.gemini", "gcp.vertex_ai"}
    gemini_row, vertex_row = rows["gcp.gemini"], rows["gcp.vertex_ai"]
    # gemini-2.5-pro: 600 uncached * $1.25/M + 400 cached * $0.125/M + 250 out (200 + 50 thoughts) * $10/M
    assert gemini_row["cost_usd"] == pytest.approx(0.00075 + 0.00005 + 0.0025, abs=1e-9)
    assert (gemini_row["input_tokens"], gemini_row["cache_read_tokens"], gemini_row["output_tokens"]) == (
        1000,
        400,
        250,
    )
    assert gemini_row["reasoning_tokens"] == 50
    # gemini-2.5-flash on Vertex: 2000 * $0.30/M + 100 * $2.50/M
    assert vertex_row["cost_usd"] == pytest.approx(0.0006 + 0.00025, abs=1e-9)
    assert gemini_row["unpriced_calls"] == vertex_row["unpriced_calls"] == 0
