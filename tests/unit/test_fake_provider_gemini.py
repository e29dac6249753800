"""The fake provider speaks Gemini's wire: the real google-genai SDK parses every body into its types.

Raw HTTP checks pin what the SDK would otherwise hide (camelCase field names, SSE framing, the
error body); SDK checks prove the SDK reads them as it reads the real API. Default counts follow
the fake's rules: prompt tokens = characters / 4 rounded up, candidates = reply pieces.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from otel_llm.fake_provider import FakeProvider, Script

genai = pytest.importorskip("google.genai")
from google.genai import errors, types  # noqa: E402

PROMPT = "Summarize the quarterly report."  # 31 chars -> 8 tokens
REPLY_PIECES = 10


def _post(url: str, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"content-type": "application/json", "x-goog-api-key": "secret-key"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _contents(text: str) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": text}]}]}


def test_generate_content_body_uses_the_rest_field_names(fake_provider: FakeProvider) -> None:
    fake_provider.enqueue(
        Script(
            prompt_token_count=1000,
            cached_content_token_count=400,
            thoughts_token_count=7,
            tool_use_prompt_token_count=3,
        )
    )
    status, _, raw = _post(f"{fake_provider.url}/v1beta/models/gemini-2.5-flash:generateContent", _contents(PROMPT))
    body = json.loads(raw)
    assert status == 200
    assert body["candidates"][0]["content"]["role"] == "model"
    assert body["candidates"][0]["finishReason"] == "STOP"
    assert body["modelVersion"] == "gemini-2.5-flash"
    usage = body["usageMetadata"]
    assert usage["promptTokenCount"] == 1000  # includes the cached 400, as the real API counts
    assert usage["cachedContentTokenCount"] == 400
    assert usage["candidatesTokenCount"] == REPLY_PIECES  # excludes the thoughts
    assert usage["thoughtsTokenCount"] == 7
    assert usage["toolUsePromptTokenCount"] == 3
    assert usage["totalTokenCount"] == 1000 + REPLY_PIECES + 7 + 3
    assert "secret-key" not in str(fake_provider.requests[0].headers)


def test_stream_is_sse_with_cumulative_usage_in_every_chunk(fake_provider: FakeProvider) -> None:
    status, headers, raw = _post(
        f"{fake_provider.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", _contents(PROMPT)
    )
    assert status == 200
    assert headers["content-type"].startswith("text/event-stream")
    events = [json.loads(line[len("data: ") :]) for line in raw.decode().split("\n\n") if line]
    assert len(events) == REPLY_PIECES + 1
    counts = [e["usageMetadata"]["candidatesTokenCount"] for e in events]
    assert counts == [*range(1, REPLY_PIECES + 1), REPLY_PIECES]  # cumulative, never per-chunk
    assert {e["usageMetadata"]["promptTokenCount"] for e in events} == {8}
    assert "finishReason" not in events[0]["candidates"][0]
    assert events[-1]["candidates"][0]["finishReason"] == "STOP"


def test_errors_are_google_rpc_shaped(fake_provider: FakeProvider) -> None:
    fake_provider.enqueue(Script(status=429))
    status, _, raw = _post(f"{fake_provider.url}/v1beta/models/gemini-2.5-flash:generateContent", _contents("x"))
    assert status == 429
    assert json.loads(raw)["error"] == {
        "code": 429,
        "message": "Resource has been exhausted (e.g. check quota).",
        "status": "RESOURCE_EXHAUSTED",
    }


def test_the_sdk_parses_content_stream_and_embeddings(fake_provider: FakeProvider) -> None:
    client = genai.Client(api_key="k", http_options=types.HttpOptions(base_url=fake_provider.url))
    response = client.models.generate_content(model="gemini-2.5-flash", contents=PROMPT)
    assert response.text == "This is a deterministic reply from the otel-llm fake provider."
    assert (response.usage_metadata.prompt_token_count, response.usage_metadata.candidates_token_count) == (8, 10)
    chunks = list(client.models.generate_content_stream(model="gemini-2.5-flash", contents=PROMPT))
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    embedded = client.models.embed_content(model="gemini-embedding-001", contents=["abcd", "abcdefgh"])
    assert [len(e.values) for e in embedded.embeddings] == [768, 768]
    if "usage_metadata" in types.EmbedContentResponse.model_fields:  # google-genai 1.x drops it
        assert embedded.usage_metadata.prompt_token_count == 3  # 1 + 2
    # The API version (v1beta or v1, by SDK version) is the SDK's choice; the rest is fixed.
    assert [r.path.split("/", 2)[2] for r in fake_provider.requests] == [
        "models/gemini-2.5-flash:generateContent",
        "models/gemini-2.5-flash:streamGenerateContent",
        "models/gemini-embedding-001:batchEmbedContents",
    ]
    assert fake_provider.requests[1].query == {"alt": "sse"}


def test_the_sdk_raises_its_own_error_types(fake_provider: FakeProvider) -> None:
    client = genai.Client(api_key="k", http_options=types.HttpOptions(base_url=fake_provider.url))
    fake_provider.enqueue(Script(status=503))
    with pytest.raises(errors.ServerError) as raised:
        client.models.generate_content(model="gemini-2.5-flash", contents="x")
    assert (raised.value.code, raised.value.status) == (503, "UNAVAILABLE")


def test_vertex_url_shape_and_predict_embeddings(fake_provider: FakeProvider) -> None:
    from google.oauth2.credentials import Credentials

    client = genai.Client(
        vertexai=True,
        project="p",
        location="europe-west4",
        credentials=Credentials(token="t"),
        http_options=types.HttpOptions(base_url=fake_provider.url),
    )
    response = client.models.generate_content(model="gemini-2.5-flash", contents=PROMPT)
    assert response.usage_metadata.traffic_type == types.TrafficType.ON_DEMAND
    embedded = client.models.embed_content(model="text-embedding-004", contents=["abcd", "abcdefgh"])
    assert [e.statistics.token_count for e in embedded.embeddings] == [1, 2]
    assert embedded.metadata.billable_character_count == 12
    prefix = "/v1beta1/projects/p/locations/europe-west4/publishers/google/models/"
    assert [r.path for r in fake_provider.requests] == [
        prefix + "gemini-2.5-flash:generateContent",
        prefix + "text-embedding-004:predict",
    ]
    assert fake_provider.requests[0].headers.get("authorization") is None  # the bearer token is not kept
