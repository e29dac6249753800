"""The fake provider speaks the real wire formats: the real SDKs parse every body into their typed models.

If these pass, every instrumentation test built on the fake exercises the same objects, streams
and retries a user's app gets from the real APIs.
"""

from __future__ import annotations

import openai

from otel_llm.fake_provider import FakeProvider, Script

USER = [{"role": "user", "content": "Summarize the quarterly report."}]  # 31 chars -> 8 tokens
DEFAULT_TEXT_TOKENS = 10  # "This is a deterministic reply from the otel-llm fake provider." in words


def test_chat_completion_json(openai_client: openai.OpenAI, fake_provider: FakeProvider) -> None:
    resp = openai_client.chat.completions.create(model="gpt-4o", messages=USER)
    assert resp.model == "gpt-4o-2024-08-06"
    assert resp.usage is not None
    assert (resp.usage.prompt_tokens, resp.usage.completion_tokens, resp.usage.total_tokens) == (8, 10, 18)
    assert resp.usage.prompt_tokens_details.cached_tokens == 0
    assert fake_provider.requests[0].body["model"] == "gpt-4o"
