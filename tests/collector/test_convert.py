"""The collector's OTLP-to-columns conversion gives the in-process exporter's columns, value for value."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from otel_llm.exporter._log_rows import log_records_to_columns
from otel_llm.exporter.table import COLUMN_NAMES, LogColumns, TraceColumns, spans_to_columns
from otel_llm_collector.convert import _text, add_log_request, add_request
from otel_llm_collector.encoded_attributes import CACHEABLE_BYTES, EncodedAttributes, decode_encoded
from otel_llm_collector.otlp import PayloadError

ODD_VALUES = {
    "str": "héllo <b>&amp;",
    "int": -7,
    "big": 2**62,
    "float": 0.1 + 0.2,
    "tiny": 1e-7,
    "huge": 1e21,
    "whole": 3.0,
    "nan": float("nan"),
    "bool": True,
    "strings": ("stop", 'quote"d'),
    "ints": (1, 2, 3),
    "floats": (1.5, 2.0),
    "bools": (False, True),
    "empty": (),
}


def sdk_spans() -> list:
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "conv", "host.cores": 8}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("scope", "9.9")
    with tracer.start_as_current_span("root", kind=SpanKind.SERVER, attributes=ODD_VALUES) as root:
        root.add_event("evt", {"n": 1, "x": (1.25,)})
        root.set_status(Status(StatusCode.ERROR, "went wrong"))
        with tracer.start_as_current_span(
            "child", kind=SpanKind.CONSUMER, links=[Link(root.get_span_context(), {"why": "retry"})]
        ):
            pass
    with tracer.start_as_current_span("ok") as span:
        span.set_status(Status(StatusCode.OK))
    return list(memory.get_finished_spans())


def test_otlp_conversion_matches_the_exporter_column_for_column() -> None:
    spans = sdk_spans()
    expected = spans_to_columns(spans)
    actual = TraceColumns()
    add_request(actual, encode_spans(spans).SerializeToString())

    assert len(actual) == len(expected) == 3
    for name, mine, theirs in zip(COLUMN_NAMES, actual.columns, expected.columns, strict=True):
        assert mine == theirs, name
    assert actual.dedup_token() == expected.dedup_token()


def test_unknown_enum_numbers_read_as_unspecified_and_unset() -> None:
    request = ExportTraceServiceRequest.FromString(encode_spans(sdk_spans()[-1:]).SerializeToString())
    span = request.resource_spans[0].scope_spans[0].spans[0]
    span.kind = 42  # from an OTLP newer than ours
    span.status.code = 9
    columns = TraceColumns()
    add_request(columns, request.SerializeToString())
    assert columns.columns[COLUMN_NAMES.index("SpanKind")] == ["Unspecified"]
    assert columns.columns[COLUMN_NAMES.index("StatusCode")] == ["Unset"]


def test_a_request_that_fails_halfway_leaves_no_rows_behind() -> None:
    """A spooled request whose second span carries a broken attribute: none of its spans are kept,
    the rows added before it stay (the drain then sets this one request aside)."""
    columns = TraceColumns()
    add_request(columns, encode_spans(sdk_spans()[-1:]).SerializeToString())
    broken = decode_encoded(encode_spans(sdk_spans()).SerializeToString())
    broken.resource_spans[0].scope_spans[0].spans[1].attributes.append(b"\x0a\xff")  # key length past the end
    with pytest.raises(PayloadError, match="KeyValue"):
        add_request(columns, broken.SerializeToString())
    assert len(columns) == 1
    assert columns.columns[COLUMN_NAMES.index("SpanName")] == ["ok"]


def test_cached_attributes_read_as_a_fresh_decode_would_and_repeats_are_not_decoded_again() -> None:
    body = encode_spans(sdk_spans()).SerializeToString()
    fresh = ExportTraceServiceRequest.FromString(body)  # the receivers' schema, one KeyValue at a time
    expected = {kv.key: _text(kv.value) for kv in _root(fresh).attributes}
    encoded = list(_root(decode_encoded(body)).attributes)
    decoded: list[str] = []

    def counting_text(value: AnyValue) -> str:
        decoded.append(value.WhichOneof("value") or "")
        return _text(value)

    cache = EncodedAttributes(counting_text)
    assert cache(encoded) == expected
    assert len(decoded) == len(ODD_VALUES)
    assert cache(encoded) == expected  # warm: every attribute from the cache
    assert len(decoded) == len(ODD_VALUES)

    small = EncodedAttributes(counting_text, capacity=2)  # starts over every third attribute
    assert small(encoded) == small(encoded) == expected
    assert len(small._known) <= 2


def test_long_attribute_values_are_read_but_not_remembered() -> None:
    long_text = "x" * (CACHEABLE_BYTES + 1)
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    with provider.get_tracer("t").start_as_current_span("s", attributes={"prompt": long_text, "model": "m"}):
        pass
    encoded = list(_root(decode_encoded(encode_spans(memory.get_finished_spans()).SerializeToString())).attributes)
    cache = EncodedAttributes(_text)
    assert cache(encoded) == {"prompt": long_text, "model": "m"}
    assert [pair for pair in cache._known.values()] == [("model", "m")]


def _root(request: Any) -> Any:
    return next(span for span in request.resource_spans[0].scope_spans[0].spans if span.name in ("root", "s"))


def test_log_records_give_the_in_process_log_exporters_columns() -> None:
    """The usage record of a sampled-out call lands in ``otel_logs`` the same through the collector
    as through ``ClickHouseLogExporter``: OTLP-encoded SDK records, converted, equal column for column."""
    exporter = InMemoryLogRecordExporter()
    provider = LoggerProvider(resource=Resource.create({"service.name": "logs-convert"}, schema_url="https://r"))
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    tracer = TracerProvider().get_tracer("t")
    logger = provider.get_logger("scope", "2.0", schema_url="https://s", attributes={"scope.attr": 1})
    with tracer.start_as_current_span("parent"):
        logger.emit(event_name="gen_ai.client.inference.operation.details", attributes=ODD_VALUES)
    logger.emit(severity_number=SeverityNumber.WARN, severity_text="WARN", body={"k": [1, "two"]})
    logger.emit(body="plain", timestamp=1_700_000_000_000_000_123)
    logger.emit(body=b"\x00\xff")
    provider.shutdown()
    records = exporter.get_finished_logs()

    expected = log_records_to_columns(records)
    got = LogColumns()
    add_log_request(got, encode_logs(records).SerializeToString())
    assert len(got) == 4
    for name, want, have in zip(LogColumns.NAMES, expected.columns, got.columns, strict=True):
        assert have == want, name
