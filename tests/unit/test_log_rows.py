"""SDK log records -> otel_logs columns, spelled as the contrib ClickHouse exporter writes them."""

from __future__ import annotations

from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, set_span_in_context

from otel_llm.exporter._log_rows import LOG_COLUMN_NAMES, log_records_to_columns
from otel_llm.exporter._rows import TIMESTAMP_MAX_NS


def _records(*emits: dict) -> list:
    memory = InMemoryLogRecordExporter()
    provider = LoggerProvider(resource=Resource.create({"service.name": "svc"}))
    provider.add_log_record_processor(SimpleLogRecordProcessor(memory))
    logger = provider.get_logger("scope.name", "1.2", schema_url="https://schema")
    for emit in emits:
        logger.emit(**emit)
    return list(memory.get_finished_logs())


def _row(columns, index: int = 0) -> dict:
    return {name: column[index] for name, column in zip(LOG_COLUMN_NAMES, columns.columns, strict=True)}


def test_an_event_in_a_trace_is_one_row_with_hex_ids_and_stringified_values() -> None:
    span = NonRecordingSpan(SpanContext(0xABC, 0xDEF, is_remote=False, trace_flags=TraceFlags(2)))
    (record,) = _records(
        {
            "timestamp": 1_000,
            "context": set_span_in_context(span),
            "severity_number": SeverityNumber.INFO,
            "attributes": {"n": 3, "f": 0.5, "b": True, "s": "x", "list": ("a", "b")},
            "event_name": "gen_ai.client.inference.operation.details",
        }
    )
    row = _row(log_records_to_columns([record]))
    assert row["Timestamp"] == 1_000
    assert row["TraceId"] == "00000000000000000000000000000abc" and row["SpanId"] == "0000000000000def"
    assert (row["TraceFlags"], row["SeverityNumber"], row["SeverityText"]) == (2, 9, "")
    assert (row["ServiceName"], row["ScopeName"], row["ScopeVersion"], row["ScopeSchemaUrl"]) == (
        "svc", "scope.name", "1.2", "https://schema",
    )  # fmt: skip
    assert row["LogAttributes"] == {"n": "3", "f": "0.5", "b": "true", "s": "x", "list": '["a","b"]'}
    assert row["EventName"] == "gen_ai.client.inference.operation.details"
    assert row["Body"] == ""


def test_no_trace_no_event_name_and_a_structured_body() -> None:
    (record,) = _records({"body": {"k": [1, 2]}, "severity_text": "WARN"})
    row = _row(log_records_to_columns([record]))
    assert (row["TraceId"], row["SpanId"], row["EventName"]) == ("", "", "")
    assert row["Body"] == '{"k":[1,2]}'
    assert row["SeverityText"] == "WARN"
    assert row["Timestamp"] > 0  # the observed time when the record has none


def test_the_dedup_token_names_the_same_records_alike_and_others_apart() -> None:
    first = _records({"timestamp": 5, "attributes": {"a": 1}}, {"timestamp": 6, "attributes": {"a": 2}})
    assert log_records_to_columns(first).dedup_token() == log_records_to_columns(first).dedup_token()
    assert log_records_to_columns(first).dedup_token() != log_records_to_columns(first[:1]).dedup_token()


def test_a_time_no_row_can_carry_is_replaced_by_the_write_time() -> None:
    columns = log_records_to_columns(_records({"timestamp": TIMESTAMP_MAX_NS + 1}, {"timestamp": 7}))
    assert columns.fix_times(42) == [0]
    assert columns.columns[0] == [42, 7]
