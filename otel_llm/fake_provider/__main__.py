"""``python -m otel_llm.fake_provider [--port N]``: a standalone fake provider for running an app by hand."""

from __future__ import annotations

import argparse
import contextlib
import threading

from otel_llm.fake_provider import CHUNKS_HEADER, FAIL_FIRST_HEADER, FakeProvider

_DESCRIPTION = (
    "A local fake of the OpenAI, Anthropic, Gemini, Bedrock, Mistral, Groq and Cohere APIs, for running an app "
    "by hand: no API key, no network."
)
# Everything an app needs to point at the fake, in --help: before, only the source said it.
_EPILOG = f"""\
point an app at it (PORT as printed at start, or the one given with --port):
  OPENAI_BASE_URL=http://HOST:PORT/v1          (OpenAI and OpenAI-compatible SDKs)
  ANTHROPIC_BASE_URL=http://HOST:PORT          (Anthropic; also the Azure OpenAI endpoint)
  GOOGLE_GEMINI_BASE_URL=http://HOST:PORT      (google-genai; Vertex AI: GOOGLE_VERTEX_BASE_URL)
  AWS_ENDPOINT_URL_BEDROCK_RUNTIME=http://HOST:PORT  (boto3 bedrock-runtime, with any AWS_ACCESS_KEY_ID/SECRET)
  GROQ_BASE_URL=http://HOST:PORT  CO_API_URL=http://HOST:PORT   (groq, cohere)
  Mistral(server_url="http://HOST:PORT/mistral")  (mistralai reads no variable for it)
  OPENAI_API_KEY=test-key ANTHROPIC_API_KEY=test-key GEMINI_API_KEY=test-key   (any non-empty key is accepted)

endpoints: /v1/chat/completions, /v1/responses, /v1/embeddings, /v1/completions (also under Azure's
/openai/deployments/NAME/), /v1/messages, Bedrock /model/ID/converse, /converse-stream, /invoke,
/invoke-with-response-stream, Gemini's models/MODEL:generateContent, :streamGenerateContent,
:batchEmbedContents (and Vertex's publishers/google/models/MODEL:...); Mistral's under /mistral/v1/,
Groq's /openai/v1/chat/completions, Cohere's /v2/chat, /v2/embed and /v1/chat; JSON, SSE and AWS
eventstream streams, deterministic token counts, a repeated prompt prefix of 1,024+ tokens reported as cached.

request headers that change the answer:
  {FAIL_FIRST_HEADER}: STATUS  the first attempt fails with STATUS (e.g. 429, 500);
                                      the SDK's own retry then succeeds
  {CHUNKS_HEADER}: N           a streamed answer has N content chunks
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m otel_llm.fake_provider", description=_DESCRIPTION, epilog=_EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on; 0 picks a free one (default 0)")
    args = parser.parse_args(argv)
    with FakeProvider(args.host, args.port) as fp:
        print("otel-llm fake provider listening; point an app at it with:", flush=True)
        print(f"export OPENAI_BASE_URL={fp.openai_base_url}", flush=True)
        print(f"export ANTHROPIC_BASE_URL={fp.anthropic_base_url}", flush=True)
        print(f"export GOOGLE_GEMINI_BASE_URL={fp.url}", flush=True)
        print(f"export GROQ_BASE_URL={fp.groq_base_url} CO_API_URL={fp.cohere_base_url}", flush=True)
        print(f"export MISTRAL_SERVER_URL={fp.mistral_server_url}  # pass as Mistral(server_url=...)", flush=True)
        print("export OPENAI_API_KEY=test-key ANTHROPIC_API_KEY=test-key", flush=True)
        print(f"export AWS_ENDPOINT_URL_BEDROCK_RUNTIME={fp.url} AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test",
              flush=True)
        print(f"A request with the header '{FAIL_FIRST_HEADER}: 429' fails once, then the SDK's retry succeeds.",
              flush=True)
        print("Ctrl-C to stop.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
