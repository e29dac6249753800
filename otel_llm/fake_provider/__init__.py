"""A local fake of the OpenAI, Anthropic, Gemini, Bedrock, Mistral, Groq and Cohere APIs, for tests, benchmarks
and ``otel-llm demo``.

The real SDKs talk to it over real HTTP, so instrumentation is tested against the exact objects
users get, with no API key and no network::

    from otel_llm.fake_provider import FakeProvider, Script

    with FakeProvider() as fp:
        client = openai.OpenAI(base_url=fp.openai_base_url, api_key="test-key")
        fp.enqueue(Script(status=429), Script(cached_tokens=1000, prompt_tokens=1200))
        client.chat.completions.create(model="gpt-4o", messages=[...])   # retried once
        assert len(fp.requests) == 2

Endpoints: OpenAI ``/v1/chat/completions``, ``/v1/responses``, ``/v1/embeddings``,
``/v1/completions`` (also under Azure's ``/openai/deployments/{name}/``), Anthropic
``/v1/messages`` (also ``?beta=true`` and Vertex ``:rawPredict`` / ``:streamRawPredict``), Bedrock
Runtime ``/model/{modelId}/converse``, ``/converse-stream``, ``/invoke``,
``/invoke-with-response-stream`` (boto3 with ``endpoint_url=fp.url``), Gemini
``models/{model}:generateContent`` / ``:streamGenerateContent`` / ``:batchEmbedContents`` /
``:embedContent`` (and Vertex's ``publishers/google/models/{model}:...``, ``:predict``; point
google-genai at ``fp.url`` with ``HttpOptions(base_url=...)``); Mistral
``/mistral/v1/chat/completions`` and ``/mistral/v1/embeddings`` (``mistral_server_url``); Groq
``/openai/v1/chat/completions`` (``groq_base_url``); Cohere ``/v2/chat``, ``/v2/embed`` and v1
``/v1/chat`` (``cohere_base_url``); JSON, SSE and Bedrock's binary eventstream, each in its
provider's own framing. Unscripted replies are deterministic: input tokens are the prompt's characters
/ 4 (rounded up), output tokens the number of streamed pieces, and a repeated prompt prefix of at
least 1,024 tokens is reported as cached, the way each provider's prompt cache reports it.

``python -m otel_llm.fake_provider`` runs one standalone and prints the environment to point
an app at it.
"""

from otel_llm.fake_provider._script import MISSING, RecordedRequest, Script
from otel_llm.fake_provider._server import CHUNKS_HEADER, FAIL_FIRST_HEADER, FakeProvider

__all__ = ["CHUNKS_HEADER", "FAIL_FIRST_HEADER", "MISSING", "FakeProvider", "RecordedRequest", "Script"]
