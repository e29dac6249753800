"""The usage record's direct path through the SDK logger gives the record ``Logger.emit`` gives.

Why it exists: ``Logger.emit`` re-validates every attribute, which made a sampled-out call cost
what a sampled one did; the direct path must change the cost only, never the record.
"""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry._logs import NoOpLoggerProvider
from opentelemetry.sdk._logs import LoggerProvider, LogRecordLimits
from opentelemetry.sdk._logs.export import (
    BatchLogRecordProcessor,
    InMemoryLogRecordExporter,
    SimpleLogRecordProcessor,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from otel_llm.instrumentation._usage_record import _DirectLogger, emit_usage_record, event_logger

ATTRIBUTES = {
    "gen_ai.operation.name": "chat",
    "gen_ai.usage.input_tokens": 200,
    "otel_llm.cost.usd": 0.000123,
    "otel_llm.cache.hit": False,
    "gen_ai.response.finish_reasons": ("stop",),
    "otel_llm.feature": "search" * 40,
}


def _records(limits: LogRecordLimits | None = None, direct: bool = True, batch: bool = False) -> list[Any]:
    memory = InMemoryLogRecordExporter()
    provider = LoggerProvider(resource=Resource.create({"service.name": "emit"}), log_record_limits=limits)
    provider.add_log_record_processor(BatchLogRecordProcessor(memory) if batch else SimpleLogRecordProcessor(memory))
    sdk_logger = provider.get_logger("otel_llm.instrumentation.openai", "1.0")
    logger = event_logger(sdk_logger) if direct else sdk_logger
    if direct and not isinstance(logger, _DirectLogger):
        pytest.skip("this opentelemetry-sdk's Logger is not the one the direct path knows: emit() serves")
    span = NonRecordingSpan(SpanContext(0xABC, 0xDEF, is_remote=False, trace_flags=TraceFlags(0)))
    emit_usage_record(logger, span, dict(ATTRIBUTES), 1_700_000_000_000_000_000, 1234)  # type: ignore[arg-type]
    provider.shutdown()
    return list(memory.get_finished_logs())


def _fields(readable: Any) -> tuple[Any, ...]:
    record = readable.log_record
    return (
        dict(record.attributes),
        record.timestamp,
        record.trace_id,
        record.span_id,
        int(record.trace_flags),
        record.severity_number,
        record.event_name,
        record.body,
        readable.resource.attributes["service.name"],
        readable.instrumentation_scope.name,
        readable.dropped_attributes,
    )


def test_the_direct_path_gives_the_sdk_emits_record() -> None:
    [direct] = _records(direct=True)
    [emitted] = _records(direct=False)
    assert _fields(direct) == _fields(emitted)
    assert (direct.log_record.trace_id, direct.log_record.span_id) == (0xABC, 0xDEF)
    assert dict(direct.log_record.attributes)["otel_llm.call.duration_ns"] == 1234


def test_the_batch_processors_copy_of_the_direct_record_is_the_same_record() -> None:
    """BatchLogRecordProcessor copies each API record (the direct path's record copies its fields)."""
    [direct] = _records(direct=True, batch=True)
    [emitted] = _records(direct=False, batch=True)
    assert _fields(direct) == _fields(emitted)
    assert direct.log_record.observed_timestamp and direct.log_record.context is not None


def test_attribute_limits_are_applied_by_the_sdk_as_without_the_direct_path() -> None:
    for limits in (LogRecordLimits(max_attribute_length=10), LogRecordLimits(max_attributes=3)):
        [direct] = _records(limits, direct=True)
        [emitted] = _records(limits, direct=False)
        assert _fields(direct) == _fields(emitted)
    assert len(direct.log_record.attributes) == 3 and direct.dropped_attributes == 4


def test_a_logger_that_is_not_the_sdks_is_used_as_it_is() -> None:
    logger = NoOpLoggerProvider().get_logger("x")
    assert event_logger(logger) is logger


def test_values_the_sdk_would_drop_or_convert_take_the_sdks_path() -> None:
    for odd in ({"nothing": None}, {"ints": [1, 2]}, {"mixed": ["a", 1]}):
        ATTRIBUTES.update(odd)
        try:
            [direct] = _records(direct=True)
            [emitted] = _records(direct=False)
        finally:
            for key in odd:
                del ATTRIBUTES[key]
        assert _fields(direct) == _fields(emitted), odd
