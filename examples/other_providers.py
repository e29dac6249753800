"""A small app calling Mistral, Groq and Cohere through their own SDKs, with no OpenTelemetry code.

Run it under ``opentelemetry-instrument`` and otel-llm turns each call into one priced span
(entry points ``otel_llm_mistralai``, ``otel_llm_groq``, ``otel_llm_cohere``), attributed to the
feature and end user named by ``otel_llm.tag``. Chat, streamed chat and embeddings on each SDK,
and one Groq call that is rate limited once and retried by the SDK.

The groq and cohere SDKs read ``GROQ_BASE_URL`` / ``CO_API_URL`` themselves; mistralai has no such
variable, so this app passes ``MISTRAL_SERVER_URL`` as ``server_url``. Without API keys a dummy
key is used, which only the fake provider (``python -m otel_llm.fake_provider``) accepts.
"""

from __future__ import annotations

import os

import cohere
import groq

import otel_llm

try:
    from mistralai.client import Mistral  # mistralai 2.x and later
except ImportError:
    from mistralai import Mistral  # mistralai 1.x

QUESTION = [{"role": "user", "content": "How do I export my invoices to CSV?"}]
# Honoured only by the fake provider: the first attempt gets a 429 and the SDK retries.
FAIL_FIRST_ATTEMPT = {"x-fake-provider-fail-first": "429"}


def _key(name: str) -> str:
    return os.environ.get(name) or "dummy-key"


def ask_mistral(client: Mistral) -> list[str]:
    reply = client.chat.complete(model="mistral-small-2603", messages=QUESTION)
    streamed = "".join(
        e.data.choices[0].delta.content
        for e in client.chat.stream(model="mistral-small-2603", messages=QUESTION)
        if isinstance(e.data.choices[0].delta.content, str)
    )
    client.embeddings.create(model="mistral-embed", inputs=["invoice 42", "CSV export"])
    return [str(reply.choices[0].message.content), streamed]


def ask_groq(client: groq.Groq) -> list[str]:
    reply = client.chat.completions.create(
        model="openai/gpt-oss-20b", messages=QUESTION, extra_headers=FAIL_FIRST_ATTEMPT
    )
    stream = client.chat.completions.create(model="openai/gpt-oss-20b", messages=QUESTION, stream=True)
    streamed = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    return [reply.choices[0].message.content or "", streamed]


def ask_cohere(client: cohere.ClientV2) -> list[str]:
    reply = client.chat(model="command-a-03-2025", messages=QUESTION)
    streamed = "".join(
        e.delta.message.content.text for e in client.chat_stream(model="command-a-03-2025", messages=QUESTION)
        if e.type == "content-delta"
    )
    client.embed(model="embed-v4.0", texts=["invoice 42"], input_type="search_document", embedding_types=["float"])
    return ["".join(part.text for part in reply.message.content if part.type == "text"), streamed]


def main() -> None:
    mistral = Mistral(api_key=_key("MISTRAL_API_KEY"), server_url=os.environ.get("MISTRAL_SERVER_URL") or None)
    groq_client = groq.Groq(api_key=_key("GROQ_API_KEY"), max_retries=2)
    cohere_client = cohere.ClientV2(api_key=_key("CO_API_KEY"))
    with mistral, groq_client, otel_llm.tag(feature="support_chat", user_id="acme_corp_001"):
        answers = ask_mistral(mistral) + ask_groq(groq_client) + ask_cohere(cohere_client)
    print(f"other providers app: {len(answers)} answers from Mistral, Groq and Cohere")


if __name__ == "__main__":
    main()
