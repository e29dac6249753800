"""LiteLLM routes and span readers shared by the LiteLLM tests (imported by name, holds no tests).

Every route LiteLLM offers that the fake provider speaks: LiteLLM's own HTTP client for
Anthropic, Gemini and Bedrock; the openai SDK underneath for ``openai/`` and ``azure/``. Costs are
hand-computed from the list prices (per million tokens), to the micro-dollar, cache included.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # LiteLLM reads it on import: no internet
litellm = pytest.importorskip("litellm")

from opentelemetry.sdk.trace import ReadableSpan  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402

from otel_llm import semconv  # noqa: E402
from otel_llm.fake_provider import FakeProvider, Script  # noqa: E402
from otel_llm.instrumentation.litellm import LiteLLMInstrumentor  # noqa: E402
from tests.fixtures.provider import API_KEY  # noqa: E402

MESSAGES = [{"role": "user", "content": "Say hello to the test suite."}]
COST = semconv.OTEL_LLM_COST_USD
INPUT = semconv.GEN_AI_USAGE_INPUT_TOKENS


def usage_spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    """Every finished span that carries usage, whoever emitted it."""
    return [s for s in exporter.get_finished_spans() if INPUT in (s.attributes or {})]


def the_usage_span(exporter: InMemorySpanExporter) -> dict[str, Any]:
    spans = usage_spans(exporter)
    assert len(spans) == 1, [(s.instrumentation_scope.name, s.name) for s in spans]
    assert spans[0].instrumentation_scope.name == LiteLLMInstrumentor.scope
    return dict(spans[0].attributes or {})


def per_million(**tokens_at_price: tuple[int, str]) -> float:
    """Hand-computed cost: each (tokens, USD per million tokens) pair, summed exactly."""
    return float(sum(Decimal(n) * Decimal(price) for n, price in tokens_at_price.values()) / 1_000_000)


@dataclass(frozen=True)
class Route:
    """One LiteLLM route: how to call it, what the provider reports, and what we must record."""

    model: str
    options: Callable[[FakeProvider], dict[str, Any]]
    script: Script
    provider: str
    usage: tuple[int, int, int, int, int]  # input (cache included), output, cache read, cache write, reasoning
    cost: float


ROUTES = {
    # LiteLLM drives the openai SDK; OpenAI's prompt_tokens include the cached ones.
    "openai": Route(
        "openai/gpt-4o-mini",
        lambda fp: {"api_base": fp.openai_base_url, "api_key": API_KEY},
        Script(endpoint="/chat/completions", prompt_tokens=500, cached_tokens=200, completion_tokens=7),
        semconv.PROVIDER_OPENAI,
        (500, 7, 200, 0, 0),
        per_million(uncached=(300, "0.15"), cached=(200, "0.075"), output=(7, "0.60")),
    ),
    # LiteLLM's own HTTP client; Anthropic's input_tokens EXCLUDE cache reads and both cache writes.
    "anthropic": Route(
        "anthropic/claude-sonnet-4-5",
        lambda fp: {"api_base": fp.anthropic_base_url, "api_key": API_KEY},
        Script(
            endpoint="/messages",
            input_tokens=100,
            output_tokens=20,
            cache_read_tokens=1000,
            cache_write_5m_tokens=300,
            cache_write_1h_tokens=200,
        ),
        semconv.PROVIDER_ANTHROPIC,
        (1600, 20, 1000, 500, 0),
        per_million(
            uncached=(100, "3"), read=(1000, "0.30"), write_5m=(300, "3.75"), write_1h=(200, "6"), output=(20, "15")
        ),
    ),
    # Gemini's promptTokenCount includes cached content; thoughts are billed as output.
    "gemini": Route(
        "gemini/gemini-2.5-flash",
        lambda fp: {"api_base": fp.url + "/v1beta", "api_key": API_KEY},
        Script(
            endpoint=":generateContent",
            prompt_token_count=1000,
            cached_content_token_count=400,
            candidates_token_count=50,
            thoughts_token_count=30,
        ),
        semconv.PROVIDER_GCP_GEMINI,
        (1000, 80, 400, 0, 30),
        per_million(uncached=(600, "0.30"), cached=(400, "0.03"), output=(80, "2.50")),
    ),
    # Bedrock Converse (SigV4 over LiteLLM's client); a US cross-region profile, priced as Bedrock lists it.
    "bedrock": Route(
        "bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        lambda fp: {
            "aws_bedrock_runtime_endpoint": fp.url,
            "aws_region_name": "us-east-1",
            "aws_access_key_id": "test",
            "aws_secret_access_key": "test",
        },
        Script(
            endpoint="/converse", input_tokens=100, output_tokens=20, cache_read_tokens=1000, cache_write_5m_tokens=300
        ),
        semconv.PROVIDER_AWS_BEDROCK,
        (1400, 20, 1000, 300, 0),
        per_million(uncached=(100, "3.30"), read=(1000, "0.33"), write=(300, "4.125"), output=(20, "16.50")),
    ),
    # The openai SDK's AzureOpenAI client; priced at the model Azure reports behind the deployment.
    "azure": Route(
        "azure/gpt-4o",
        lambda fp: {"api_base": fp.azure_endpoint, "api_key": API_KEY, "api_version": "2024-10-21"},
        Script(endpoint="/chat/completions", prompt_tokens=500, cached_tokens=200, completion_tokens=7),
        semconv.PROVIDER_AZURE_OPENAI,
        (500, 7, 200, 0, 0),
        per_million(uncached=(300, "2.50"), cached=(200, "1.25"), output=(7, "10")),
    ),
}


def assert_priced(attrs: dict[str, Any], route: Route) -> None:
    assert attrs[semconv.GEN_AI_PROVIDER_NAME] == route.provider
    assert attrs[semconv.GEN_AI_REQUEST_MODEL] == route.model  # as the user wrote it
    got = (
        attrs[INPUT],
        attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS],
        attrs[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS],
        attrs[semconv.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS],
        attrs.get(semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, 0),
    )
    assert got == route.usage
    assert attrs[COST] == pytest.approx(route.cost, abs=1e-12)
    assert not attrs.get(semconv.OTEL_LLM_USAGE_ESTIMATED)
