"""OTLP export requests in and out: decoding, the validity checks, and the spec's responses.

Both receivers (HTTP and gRPC) go through these pure functions, so a payload is judged the same
way whichever port it came in on, and traces and logs the same way whichever signal they carry
(:class:`Signal` says which messages and which repeated field hold its items). What is spooled is
always OTLP protobuf bytes, whatever the wire encoding was, so the drain and the forwarders read
one format.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message

__all__ = [
    "Accepted",
    "PayloadError",
    "Signal",
    "accept",
    "decode_json",
    "decode_protobuf",
    "parse_into",
    "response",
    "response_message",
    "valid_log_ids",
    "valid_span_ids",
]

_TRACE_ID_BYTES = 16
_SPAN_ID_BYTES = 8
# OTLP/JSON spells these ids as hex where protobuf's JSON mapping expects base64.
_HEX_ID_KEYS = ("traceId", "spanId", "parentSpanId")


class PayloadError(ValueError):
    """The body is not a valid OTLP export request; the message says what is wrong (HTTP 400)."""


@dataclass(frozen=True)
class Signal:
    """What differs between OTLP traces and logs, from the receiver to the table: the rest is shared.

    The two instances are :mod:`otel_llm_collector.signals`. ``groups`` yields every repeated
    field of items in a request (each scope's spans, each scope's log records); ``valid`` judges
    one item's ids; ``rejected_field`` is the ``partial_success`` counter the response reports
    refusals in; ``new_block`` and ``add_request`` turn spooled requests into the rows of
    ``table``; ``counter`` prefixes the item counters (``spans_received``, ``log_records_received``).
    """

    name: str  # "traces" / "logs": the URL path (/v1/<name>)
    noun: str  # "spans" / "log records": in messages
    counter: str
    request_type: type[Message]
    response_type: type[Message]
    grpc_service: str
    groups: Callable[[Any], Iterator[Any]]
    valid: Callable[[Any], bool]
    rejected_field: str
    invalid_ids: str  # what a refused item's ids must be, for the partial_success message
    table: str
    new_block: Callable[[], Any]
    add_request: Callable[[Any, bytes], None]

    @property
    def request_name(self) -> str:
        return self.request_type.DESCRIPTOR.name

    def count(self, request: Any) -> int:
        return sum(len(items) for items in self.groups(request))


def decode_protobuf(signal: Signal, body: bytes) -> Any:
    return parse_into(signal.request_type(), body, "body", signal.request_name)


_Message = TypeVar("_Message", bound=Message)


def parse_into(message: _Message, body: bytes, what: str, request_name: str = "") -> _Message:
    """``message`` filled from ``body``; a body that does not decode is a ``PayloadError`` naming ``what``."""
    try:
        message.ParseFromString(body)
    except DecodeError as exc:
        name = request_name or message.DESCRIPTOR.name
        raise PayloadError(f"{what} is not an OTLP {name} (protobuf): {exc}") from exc
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


def decode_json(signal: Signal, body: bytes) -> Any:
    """OTLP/JSON: protobuf's JSON mapping, except that trace and span ids are hex strings."""
    try:
        document = json.loads(body)
        if not isinstance(document, dict):
            raise PayloadError(f"body must be a JSON object (an {signal.request_name})")
        _hex_ids_to_base64(document)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"body is not valid JSON: {exc}") from exc
    except RecursionError as exc:  # b"[" * 100_000: the sender's nesting, not our fault (400, not 500)
        raise PayloadError("body is nested too deeply to decode") from exc
    try:
        # The spec tells receivers to ignore fields they do not know.
        return json_format.ParseDict(document, signal.request_type(), ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        raise PayloadError(f"body is not an OTLP {signal.request_name} (JSON): {exc}") from exc


@dataclass(frozen=True)
class Accepted:
    """The items (spans, log records) worth keeping, as protobuf bytes, and what was refused and why."""

    body: bytes
    items: int
    rejected: int
    message: str


def accept(signal: Signal, request: Any, body: bytes | None) -> Accepted:
    """Drops items that no store can key (ids of the wrong length) and counts the rest.

    ``body`` is the request's own protobuf encoding when the caller has it: reused untouched
    unless an item was dropped, so the common case never re-encodes.
    """
    kept = rejected = 0
    for items in signal.groups(request):
        keep = [item for item in items if signal.valid(item)]
        dropped = len(items) - len(keep)
        if dropped:
            del items[:]
            items.extend(keep)
            rejected += dropped
        kept += len(keep)
    if rejected or body is None:
        body = request.SerializeToString()
    message = f"{rejected} {signal.noun} rejected: {signal.invalid_ids}" if rejected else ""
    return Accepted(body, kept, rejected, message)


def valid_span_ids(span: Any) -> bool:
    return (
        len(span.trace_id) == _TRACE_ID_BYTES
        and len(span.span_id) == _SPAN_ID_BYTES
        and len(span.parent_span_id) in (0, _SPAN_ID_BYTES)
    )


def valid_log_ids(record: Any) -> bool:
    """A log record may belong to no trace (both ids empty); when it names one, they must fit."""
    return len(record.trace_id) in (0, _TRACE_ID_BYTES) and len(record.span_id) in (0, _SPAN_ID_BYTES)


def response_message(signal: Signal, accepted: Accepted) -> Message:
    """The export response, with partial_success set only when items were refused."""
    message = signal.response_type()
    if accepted.rejected:
        setattr(message.partial_success, signal.rejected_field, accepted.rejected)
        message.partial_success.error_message = accepted.message
    return message


def response(signal: Signal, accepted: Accepted, *, as_json: bool) -> bytes:
    message = response_message(signal, accepted)
    if as_json:
        return json_format.MessageToJson(message, indent=None).encode()
    return message.SerializeToString()
