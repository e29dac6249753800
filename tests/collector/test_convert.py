"""The collector's OTLP-to-columns conversion gives the in-process exporter's columns, value for value."""

from __future__ import annotations

import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from collector.convert import add_request
from collector.encoded_attributes import EncodedAttributes, decode_encoded
from collector.otlp import PayloadError
from otel_llm.exporter import COLUMN_NAMES, TraceColumns, spans_to_columns

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


def test_cached_attributes_read_as_a_fresh_decode_would_even_when_the_cache_starts_over() -> None:
    request = decode_encoded(encode_spans(sdk_spans()).SerializeToString())
    root = next(span for span in request.resource_spans[0].scope_spans[0].spans if span.name == "root")
    encoded = list(root.attributes)
    small = EncodedAttributes(lambda value: value.WhichOneof("value") or "", capacity=2)
    first, again = small(encoded), small(encoded)
    assert first == again
    assert len(first) == len(ODD_VALUES)
    assert first["str"] == "string_value" and first["floats"] == "array_value"
    assert len(small._known) <= 2
