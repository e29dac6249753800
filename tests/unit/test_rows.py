"""Span -> otel_traces columns, and the pieces around it that need no store: values, tokens, retries."""

from __future__ import annotations

import json
import math
import random
import shutil
import struct
import subprocess

import pytest
from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError, ProgrammingError
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import (
    Link,
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    set_span_in_context,
)
from opentelemetry.trace.span import TraceState

from otel_llm.exporter import RetryPolicy
from otel_llm.exporter.table import COLUMN_NAMES, is_retryable, spans_to_columns, stringify_value

# Expected strings are what Go's pdata Value.AsString() returns for the same values.
GO_STRINGS = [
    ("text", "text"),
    (True, "true"),
    (False, "false"),
    (0, "0"),
    (-42, "-42"),
    (2**63 - 1, "9223372036854775807"),
    (1.0, "1"),
    (0.1, "0.1"),
    (-2.5, "-2.5"),
    (0.00001, "0.00001"),  # Python's repr says 1e-05; Go's fixed range reaches down to 1e-6
    (0.000001, "0.000001"),
    (1e-7, "1e-7"),  # Go trims the exponent's leading zero
    (-2.5e-10, "-2.5e-10"),
    (1e16, "10000000000000000"),  # Python's repr switches to 1e+16 here, Go not before 1e21
    (1e20, "100000000000000000000"),
    (1e21, "1e+21"),
    (1.5e300, "1.5e+300"),
    (-0.0, "-0"),
    (float("nan"), "json: unsupported value: NaN"),
    (float("inf"), "json: unsupported value: +Inf"),
    (None, ""),
    (b"\x00\xff", "AP8="),
    (("stop", "length"), '["stop","length"]'),
    ((1, 2, 3), "[1,2,3]"),
    ((True, False), "[true,false]"),
    ((1.0, 0.5, 1e-7), "[1,0.5,1e-7]"),
    ((), "[]"),
    ((1.0, float("nan")), ""),  # json.Marshal fails on NaN and the exporter ignores the error
    (("a<b&c>", 'q"\\', "\n\t\x01", "\u2028é"), '["a\\u003cb\\u0026c\\u003e","q\\"\\\\","\\n\\t\\u0001","\\u2028é"]'),
    ({"b": 1, "a": [True, None]}, '{"a":[true,null],"b":1}'),  # keys sorted, like a Go map
]


@pytest.mark.parametrize(("value", "expected"), GO_STRINGS)
def test_values_are_stringified_as_the_go_exporter_does(value: object, expected: str) -> None:
    assert stringify_value(value) == expected


def _context(trace_id: int, span_id: int, state: str = "") -> SpanContext:
    return SpanContext(
        trace_id,
        span_id,
        is_remote=False,
        trace_flags=TraceFlags(1),
        trace_state=TraceState.from_header([state]) if state else TraceState(),
    )


@pytest.fixture
def spans() -> InMemorySpanExporter:
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "checkout", "k8s.pod.count": 3}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("otel_llm.test", "1.2.3")
    link_context = _context(0xAB, 0xCD, "vendor=x")
    with tracer.start_as_current_span("root", kind=SpanKind.SERVER, start_time=1_000) as root:
        root.set_status(Status(StatusCode.ERROR, "boom"))
        with tracer.start_span(
            "chat gpt-4o",
            kind=SpanKind.CLIENT,
            attributes={"s": "v", "i": 7, "f": 0.25, "b": True, "ss": ["a", "b"], "fs": [1.5, 2.0]},
            links=[Link(link_context, {"why": "retry", "n": 2})],
            start_time=2_000,
        ) as child:
            child.add_event("first token", {"index": 0}, timestamp=2_500)
            child.add_event("done", timestamp=2_900)
            child.end(end_time=3_000)
        root.end(end_time=5_000)
    provider.shutdown()
    return memory


