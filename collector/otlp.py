"""OTLP trace requests in and out: decoding, the validity checks, and the spec's responses.

Both receivers (HTTP and gRPC) go through these pure functions, so a payload is judged the same
way whichever port it came in on. What is spooled is always OTLP protobuf bytes, whatever the
wire encoding was, so the drain and the forwarders read one format.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

__all__ = [
    "Accepted",
    "PayloadError",
    "accept",
    "decode_json",
    "decode_protobuf",
    "parse_into",
    "response",
    "response_message",
]

_TRACE_ID_BYTES = 16
_SPAN_ID_BYTES = 8
# OTLP/JSON spells these ids as hex where protobuf's JSON mapping expects base64.
_HEX_ID_KEYS = ("traceId", "spanId", "parentSpanId")


class PayloadError(ValueError):
    """The body is not a valid OTLP trace request; the message says what is wrong (HTTP 400)."""


def decode_protobuf(body: bytes) -> ExportTraceServiceRequest:
    return parse_into(ExportTraceServiceRequest(), body, "body")


_Message = TypeVar("_Message", bound=Message)


def parse_into(message: _Message, body: bytes, what: str) -> _Message:
    """``message`` filled from ``body``; a body that does not decode is a ``PayloadError`` naming ``what``."""
    try:
        message.ParseFromString(body)
    except DecodeError as exc:
        raise PayloadError(f"{what} is not an OTLP ExportTraceServiceRequest (protobuf): {exc}") from exc
    return message


def _hex_ids_to_base64(node: Any) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _HEX_ID_KEYS and isinstance(value, str) and value:
                try:
                    node[key] = base64.b64encode(bytes.fromhex(value)).decode()
                except ValueError as exc:
                    raise PayloadError(f"{key} {value!r} is not hex") from exc
            else:
                _hex_ids_to_base64(value)
    elif isinstance(node, list):
        for item in node:
            _hex_ids_to_base64(item)


def decode_json(body: bytes) -> ExportTraceServiceRequest:
    """OTLP/JSON: protobuf's JSON mapping, except that trace and span ids are hex strings."""
    try:
        document = json.loads(body)
        if not isinstance(document, dict):
            raise PayloadError("body must be a JSON object (an ExportTraceServiceRequest)")
        _hex_ids_to_base64(document)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"body is not valid JSON: {exc}") from exc
    except RecursionError as exc:  # b"[" * 100_000: the sender's nesting, not our fault (400, not 500)
        raise PayloadError("body is nested too deeply to decode") from exc
    try:
        # The spec tells receivers to ignore fields they do not know.
        return json_format.ParseDict(document, ExportTraceServiceRequest(), ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        raise PayloadError(f"body is not an OTLP ExportTraceServiceRequest (JSON): {exc}") from exc


@dataclass(frozen=True)
class Accepted:
    """The spans worth keeping, as protobuf bytes, and what was refused and why."""

    body: bytes
    spans: int
    rejected: int
    message: str


def accept(request: ExportTraceServiceRequest, body: bytes | None) -> Accepted:
    """Drops spans that no store can key (ids of the wrong length) and counts the rest.

    ``body`` is the request's own protobuf encoding when the caller has it: reused untouched
    unless a span was dropped, so the common case never re-encodes.
    """
    spans = rejected = 0
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            keep = [s for s in scope_spans.spans if _valid_ids(s)]
            dropped = len(scope_spans.spans) - len(keep)
            if dropped:
                del scope_spans.spans[:]
                scope_spans.spans.extend(keep)
                rejected += dropped
            spans += len(keep)
    if rejected or body is None:
        body = request.SerializeToString()
    message = f"{rejected} spans rejected: trace_id must be 16 bytes and span_id 8 bytes" if rejected else ""
    return Accepted(body, spans, rejected, message)


def _valid_ids(span: Any) -> bool:
    return (
        len(span.trace_id) == _TRACE_ID_BYTES
        and len(span.span_id) == _SPAN_ID_BYTES
        and len(span.parent_span_id) in (0, _SPAN_ID_BYTES)
    )


def response_message(accepted: Accepted) -> ExportTraceServiceResponse:
    """The ExportTraceServiceResponse, with partial_success set only when spans were refused."""
    message = ExportTraceServiceResponse()
    if accepted.rejected:
        message.partial_success.rejected_spans = accepted.rejected
        message.partial_success.error_message = accepted.message
    return message


def response(accepted: Accepted, *, as_json: bool) -> bytes:
    message = response_message(accepted)
    if as_json:
        return json_format.MessageToJson(message, indent=None).encode()
    return message.SerializeToString()
