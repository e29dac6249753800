"""The google-genai wrap table: the SDK's per-request methods, sync and async.

The public methods (``generate_content``, ``generate_content_stream``, ``embed_content``) may
send SEVERAL requests for one call: automatic function calling loops until the model stops
asking for a function, and automatic continuation follows ``continuation_token`` hops. Each
request is billed on its own usage, and Gemini's >200k-token price tier applies per request, so
a span per public call would either keep one request's usage or price a sum at the wrong tier.
The private methods below send exactly one request each (from google-genai 1.0 on), so each
request is one span priced on its own usage. Chats (``chats.create(...).send_message`` and
``send_message_stream``) go through the same methods and need no row: one span per request.
"""

from __future__ import annotations

from otel_llm.instrumentation._wrapping import Row, async_call, sync_call
from otel_llm.instrumentation.google_genai._handlers import ContentHandler, EmbedHandler, StreamHandler

__all__ = ["ROWS"]

_MODELS = "google.genai.models"

ROWS = (
    Row(_MODELS, "Models._generate_content", sync_call(ContentHandler())),
    Row(_MODELS, "AsyncModels._generate_content", async_call(ContentHandler())),
    Row(_MODELS, "Models._generate_content_stream", sync_call(StreamHandler())),
    Row(_MODELS, "AsyncModels._generate_content_stream", async_call(StreamHandler())),
    Row(_MODELS, "Models._embed_content", sync_call(EmbedHandler())),
    Row(_MODELS, "AsyncModels._embed_content", async_call(EmbedHandler())),
)
