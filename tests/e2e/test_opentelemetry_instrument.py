"""The zero-code-change promise, end to end: ``opentelemetry-instrument python examples/app.py``.

The example app runs in a subprocess, exactly as a user would start it, against the fake
provider served by this test process; spans come back through the console exporter. Nothing in
the app or the command line names otel-llm: the instrumentors load through their entry points.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from otel_llm import semconv
from otel_llm.fake_provider import FakeProvider

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "examples" / "app.py"
INSTRUMENT = Path(sys.executable).with_name("opentelemetry-instrument")
# The runner's own settings for these never reach the app: it talks to the fake provider only.
_PROVIDER_ENV = ("OTEL_", "OPENAI_", "ANTHROPIC_", "GOOGLE_", "GEMINI_", "AWS_")


# How each span the console exporter prints begins (``ReadableSpan.to_json``, indent 4).
_SPAN_START = '{\n    "name": '


def _console_spans(stdout: str) -> list[dict[str, Any]]:
    """The JSON span objects the console exporter printed, skipping the app's own output.

    A span can follow the app's text on the same line: ``print`` writes its text and its newline
    in two writes, and the batch processor's thread may write a span between them (a flake of the
    Groq test under load), so a span is found by how it begins, not by a preceding newline.
    """
    decoder = json.JSONDecoder()
    spans, pos = [], 0
    while (start := stdout.find(_SPAN_START, pos)) != -1:
        obj, pos = decoder.raw_decode(stdout, start)
        spans.append(obj)
    return spans


def test_a_span_printed_between_the_apps_text_and_its_newline_is_still_read() -> None:
    span = json.dumps({"name": "chat gpt-4o", "attributes": {"events": [{"name": "x"}]}}, indent=4)
    stdout = f"{span}\nother providers app: 8 answers{span}\n\n{span}\n"
    assert [s["name"] for s in _console_spans(stdout)] == ["chat gpt-4o"] * 3


@pytest.fixture
def app_spans(fake_provider: FakeProvider) -> list[dict[str, Any]]:
    if not APP.exists() or not INSTRUMENT.exists():
        pytest.skip("needs examples/app.py and opentelemetry-instrument in this environment")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(_PROVIDER_ENV)},
        "OPENAI_BASE_URL": fake_provider.openai_base_url,
        "ANTHROPIC_BASE_URL": fake_provider.anthropic_base_url,
        "GOOGLE_GEMINI_BASE_URL": fake_provider.url,
        # boto3 reads these itself: the example app's Bedrock call goes to the fake provider.
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": fake_provider.url,
        "AWS_ACCESS_KEY_ID": "AKIAFAKEFAKEFAKEFAKE",
        "AWS_SECRET_ACCESS_KEY": "fake-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "OTEL_SERVICE_NAME": "otel-llm-e2e",
        "OTEL_TRACES_EXPORTER": "console",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
    }
    done = subprocess.run(
        [str(INSTRUMENT), sys.executable, str(APP)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return _console_spans("\n" + done.stdout)


def test_every_openai_call_is_one_priced_tagged_span_without_secrets(
    app_spans: list[dict[str, Any]], fake_provider: FakeProvider
) -> None:
    openai_spans = [s for s in app_spans if s["attributes"].get(semconv.GEN_AI_PROVIDER_NAME) == "openai"]
    first_attempts = [
        r
        for r in fake_provider.requests
        if r.path.endswith("/chat/completions") and r.headers.get("x-stainless-retry-count", "0") == "0"
    ]
    assert first_attempts, "the app made no OpenAI call"
    assert len(openai_spans) == len(first_attempts)  # one span per call: retries and helpers add none
    for span in openai_spans:
        a = span["attributes"]
        assert span["kind"] == "SpanKind.CLIENT"
        assert span["name"] == f"chat {a[semconv.GEN_AI_REQUEST_MODEL]}"
        assert a[semconv.OTEL_LLM_COST_USD] > 0
        assert a[semconv.OTEL_LLM_FEATURE] in ("document_analysis", "support_chat")
        assert a[semconv.ENDUSER_ID]
        assert a[semconv.GEN_AI_USAGE_INPUT_TOKENS] > 0
    cached = [s for s in openai_spans if s["attributes"][semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] > 0]
    assert cached and all(s["attributes"][semconv.OTEL_LLM_CACHE_SAVINGS_USD] > 0 for s in cached)
    exported = json.dumps(app_spans)
    assert "dummy-key" not in exported and "authorization" not in exported.lower()  # no secret in any span


def test_a_bedrock_call_is_counted_once_beside_the_official_botocore_instrumentation(
    app_spans: list[dict[str, Any]], fake_provider: FakeProvider
) -> None:
    """boto3 under ``opentelemetry-instrument``: our span carries usage and cost; the official
    botocore instrumentation (installed by ``opentelemetry-bootstrap`` wherever boto3 is, and in
    the dev environment) traces the same call as a plain AWS SDK span without ``gen_ai.*``."""
    calls = [r for r in fake_provider.requests if r.path.endswith("/converse")]
    assert len(calls) == 1, "the app made no Bedrock call"
    with_usage = [s for s in app_spans if semconv.GEN_AI_USAGE_INPUT_TOKENS in s["attributes"]]
    bedrock = [s for s in with_usage if s["attributes"].get(semconv.GEN_AI_PROVIDER_NAME) == "aws.bedrock"]
    assert len(bedrock) == 1
    a = bedrock[0]["attributes"]
    assert a[semconv.OTEL_LLM_COST_USD] > 0
    assert a[semconv.ENDUSER_ID] == "initech_003"
    official = [s for s in app_spans if s["attributes"].get("rpc.method") == "Converse"]
    installed = importlib.util.find_spec("opentelemetry.instrumentation.botocore") is not None
    assert len(official) == (1 if installed else 0)
    assert not any(k.startswith("gen_ai.") for s in official for k in s["attributes"])
    assert "fake-secret" not in json.dumps(app_spans) and "AKIAFAKE" not in json.dumps(app_spans)
def test_every_gemini_request_is_one_priced_span(app_spans: list[dict[str, Any]], fake_provider: FakeProvider) -> None:
    pytest.importorskip("google.genai")
    gemini_spans = [s for s in app_spans if s["attributes"].get(semconv.GEN_AI_PROVIDER_NAME) == "gcp.gemini"]
    requests = [r for r in fake_provider.requests if "/models/gemini-" in r.path]
    assert len(requests) == 3  # two tickets, one streamed chat turn
    assert len(gemini_spans) == len(requests)
    for span in gemini_spans:
        a = span["attributes"]
        assert span["name"] == "generate_content gemini-2.5-flash"
        assert a[semconv.OTEL_LLM_COST_USD] > 0
        assert a[semconv.OTEL_LLM_FEATURE] == "support_chat"
    assert "dummy-key" not in json.dumps(gemini_spans)
