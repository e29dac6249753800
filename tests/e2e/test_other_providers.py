"""mistralai, groq and cohere under ``opentelemetry-instrument``: found by their entry points, one
priced, tagged span per call, nothing in the app naming otel-llm (``examples/other_providers.py``)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from otel_llm import semconv
from otel_llm.fake_provider import FakeProvider
from tests.e2e.test_opentelemetry_instrument import INSTRUMENT, REPO, _console_spans

APP = REPO / "examples" / "other_providers.py"
# (provider, the fake provider's request paths of that provider's calls)
CALLS = {
    semconv.PROVIDER_MISTRAL: ("/mistral/v1/chat/completions", "/mistral/v1/embeddings"),
    semconv.PROVIDER_GROQ: ("/openai/v1/chat/completions",),
    semconv.PROVIDER_COHERE: ("/v2/chat", "/v2/embed"),
}


@pytest.fixture
def app_spans(fake_provider: FakeProvider) -> list[dict[str, Any]]:
    for sdk in ("mistralai.client", "groq", "cohere"):
        pytest.importorskip(sdk)
    if not INSTRUMENT.exists():
        pytest.skip("needs opentelemetry-instrument in this environment")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "MISTRAL_", "GROQ_", "CO_"))},
        "MISTRAL_SERVER_URL": fake_provider.mistral_server_url,
        "GROQ_BASE_URL": fake_provider.groq_base_url,
        "CO_API_URL": fake_provider.cohere_base_url,
        "OTEL_SERVICE_NAME": "otel-llm-e2e",
        "OTEL_TRACES_EXPORTER": "console",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
    }
    done = subprocess.run(
        [str(INSTRUMENT), sys.executable, str(APP)], cwd=REPO, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return _console_spans("\n" + done.stdout)


@pytest.mark.parametrize("provider", list(CALLS))
def test_each_call_is_one_priced_tagged_span(
    provider: str, app_spans: list[dict[str, Any]], fake_provider: FakeProvider
) -> None:
    spans = [s for s in app_spans if s["attributes"].get(semconv.GEN_AI_PROVIDER_NAME) == provider]
    calls = [
        r for r in fake_provider.requests
        if r.path in CALLS[provider] and r.headers.get("x-stainless-retry-count", "0") == "0"
    ]
    assert calls and len(spans) == len(calls)  # one span per call: the SDK's retry adds none
    for span in spans:
        a = span["attributes"]
        assert span["kind"] == "SpanKind.CLIENT"
        assert a[semconv.OTEL_LLM_COST_USD] > 0
        assert a[semconv.OTEL_LLM_FEATURE] == "support_chat" and a[semconv.ENDUSER_ID] == "acme_corp_001"
    assert "dummy-key" not in str(spans)
