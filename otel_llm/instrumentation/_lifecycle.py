"""The one span lifecycle every SDK module uses: start, response or error, end exactly once.

An instrumentor builds one :class:`Telemetry` (tracer, meters, price book, content policy) at
``instrument()`` time. For each SDK call the SDK module's handler calls
``telemetry.start_call(...)`` with what it extracted from the request, and gets an
:class:`LLMCall`; its ``request=RequestParts(...)`` (model, messages, system, tools, the kwargs,
max tokens set, the provider's cache markers) adds the request's shape: fingerprints and sizes,
never content (``_fingerprint``). Then, on the call object:

- ``record_response(attributes, usage)`` when the response (or the end of a stream) is known:
  sets response attributes, every usage attribute, cost (or ``otel_llm.cost.unknown_model``);
  usage that cannot be true is flagged ``otel_llm.usage.suspect`` instead of priced;
- ``record_first_chunk()`` on a stream's first chunk (time to first chunk, attribute + metric);
- ``record_error(exc)`` when the SDK raised (the caller then re-raises the SDK's exception);
- ``end()`` once; later calls are no-ops, so a stream can end from whichever path comes first.
  It also tells the call observers that saw the request (``call.observed``, set by the wrapper;
  a budget settles its reservation) the real usage and cost.

A call whose span is sampled out still records its usage and cost: the attributes the span would
have carried are kept and emitted at ``end()`` as one log event (see ``_usage_record``), so every
call is stored once, by its span or by its event, whatever the trace sampler keeps.

Every method is guarded: a bug in here is logged once and swallowed, and never marks the
user's span as failed. Metrics carry no user id (cardinality); the cost counter is broken down
by provider, model, operation and feature only.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from opentelemetry._logs import Logger
from opentelemetry.metrics import Meter
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer

from otel_llm import semconv
from otel_llm._env import env_bool
from otel_llm.context import current_tag_attributes
from otel_llm.instrumentation._content import ContentPolicy
from otel_llm.instrumentation._fingerprint import (
    NO_SHAPE,
    RequestParts,
    RequestShape,
    installation_key,
    request_shape,
)
from otel_llm.instrumentation._guard import guard, report_bug
from otel_llm.instrumentation._nesting import current_model_scope
from otel_llm.instrumentation._observers import Observed, notify_after_call
from otel_llm.instrumentation._usage_record import emit_usage_record, span_is_exported
from otel_llm.usage import Usage
from otel_llm.usage_check import beyond_context_window, suspect_reason, within_int64

__all__ = ["LLMCall", "Telemetry", "error_type"]

_NOT_LOADED: Any = object()


def error_type(exc: BaseException) -> str:
    """Low-cardinality error identifier: the HTTP error status when the SDK reports one, else the class.

    An error event inside a 200 stream (Anthropic's ``overloaded_error`` mid-stream) carries
    ``status_code == 200``; "200" would read as success, so only 4xx/5xx count as a status.
    """
    status = getattr(exc, "status_code", None)
    if status is None:  # google-genai's APIError names the HTTP status ``code``
        status = getattr(exc, "code", None)
    if isinstance(status, int) and not isinstance(status, bool) and 400 <= status < 600:
        return str(status)
    return type(exc).__qualname__


class Telemetry:
    """Instruments shared by every call of one instrumentor, built once (never per call)."""

    def __init__(
        self, tracer: Tracer, meter: Meter, content: ContentPolicy | None = None, logger: Logger | None = None,
        *, readers: Any = None,
    ) -> None:
        self.tracer = tracer
        # The meter's measurement consumer (``_instrumentor.measurement_consumer``): a call records
        # its metric points only while it has a reader. None: always.
        self._readers = readers
        # Where the usage record of a sampled-out call goes; None: such calls go unrecorded.
        self.logger = logger
        # Cleared by uninstrument: a wrapper that could not be removed then calls straight through.
        self.active = True
        self.content = content or ContentPolicy()
        self.emit_cache_creation = env_bool(semconv.ENV_EMIT_LEGACY_CACHE_CREATION, True)
        self.token_usage = meter.create_histogram(
            semconv.METRIC_TOKEN_USAGE,
            unit="{token}",
            description="Tokens used per LLM call, by token type.",
            explicit_bucket_boundaries_advisory=semconv.TOKEN_USAGE_BUCKETS,
        )
        self.duration = meter.create_histogram(
            semconv.METRIC_OPERATION_DURATION,
            unit="s",
            description="Duration of LLM calls, streams until their last chunk.",
            explicit_bucket_boundaries_advisory=semconv.DURATION_BUCKETS,
        )
        self.time_to_first_chunk = meter.create_histogram(
            semconv.METRIC_TIME_TO_FIRST_CHUNK,
            unit="s",
            description="Time from request to the first streamed chunk.",
            explicit_bucket_boundaries_advisory=semconv.DURATION_BUCKETS,
        )
        self.cost = meter.create_counter(
            semconv.METRIC_COST, unit="USD", description="Cost of LLM calls in US dollars."
        )
        self.unpriced_calls = meter.create_counter(
            semconv.METRIC_UNKNOWN_MODEL_CALLS,
            unit="{call}",
            description="LLM calls left unpriced: the model has no known price, or the usage is impossible.",
        )
        self._price_book: Any = _NOT_LOADED
        self.record_shape = env_bool(semconv.ENV_REQUEST_SHAPE, True)
        self._fingerprint_key: bytes | None = None

    @property
    def metrics_read(self) -> bool:
        """Whether a metric point recorded now reaches any reader."""
        readers = self._readers
        return readers is None or bool(readers._reader_storages)

    @property
    def price_book(self) -> Any:
        """The price book, loaded on first use: loading reads a bundled file, never at import."""
        if self._price_book is not _NOT_LOADED:
            return self._price_book
        try:
            from otel_llm.pricing import default_price_book

            self._price_book = default_price_book()
        except Exception as exc:
            report_bug("lifecycle.price_book", exc)
            self._price_book = None
        return self._price_book

    @property
    def fingerprint_key(self) -> bytes:
        """The request fingerprint key, read (or created) on first use: a file, never at import."""
        if self._fingerprint_key is None:
            self._fingerprint_key = installation_key()
        return self._fingerprint_key

    def _shape(self, request: RequestParts) -> RequestShape:
        try:
            return request_shape(self.fingerprint_key, request)
        except Exception as exc:  # a request shape we cannot walk: the span goes without its shape
            report_bug("lifecycle.request_shape", exc)
            return NO_SHAPE

    def start_call(
        self,
        *,
        operation: str,
        provider: str,
        request_model: str | None,
        attributes: Mapping[str, Any],
        server_address: str | None = None,
        server_port: int | None = None,
        request: RequestParts | None = None,
        start_time_ns: int | None = None,
    ) -> LLMCall | None:
        """Start the CLIENT span of one call; None only if our own code failed (call goes untraced).

        ``request`` describes the request for its shape attributes (fingerprints, sizes; never
        content); every SDK package passes one. ``start_time_ns`` (epoch ns) backdates the call:
        a framework knows only after its model call returned that no provider SDK of ours traced
        it (``_nesting``), and its own span must still cover the call. Guarded by its own
        ``try`` rather than ``@guard``: it runs on every call, and a decorator is a frame more.
        """
        try:
            base: dict[str, Any] = {
                semconv.GEN_AI_OPERATION_NAME: operation,
                semconv.GEN_AI_PROVIDER_NAME: provider,
            }
            if request_model:
                base[semconv.GEN_AI_REQUEST_MODEL] = request_model
            if server_address:
                base[semconv.SERVER_ADDRESS] = server_address
            if server_port:
                base[semconv.SERVER_PORT] = server_port
            scope = current_model_scope()
            if scope is None:
                tags = current_tag_attributes()
            else:  # inside a framework's model invocation: it names the work (``_nesting``)
                scope.traced_calls += 1
                # The app's tag > the scope's (workflow) feature > OTEL_LLM_DEFAULT_FEATURE.
                tags = {**scope.attributes, **current_tag_attributes(scope.attributes.get(semconv.OTEL_LLM_FEATURE))}
            shape = self._shape(request) if request is not None and self.record_shape else NO_SHAPE
            span_attrs = {**attributes, **shape.attributes, **tags, **base}
            name = f"{operation} {request_model}" if request_model else operation
            span = self.tracer.start_span(
                name, kind=SpanKind.CLIENT, attributes=span_attrs, start_time=start_time_ns
            )
            # Sampled out: keep what the span would carry (the SDK copied span_attrs if it records).
            record = span_attrs if self.logger is not None and not span_is_exported(span) else None
            return LLMCall(self, span, base, tags, record, shape, start_time_ns)  # base: its metric attributes
        except Exception as exc:
            report_bug("lifecycle.start_call", exc)
            return None


class LLMCall:
    """One in-flight call: its span, its timing, and what is needed to price it at the end."""

    __slots__ = (
        "_cost_total",
        "_cost_usd",
        "_ended",
        "_first_chunk_at",
        "_metric_attrs",
        "_record",
        "_shape",
        "_started",
        "_started_ns",
        "_telemetry",
        "_usage",
        "observed",
        "span",
        "state",
        "tags",
    )

    def __init__(
        self,
        telemetry: Telemetry,
        span: Span,
        metric_attrs: dict[str, Any],
        tags: Mapping[str, str],
        record: dict[str, Any] | None = None,
        shape: RequestShape = NO_SHAPE,
        start_time_ns: int | None = None,
    ):
        self._telemetry = telemetry
        self.span = span
        self._metric_attrs = metric_attrs
        # The otel_llm.tag / baggage attributes at start: budgets charge the call to these.
        self.tags = tags
        self._started = time.perf_counter()
        # The attributes of a sampled-out call, emitted as its usage record at end(); else None.
        self._record = record
        # The request's shape: its prefix tokens are counted again from the reported input.
        self._shape = shape
        self._started_ns = time.time_ns() if record is not None else 0
        if start_time_ns is not None:  # backdated (a framework's own span): duration from then
            now_ns = time.time_ns()
            self._started -= max(now_ns - start_time_ns, 0) / 1e9
            self._started_ns = start_time_ns
        self._first_chunk_at: float | None = None
        self._usage: Usage | None = None
        self._cost_usd: Decimal | None = None
        self._cost_total = 0.0  # the cost as the span attribute and the cost point carry it
        # The observers that accepted the call and their tokens (set by the wrapper), told at end().
        self.observed: Observed = ()
        self._ended = False
        # The SDK handler's own per-call data, from ``begin`` to ``complete`` (e.g. request kwargs).
        self.state: Any = None

    @property
    def telemetry(self) -> Telemetry:
        return self._telemetry

    @property
    def ended(self) -> bool:
        return self._ended

    @property
    def request_model(self) -> str | None:
        return self._metric_attrs.get(semconv.GEN_AI_REQUEST_MODEL)

    @property
    def provider(self) -> str:
        return self._metric_attrs[semconv.GEN_AI_PROVIDER_NAME]

    @guard("lifecycle.record_first_chunk")
    def record_first_chunk(self) -> None:
        if self._first_chunk_at is not None:
            return
        self._first_chunk_at = now = time.perf_counter()
        elapsed = now - self._started
        self.span.set_attribute(semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, elapsed)
        if self._record is not None:
            self._record[semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] = elapsed
        if self._telemetry.metrics_read:
            self._telemetry.time_to_first_chunk.record(elapsed, self._metric_attrs)

    def record_response(
        self, attributes: Mapping[str, Any], usage: Usage | None, *, service_tier: str | None = None
    ) -> None:
        """Response attributes, usage and cost. ``usage`` None (or empty) means "not reported".

        The service tier for pricing defaults to the one the response reports. Everything goes
        to the span in one ``set_attributes``: the SDK's per-call cost is a large part of ours.
        Guarded by its own ``try`` (a bug here is logged once, the call is unaffected).
        """
        try:
            merged = dict(attributes)
            response_model = attributes.get(semconv.GEN_AI_RESPONSE_MODEL)
            if response_model:
                self._metric_attrs[semconv.GEN_AI_RESPONSE_MODEL] = response_model
            if usage is not None and not usage.is_empty:
                suspect = suspect_reason(usage)
                if suspect is None:
                    tier = service_tier or attributes.get(semconv.GEN_AI_RESPONSE_SERVICE_TIER)
                    suspect = self._add_cost_attributes(merged, usage, response_model, tier)
                if suspect is None:
                    self._usage = usage
                    self._add_usage_attributes(merged, usage)
                    if usage.input_tokens:
                        merged.update(self._shape.with_usage(usage.input_tokens))
                else:
                    self._add_usage_attributes(merged, within_int64(usage))
                    self._flag_suspect(merged, suspect, response_model)
            self.span.set_attributes(merged)
            if self._record is not None:
                self._record.update(merged)
        except Exception as exc:
            report_bug("lifecycle.record_response", exc)

    def _flag_suspect(self, attrs: dict[str, Any], reason: str, response_model: str | None) -> None:
        """Impossible usage: flagged and counted as unpriced; no cost, no token metric, no budget charge.

        ``self._usage`` stays None, so the call's metrics and its budget settle as if no usage was
        reported: a made-up number must not reach a dashboard or refuse the app's next call.
        """
        attrs[semconv.OTEL_LLM_USAGE_SUSPECT] = True
        attrs[semconv.OTEL_LLM_USAGE_SUSPECT_REASON] = reason
        metric_attrs = {**self._cost_metric_attrs(response_model), semconv.OTEL_LLM_USAGE_SUSPECT: True}
        self._telemetry.unpriced_calls.add(1, metric_attrs)

    def _add_usage_attributes(self, attrs: dict[str, Any], usage: Usage) -> None:
        attrs[semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = usage.cache_read_tokens
        attrs[semconv.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS] = usage.cache_write_tokens
        attrs[semconv.OTEL_LLM_USAGE_ESTIMATED] = usage.estimated
        attrs[semconv.OTEL_LLM_CACHE_HIT] = usage.cache_read_tokens > 0
        if usage.input_tokens is not None:
            attrs[semconv.GEN_AI_USAGE_INPUT_TOKENS] = usage.input_tokens
        if usage.output_tokens is not None:
            attrs[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] = usage.output_tokens
        if usage.reasoning_tokens:
            attrs[semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = usage.reasoning_tokens
        if usage.cache_write_1h_tokens:
            attrs[semconv.OTEL_LLM_USAGE_CACHE_WRITE_1H_INPUT_TOKENS] = usage.cache_write_1h_tokens
        if self._telemetry.emit_cache_creation:
            attrs[semconv.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = usage.cache_write_tokens

    def _add_cost_attributes(
        self, attrs: dict[str, Any], usage: Usage, response_model: str | None, service_tier: str | None
    ) -> str | None:
        """The cost attributes; or, when the usage is far beyond the priced model's context window
        (known only once the price is found), none and the suspect reason to flag instead."""
        book = self._telemetry.price_book
        if book is None:
            return None  # pricing failed to load: already logged; no cost rather than a wrong one
        metric_attrs = self._metric_attrs
        model = metric_attrs.get(semconv.GEN_AI_REQUEST_MODEL) or response_model
        provider = metric_attrs[semconv.GEN_AI_PROVIDER_NAME]
        cost = (
            book.cost(usage, model, provider, response_model=response_model, service_tier=service_tier)
            if model
            else None
        )
        if cost is None:
            attrs[semconv.OTEL_LLM_COST_UNKNOWN_MODEL] = True
            self._telemetry.unpriced_calls.add(1, self._cost_metric_attrs(response_model))
            return None
        suspect = beyond_context_window(usage, cost.max_input_tokens)
        if suspect is not None:
            return suspect
        self._cost_usd = cost.total_usd
        self._cost_total = total = float(cost.total_usd)
        attrs[semconv.OTEL_LLM_COST_USD] = total
        attrs[semconv.OTEL_LLM_COST_INPUT_USD] = float(cost.input_usd)
        attrs[semconv.OTEL_LLM_COST_OUTPUT_USD] = float(cost.output_usd)
        # Most calls have no cache traffic: their zero parts skip the Decimal -> float conversion.
        attrs[semconv.OTEL_LLM_COST_CACHE_READ_USD] = float(cost.cache_read_usd) if cost.cache_read_usd else 0.0
        attrs[semconv.OTEL_LLM_COST_CACHE_WRITE_USD] = float(cost.cache_write_usd) if cost.cache_write_usd else 0.0
        attrs[semconv.OTEL_LLM_CACHE_SAVINGS_USD] = float(cost.cache_savings_usd) if cost.cache_savings_usd else 0.0
        attrs[semconv.OTEL_LLM_PRICING_VERSION] = str(book.version)
        attrs[semconv.OTEL_LLM_PRICING_SOURCE] = cost.source
        return None  # the cost point is recorded at end(), with the call's other metric points

    def _cost_metric_attrs(self, response_model: str | None) -> dict[str, Any]:
        metric_attrs = self._metric_attrs
        attrs = {
            semconv.GEN_AI_PROVIDER_NAME: metric_attrs[semconv.GEN_AI_PROVIDER_NAME],
            semconv.GEN_AI_OPERATION_NAME: metric_attrs[semconv.GEN_AI_OPERATION_NAME],
            semconv.GEN_AI_REQUEST_MODEL: metric_attrs.get(semconv.GEN_AI_REQUEST_MODEL) or response_model or "",
        }
        if response_model:
            attrs[semconv.GEN_AI_RESPONSE_MODEL] = response_model
        feature = self.tags.get(semconv.OTEL_LLM_FEATURE)
        if feature:
            attrs[semconv.OTEL_LLM_FEATURE] = feature
        return attrs

    @guard("lifecycle.record_error")
    def record_error(self, exc: BaseException) -> None:
        """The SDK raised: mark the span failed. The caller re-raises ``exc`` itself, untouched."""
        kind = error_type(exc)
        self._metric_attrs[semconv.ERROR_TYPE] = kind
        span = self.span
        span.set_attribute(semconv.ERROR_TYPE, kind)
        if self._record is not None:
            self._record[semconv.ERROR_TYPE] = kind
        span.record_exception(exc)
        span.set_status(Status(StatusCode.ERROR, f"{type(exc).__qualname__}: {exc}"))

    def end(self) -> None:
        """End the span, record the call's metrics and tell its observers, exactly once.

        A sampled-out call emits its usage record here, after its metrics and before its span ends.
        """
        if self._ended:
            return
        self._ended = True
        try:
            if self._telemetry.metrics_read:
                self._record_metrics()
        except Exception as exc:
            report_bug("lifecycle.metrics", exc)
        if self.observed:
            notify_after_call(self.observed, self._usage, self._cost_usd)  # never raises
        if self._record is not None:
            try:
                duration_ns = int((time.perf_counter() - self._started) * 1e9)
                emit_usage_record(self._telemetry.logger, self.span, self._record, self._started_ns, duration_ns)
            except Exception as exc:
                report_bug("lifecycle.usage_record", exc)
        try:
            self.span.end()
        except Exception as exc:
            report_bug("lifecycle.end", exc)

    def _record_metrics(self) -> None:
        telemetry = self._telemetry
        attrs = self._metric_attrs
        telemetry.duration.record(time.perf_counter() - self._started, attrs)
        usage = self._usage
        if usage is None:
            return
        # One dict for both token points: the SDK copies a point's attributes when it records it.
        token_attrs = dict(attrs)
        if usage.input_tokens is not None:
            token_attrs[semconv.GEN_AI_TOKEN_TYPE] = semconv.TOKEN_TYPE_INPUT
            telemetry.token_usage.record(usage.input_tokens, token_attrs)
        if usage.output_tokens is not None:
            token_attrs[semconv.GEN_AI_TOKEN_TYPE] = semconv.TOKEN_TYPE_OUTPUT
            telemetry.token_usage.record(usage.output_tokens, token_attrs)
        if self._cost_usd is not None:
            telemetry.cost.add(self._cost_total, self._cost_metric_attrs(attrs.get(semconv.GEN_AI_RESPONSE_MODEL)))
