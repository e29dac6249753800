"""OpenTelemetry instrumentation for the ``anthropic`` SDK: one priced GenAI span per call.

Usage (or just ``opentelemetry-instrument python app.py``; the entry point is
``otel_llm_anthropic``)::

    from otel_llm.instrumentation.anthropic import AnthropicInstrumentor

    AnthropicInstrumentor().instrument()          # global providers, or tracer_provider=...
    client = anthropic.Anthropic()
    client.messages.create(model="claude-sonnet-4-6", max_tokens=1024, messages=[...])

Traced, sync and async: ``messages.create`` (``stream=False`` and ``stream=True``),
``messages.parse``, ``messages.stream`` (the ``MessageStream`` helpers ``text_stream``,
``get_final_message``, ``until_done``, ``close()``, ``with``/``async with``), the same methods
under ``beta.messages``, and the ``AnthropicBedrock`` (``gen_ai.provider.name=aws.bedrock``)
and ``AnthropicVertex`` (``gcp.vertex_ai``) clients. Methods a given SDK version lacks are
skipped. Tested on anthropic 2.12 and 0.125. Returned objects are the SDK's own (``Message``,
``MessageStream``) or proxies of them (``Stream``, the stream manager, raw responses); on
anthropic 0.x only, ``isinstance(stream, anthropic.Stream)`` is False for a proxied stream,
because that SDK's metaclass accepts only the exact class.

Usage is normalized: ``gen_ai.usage.input_tokens`` INCLUDES cache reads and cache writes
(Anthropic's own ``input_tokens`` excludes them), and the cost prices 5-minute and 1-hour cache
writes separately. A streamed message reports usage in ``message_start`` and again,
cumulatively, in ``message_delta``; the two are merged field by field, never summed.

The SDK's own spans -- ``OTEL_LLM_ANTHROPIC_SDK_SPANS`` (``off`` | ``keep``):
anthropic 2.x (and late 1.x) emits its own CLIENT span (scope ``com.anthropic.sdk.python``) per API call
whenever a tracer provider is registered. With ``off`` (the default) otel-llm switches that span
off for exactly the calls it traces (it hands the client a no-op tracer while our span is
current; see ``_sdk_spans``), so each call is ONE span, ours, carrying usage, cost and
tags, and no backend counts a call twice. The SDK still sends ``traceparent`` (now naming our
span) and still traces the calls otel-llm does not (``count_tokens``, files, batches). With
``keep`` both spans are emitted, the SDK's as a child of ours; any query that sums tokens must
then count only spans that carry ``otel_llm.*`` attributes. Enriching the SDK's span instead of
emitting ours was rejected: it does not exist on anthropic 0.x or with
``ANTHROPIC_OPEN_TELEMETRY=false``, and the SDK ends it on its own schedule, so the cost could
not be written reliably. ``instrument(sdk_spans="keep")`` overrides the variable.

The ``with_raw_response`` and ``with_streaming_response`` forms are traced once too: the span
gets the response when the user calls ``.parse()``, and ends without usage if they never do.
Not traced: ``count_tokens``, batches, files (the SDK's own spans, if any, still cover them).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from otel_llm.instrumentation._instrumentor import LLMInstrumentor, SpanSilencer
from otel_llm.instrumentation._wrapping import Row
from otel_llm.instrumentation.anthropic._methods import ROWS
from otel_llm.instrumentation.anthropic._sdk_spans import SdkSpanSilencer
from otel_llm.instrumentation.anthropic._settings import SDK_SPANS_KEEP, SDK_SPANS_OFF, AnthropicSettings
from otel_llm.instrumentation.anthropic.package import _instruments

__all__ = ["SDK_SPANS_KEEP", "SDK_SPANS_OFF", "AnthropicInstrumentor"]


class AnthropicInstrumentor(LLMInstrumentor):
    """Wraps the anthropic SDK's Messages methods; ``uninstrument()`` restores them all."""

    scope = "otel_llm.instrumentation.anthropic"

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def wrap_table(self, **kwargs: Any) -> Iterable[Row]:
        return ROWS

    def span_silencer(self, **kwargs: Any) -> SpanSilencer | None:
        return SdkSpanSilencer() if AnthropicSettings.from_instrument_kwargs(kwargs).silence_sdk_spans else None
