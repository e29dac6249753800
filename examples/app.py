"""A small LLM app with two features and two customers, calling both OpenAI and Anthropic.

It is written the way an ordinary app is: no OpenTelemetry code at all. Run it under
``opentelemetry-instrument`` and otel-llm turns every call into a priced span, attributed to the
feature and end user named by ``otel_llm.tag``. The calls are chosen to exercise what cost
tracking gets wrong elsewhere: a prompt served from OpenAI's cache, an Anthropic cache write
and then read, streams on both SDKs, and a rate-limited call that the SDK retries.

The SDKs read ``OPENAI_BASE_URL`` / ``ANTHROPIC_BASE_URL`` themselves, so pointing them at
``python -m otel_llm.fake_provider`` needs no code change; without API keys a dummy key is used,
which only the fake provider accepts.
"""

from __future__ import annotations

import os

import anthropic
import openai

import otel_llm

OPENAI_MODEL = "gpt-4o-mini"
ANTHROPIC_MODEL = "claude-haiku-4-5"
BEDROCK_MODEL = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
GEMINI_MODEL = "gemini-2.5-flash"
MAX_TOKENS = 300

# A contract long enough (> 1,024 tokens) for both providers to cache it as a prompt prefix.
CONTRACT = "\n".join(
    f"Clause {n}. The supplier shall deliver batch {n} within {n + 10} days of the purchase order, "
    f"and the customer shall pay invoice {n} within 30 days of delivery, failing which interest accrues."
    for n in range(1, 41)
)
SUPPORT_PROMPT = "You are a concise, friendly support agent for a B2B invoicing product."
# Honoured only by the fake provider (the first attempt gets this status, the SDK retries);
# a real API ignores an unknown header.
FAIL_FIRST_ATTEMPT = {"x-fake-provider-fail-first": "429"}


def _clients() -> tuple[openai.OpenAI, anthropic.Anthropic]:
    return (
        openai.OpenAI(api_key=os.environ.get("OPENAI_API_KEY") or "dummy-key", max_retries=2),
        anthropic.Anthropic(api_key=os.environ.get("ANTHROPIC_API_KEY") or "dummy-key", max_retries=2),
    )


def analyze_document(gpt: openai.OpenAI, claude: anthropic.Anthropic, questions: list[str]) -> list[str]:
    """The same contract with each question: the second request onwards reads the prompt cache."""
    answers = []
    for question in questions:
        resp = gpt.chat.completions.create(
            model=OPENAI_MODEL,
            max_completion_tokens=MAX_TOKENS,
            messages=[{"role": "system", "content": CONTRACT}, {"role": "user", "content": question}],
        )
        answers.append(resp.choices[0].message.content or "")
    cached_contract = [{"type": "text", "text": CONTRACT, "cache_control": {"type": "ephemeral"}}]
    for question in questions:
        msg = claude.messages.create(
            model=ANTHROPIC_MODEL,
            max_tokens=MAX_TOKENS,
            system=cached_contract,
            messages=[{"role": "user", "content": question}],
        )
        answers.append("".join(block.text for block in msg.content if block.type == "text"))
    return answers


def support_chat(gpt: openai.OpenAI, claude: anthropic.Anthropic, message: str) -> list[str]:
    """Streamed answers from both providers, and one call that is rate limited once and retried."""
    stream = gpt.chat.completions.create(
        model=OPENAI_MODEL,
        max_completion_tokens=MAX_TOKENS,
        messages=[{"role": "system", "content": SUPPORT_PROMPT}, {"role": "user", "content": message}],
        stream=True,
        stream_options={"include_usage": True},
    )
    streamed = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    with claude.messages.stream(
        model=ANTHROPIC_MODEL,
        max_tokens=MAX_TOKENS,
        system=SUPPORT_PROMPT,
        messages=[{"role": "user", "content": message}],
    ) as claude_stream:
        claude_streamed = "".join(claude_stream.text_stream)
    retried = gpt.chat.completions.create(
        model=OPENAI_MODEL,
        max_completion_tokens=MAX_TOKENS,
        messages=[{"role": "user", "content": f"Summarize in one line: {message}"}],
        extra_headers=FAIL_FIRST_ATTEMPT,
    )
    return [streamed, claude_streamed, retried.choices[0].message.content or ""]


def bedrock_answer(question: str) -> str | None:
    """One Converse call through boto3's bedrock-runtime client, when AWS is configured.

    boto3 reads the credentials, the region and ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` (the fake
    provider in tests) from the environment itself; without credentials or a region the call is
    skipped (credentials alone would make boto3 raise NoRegionError).
    """
    if not os.environ.get("AWS_ACCESS_KEY_ID"):
        return None
    import boto3

    session = boto3.session.Session()
    if session.region_name is None:
        return None
    bedrock = session.client("bedrock-runtime")
    response = bedrock.converse(
        modelId=BEDROCK_MODEL,
        messages=[{"role": "user", "content": [{"text": question}]}],
        inferenceConfig={"maxTokens": MAX_TOKENS},
    )
    return "".join(block.get("text", "") for block in response["output"]["message"]["content"])
def gemini_triage(tickets: list[str]) -> list[str]:
    """Gemini too, when google-genai is installed and GOOGLE_GEMINI_BASE_URL or a Gemini API key is set:
    one call per ticket, then a streamed chat turn."""
    key = os.environ.get("GEMINI_API_KEY") or os.environ.get("GOOGLE_API_KEY")
    if not (key or os.environ.get("GOOGLE_GEMINI_BASE_URL")):
        return []
    try:  # imported only when called: loading google-genai costs about a second of CPU
        from google import genai
    except ImportError:
        return []
    client = genai.Client(api_key=key or "dummy-key")  # the SDK reads GOOGLE_GEMINI_BASE_URL itself
    answers = [
        client.models.generate_content(model=GEMINI_MODEL, contents=f"Triage this ticket: {t}").text or ""
        for t in tickets
    ]
    chat = client.chats.create(model=GEMINI_MODEL)
    answers.append("".join(chunk.text or "" for chunk in chat.send_message_stream("Draft a reply to the first.")))
    return answers


def main() -> None:
    gpt, claude = _clients()
    with gpt, claude:
        with otel_llm.tag(feature="document_analysis", user_id="acme_corp_001"):
            answers = analyze_document(gpt, claude, ["When is invoice 7 due?", "Which clause covers batch 12?"])
        with otel_llm.tag(feature="document_analysis", user_id="globex_002"):
            answers += analyze_document(gpt, claude, ["What interest applies to late payment?"])
        with otel_llm.tag(feature="support_chat", user_id="globex_002"):
            answers += support_chat(gpt, claude, "I was charged twice for invoice 42.")
        with otel_llm.tag(feature="support_chat", user_id="acme_corp_001"):
            answers += support_chat(gpt, claude, "How do I export my invoices to CSV?")
            answers += gemini_triage(["Charged twice for invoice 42.", "CSV export is empty."])
        with otel_llm.tag(feature="support_chat", user_id="initech_003"):
            answers += [a for a in [bedrock_answer("Can I pay invoice 9 in two parts?")] if a is not None]
    print(f"example app: {len(answers)} answers from {OPENAI_MODEL} and {ANTHROPIC_MODEL}")


if __name__ == "__main__":
    main()
