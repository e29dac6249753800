"""Per-call overhead on the google-genai client: otel-llm against the official instrumentation and OpenLLMetry.

    python benchmarks/instrumentation/bench_gemini.py [--rounds 7] [--calls 100] [--chunks 50] [--clock wall|cpu]

(``bench_providers.py`` runs this suite and the Bedrock one together, in the environment it sets
up with every peer at pinned versions.) Without network noise: the real ``genai.Client`` (request
building, pydantic validation and conversion, the SSE line parser, response models) runs in full,
and only the socket is replaced: ``HttpOptions(client_args={"transport": MockTransport(...)})``
(the SDK's documented hook) hands its HTTP client a transport that replays bytes recorded once
from the local fake provider. The transport is from the library the SDK uses by default:
``httpx2`` from google-genai 3, ``httpx`` before. Contenders (``_harness`` runs them interleaved):

- ``baseline``: uninstrumented;
- ``otel-llm``: ``GoogleGenAIInstrumentor`` (priced span, metrics);
- ``official``: ``opentelemetry-instrumentation-google-genai``; it declares google-genai 1.32 to
  2.x and does nothing on 3.x (no row there);
- ``OpenLLMetry``: ``opentelemetry-instrumentation-google-generativeai`` (which wraps ``google.genai``).

Each contender runs with its shipped defaults (content capture included or not, as each ships).
Scenarios: ``generate_content`` and ``generate_content_stream`` with ``--chunks`` text chunks
(and a last one with the finish reason, as the API sends).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from _floor import SdkFloor
from _harness import OURS, SYSTEM, TURNS, Candidate, Suite, main, recorded_reply
from google import genai
from google.genai import types

from otel_llm.fake_provider import FakeProvider
from otel_llm.instrumentation.google_genai import GoogleGenAIInstrumentor

MODEL = "gemini-2.5-flash"
PROMPT = "Summarize the quarterly report in one sentence."
CHAT = "generate_content, chat of 9 turns"
PLAIN = ("generate_content", CHAT)
Recorded = tuple[int, dict[str, str], bytes]


def _record(chunks: int) -> dict[str, Recorded]:
    """Status, headers and body of the fake provider's reply to each method's request."""
    body = json.dumps({"contents": [{"role": "user", "parts": [{"text": PROMPT}]}]})
    with FakeProvider() as fake:
        return {
            method: recorded_reply(f"{fake.url}/v1beta/models/{MODEL}:{method}{suffix}", body, chunks)
            for method, suffix in (("generateContent", ""), ("streamGenerateContent", "?alt=sse"))
        }


def _client(recorded: dict[str, Recorded]) -> genai.Client:
    """A real client whose HTTP sends are answered from ``recorded``, by the method in the URL."""
    # google-genai 3 defaults to httpx2 and picks the library of a given transport; 2.x uses httpx.
    http: Any
    if int(genai.__version__.split(".")[0]) >= 3:
        import httpx2 as http
    else:
        import httpx as http

    def replay(request: Any) -> Any:
        method = "streamGenerateContent" if ":streamGenerateContent" in request.url.path else "generateContent"
        status, headers, body = recorded[method]
        return http.Response(status, headers=headers, content=body)

    options = types.HttpOptions(base_url="http://replay.invalid", client_args={"transport": http.MockTransport(replay)})
    return genai.Client(api_key="bench", http_options=options)


def _scenarios(client: genai.Client) -> dict[str, Callable[[], object]]:
    def stream() -> object:
        return sum(1 for _ in client.models.generate_content_stream(model=MODEL, contents=PROMPT))

    contents = [{"role": "model" if role == "assistant" else "user", "parts": [{"text": text}]} for role, text in TURNS]
    config = types.GenerateContentConfig(system_instruction=SYSTEM, max_output_tokens=256, temperature=0.2)
    return {
        "generate_content": lambda: client.models.generate_content(model=MODEL, contents=PROMPT),
        CHAT: lambda: client.models.generate_content(model=MODEL, contents=contents, config=config),
        "generate_content_stream": stream,
    }


def _prepare(args: argparse.Namespace) -> Callable[[], dict[str, Callable[[], object]]]:
    recorded = _record(args.chunks)
    return lambda: _scenarios(_client(recorded))


def _official() -> Any:
    from opentelemetry.instrumentation.google_genai import GoogleGenAiSdkInstrumentor

    return GoogleGenAiSdkInstrumentor()


def _openllmetry() -> Any:
    from opentelemetry.instrumentation.google_generativeai import GoogleGenerativeAiInstrumentor

    return GoogleGenerativeAiInstrumentor()


SUITE = Suite(
    title=lambda args: f"google-genai {genai.__version__} ({args.chunks}-chunk stream)",
    scenarios=("generate_content", CHAT, "generate_content_stream"),
    candidates=(
        Candidate(OURS, GoogleGenAIInstrumentor),
        Candidate("official", _official),
        Candidate("OpenLLMetry", _openllmetry),
        # otel-llm's span on generate_content: 11 attributes at start, 18 from the response.
        Candidate("SDK floor", lambda: SdkFloor("google.genai.models", "Models._generate_content", 11, 18), only=PLAIN),
    ),
    prepare=_prepare,
)

if __name__ == "__main__":
    main([SUITE], __doc__.splitlines()[0])
