"""The two OTLP signals the collector takes, traces and logs, as data for the one shared pipeline.

Why logs at all: a call whose span the sampler drops is recorded as one log event (issue 13), so
a service sampling its traces sends most of its calls as logs; ``otel_logs`` rows from them fill
``llm_calls`` like spans do. Each signal gets its own spool (traces in the spool directory, logs
in its ``logs/`` folder), ingest, drain and forward queues, built from the same classes: only
what is listed here differs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from otel_llm.exporter.table import LOGS_TABLE, TRACES_TABLE, LogColumns, TraceColumns
from otel_llm_collector.convert import add_log_request, add_request
from otel_llm_collector.otlp import Signal, valid_log_ids, valid_span_ids

__all__ = ["LOGS", "SIGNALS", "TRACES"]


def _spans(request: Any) -> Iterator[Any]:
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            yield scope_spans.spans


def _log_records(request: Any) -> Iterator[Any]:
    for resource_logs in request.resource_logs:
        for scope_logs in resource_logs.scope_logs:
            yield scope_logs.log_records


TRACES = Signal(
    name="traces",
    noun="spans",
    counter="spans",
    request_type=trace_service_pb2.ExportTraceServiceRequest,
    response_type=trace_service_pb2.ExportTraceServiceResponse,
    grpc_service="opentelemetry.proto.collector.trace.v1.TraceService",
    groups=_spans,
    valid=valid_span_ids,
    rejected_field="rejected_spans",
    invalid_ids="trace_id must be 16 bytes and span_id 8 bytes",
    table=TRACES_TABLE,
    new_block=TraceColumns,
    add_request=add_request,
)

LOGS = Signal(
    name="logs",
    noun="log records",
    counter="log_records",
    request_type=logs_service_pb2.ExportLogsServiceRequest,
    response_type=logs_service_pb2.ExportLogsServiceResponse,
    grpc_service="opentelemetry.proto.collector.logs.v1.LogsService",
    groups=_log_records,
    valid=valid_log_ids,
    rejected_field="rejected_log_records",
    invalid_ids="trace_id must be empty or 16 bytes and span_id empty or 8 bytes",
    table=LOGS_TABLE,
    new_block=LogColumns,
    add_request=add_log_request,
)

SIGNALS = (TRACES, LOGS)
