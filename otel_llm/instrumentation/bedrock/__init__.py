"""OpenTelemetry instrumentation for boto3's ``bedrock-runtime`` client: one priced span per call.

Usage (or just ``opentelemetry-instrument python app.py``; the entry point is
``otel_llm_bedrock``)::

    from otel_llm.instrumentation.bedrock import BedrockInstrumentor

    BedrockInstrumentor().instrument()            # global providers, or tracer_provider=...
    client = boto3.client("bedrock-runtime")
    client.converse(modelId="us.anthropic.claude-3-5-haiku-20241022-v1:0", messages=[...])

Traced: ``converse``, ``converse_stream``, ``invoke_model`` and
``invoke_model_with_response_stream`` (``gen_ai.provider.name=aws.bedrock``), for every model:
InvokeModel bodies of Anthropic, Amazon Nova, Titan embeddings (``embeddings`` operation),
Meta Llama, Mistral and Cohere are read for usage, and where the body has none (Mistral,
Cohere) the ``x-amzn-bedrock-input-token-count`` / ``-output-token-count`` headers, or a
stream's ``amazon-bedrock-invocationMetrics``, are. Tested on boto3/botocore 1.44.

Usage is normalized: Converse's ``inputTokens`` EXCLUDES ``cacheReadInputTokens`` and
``cacheWriteInputTokens``; ``gen_ai.usage.input_tokens`` includes them. Model ids are priced as
given: plain (``anthropic.claude-...-v1:0``), with a cross-region prefix (``us.``, ``eu.``,
``global.``...) and as an inference-profile or foundation-model ARN; an application inference
profile's ARN names no model, so its calls are left unpriced and flagged
(``otel_llm.cost.unknown_model``).

Returned objects are botocore's own: the response dicts, ``invoke_model``'s ``body`` (a fresh
``StreamingBody`` over the bytes we read for usage, read inside the call), and the streams'
``EventStream`` behind a transparent proxy that ends the span on exhaustion, ``break``,
``close()``, an in-stream error or garbage collection. botocore's retries of a throttled call
happen inside the one span. Every other AWS call (S3, SQS...) goes straight through after a dict
miss on its operation name. Not traced: aiobotocore, the ``bedrock-agent-runtime`` service.

Content capture (``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``, off by default) records
Converse prompts and replies (streamed too) and Anthropic InvokeModel bodies (streamed too);
other vendors' InvokeModel bodies are not captured yet.

The official botocore instrumentation's spans -- ``OTEL_LLM_BEDROCK_OFFICIAL_SPANS`` (``off`` |
``keep``): ``opentelemetry-instrumentation-botocore`` (installed by ``opentelemetry-bootstrap``
wherever boto3 is) puts ``gen_ai.usage.*`` on its own span of a Bedrock call. With ``off`` (the
default) otel-llm turns that package's Bedrock extension off while it is instrumented, so the
official instrumentation traces Bedrock calls as plain AWS SDK spans (``rpc.*``, no ``gen_ai.*``)
and exactly one span, ours, carries usage and cost; the ClickHouse views count the call once.
With ``keep`` both carry usage and any sum over both counts the call twice.
``instrument(official_spans="keep")`` overrides the variable. See ``_official_spans``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from otel_llm.instrumentation._instrumentor import LLMInstrumentor, SpanSilencer
from otel_llm.instrumentation._wrapping import Row
from otel_llm.instrumentation.bedrock._methods import ROWS
from otel_llm.instrumentation.bedrock._official_spans import OfficialBedrockSpans
from otel_llm.instrumentation.bedrock._settings import OFFICIAL_SPANS_KEEP, OFFICIAL_SPANS_OFF, BedrockSettings
from otel_llm.instrumentation.bedrock.package import _instruments

__all__ = ["OFFICIAL_SPANS_KEEP", "OFFICIAL_SPANS_OFF", "BedrockInstrumentor"]


class BedrockInstrumentor(LLMInstrumentor):
    """Wraps botocore's ``BaseClient._make_api_call`` for Bedrock Runtime; ``uninstrument()`` restores it."""

    scope = "otel_llm.instrumentation.bedrock"

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def wrap_table(self, **kwargs: Any) -> Iterable[Row]:
        return ROWS

    def span_silencer(self, **kwargs: Any) -> SpanSilencer | None:
        return OfficialBedrockSpans() if BedrockSettings.from_instrument_kwargs(kwargs).silence_official_spans else None