def test_sdk_spans_become_columns_in_the_contrib_layout(spans: InMemorySpanExporter) -> None:
    child, root = spans.get_finished_spans()
    columns = spans_to_columns([child, root])
    rows = [dict(zip(COLUMN_NAMES, values, strict=True)) for values in zip(*columns.columns, strict=True)]
    c, r = rows

    assert len(columns) == 2
    assert c["Timestamp"] == 2_000 and c["Duration"] == 1_000
    assert c["TraceId"] == r["TraceId"] == format(root.context.trace_id, "032x")
    assert c["SpanId"] == format(child.context.span_id, "016x")
    assert c["ParentSpanId"] == r["SpanId"] and r["ParentSpanId"] == ""
    assert (c["SpanKind"], r["SpanKind"]) == ("Client", "Server")
    assert (c["StatusCode"], r["StatusCode"], r["StatusMessage"]) == ("Unset", "Error", "boom")
    assert c["ServiceName"] == "checkout"
    assert c["ResourceAttributes"]["k8s.pod.count"] == "3"
    assert (c["ScopeName"], c["ScopeVersion"]) == ("otel_llm.test", "1.2.3")
    assert c["SpanAttributes"] == {"s": "v", "i": "7", "f": "0.25", "b": "true", "ss": '["a","b"]', "fs": "[1.5,2]"}
    assert c["Events.Timestamp"] == [2_500, 2_900]
    assert c["Events.Name"] == ["first token", "done"]
    assert c["Events.Attributes"] == [{"index": "0"}, {}]
    assert c["Links.TraceId"] == [format(0xAB, "032x")]
    assert c["Links.SpanId"] == [format(0xCD, "016x")]
    assert c["Links.TraceState"] == ["vendor=x"]
    assert c["Links.Attributes"] == [{"why": "retry", "n": "2"}]
    assert r["Events.Name"] == [] and r["Links.TraceId"] == []


def test_internal_kind_and_ok_status_are_spelled_like_pdata() -> None:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    parent = NonRecordingSpan(_context(0x1, 0x2))
    with provider.get_tracer("t").start_as_current_span("s", context=set_span_in_context(parent)) as span:
        span.set_status(Status(StatusCode.OK))
    (row,) = zip(*spans_to_columns(memory.get_finished_spans()).columns, strict=True)
    row = dict(zip(COLUMN_NAMES, row, strict=True))
    assert (row["SpanKind"], row["StatusCode"]) == ("Internal", "Ok")
    assert row["ParentSpanId"] == "0000000000000002"


def test_the_dedup_token_depends_on_the_spans_and_their_order_only(spans: InMemorySpanExporter) -> None:
    child, root = spans.get_finished_spans()
    token = spans_to_columns([child, root]).dedup_token()
    assert spans_to_columns([child, root]).dedup_token() == token  # the same batch again
    assert spans_to_columns([root, child]).dedup_token() != token
    assert spans_to_columns([child]).dedup_token() != token


def test_backoff_grows_exponentially_with_bounded_jitter_and_a_cap() -> None:
    policy = RetryPolicy(initial_backoff_s=1.0, max_backoff_s=8.0, multiplier=2.0, jitter=0.2)
    rng = random.Random(7)
    for attempt, base in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (10, 8.0)]:
        delays = [policy.delay(attempt, rng) for _ in range(200)]
        assert all(base * 0.8 <= d <= base * 1.2 for d in delays)
        assert max(delays) - min(delays) > base * 0.2  # jitter actually spreads the retries
    assert RetryPolicy(jitter=0.0).delay(1) == 1.0
    with pytest.raises(ValueError):
        RetryPolicy(initial_backoff_s=5.0, max_backoff_s=1.0)


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (ConnectionRefusedError(111, "refused"), True),
        (TimeoutError(), True),
        (OperationalError("Error executing HTTP request"), True),
        (DatabaseError("Too many parts", code=252), True),  # TOO_MANY_PARTS
        (DatabaseError("memory", code=241), True),  # MEMORY_LIMIT_EXCEEDED
        (DatabaseError("HTTP driver received HTTP status 503"), True),
        (DatabaseError("HTTP driver received HTTP status 400"), False),
        (DatabaseError("Unknown table", code=60), False),  # UNKNOWN_TABLE
        (DatabaseError("auth", code=516), False),  # AUTHENTICATION_FAILED
        (ProgrammingError("bad insert"), False),
        (TypeError("a bug of ours"), False),
    ],
)
def test_errors_are_classified_into_retryable_and_permanent(error: BaseException, retryable: bool) -> None:
    assert is_retryable(error) is retryable


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node as the reference")
def test_floats_match_es6_number_formatting_which_go_follows() -> None:
    # Go's float64AsString is documented as ES6 Number-to-String; JavaScript is that reference.
    rng = random.Random(3)
    values = [struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0] for _ in range(3_000)]
    values += [rng.uniform(-1e3, 1e3) * 10.0 ** rng.randint(-12, 25) for _ in range(3_000)]
    values = [v for v in values if math.isfinite(v) and v != 0]  # JS prints -0 as "0", Go as "-0"
    script = "const v = JSON.parse(require('fs').readFileSync(0, 'utf8')); console.log(JSON.stringify(v.map(String)))"
    done = subprocess.run(["node", "-e", script], input=json.dumps(values), capture_output=True, text=True, check=True)
    expected = json.loads(done.stdout)
    mismatches = [(v, e, stringify_value(v)) for v, e in zip(values, expected, strict=True) if stringify_value(v) != e]
    assert mismatches == []
