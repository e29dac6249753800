"""OTLP trace and logs requests whose span / log record attributes stay encoded, and a cache that reads them.

Why: unpacking a span's ~20 ``KeyValue`` messages one field at a time is most of the drain's
Python time (each access crosses into the protobuf runtime and builds an object). Most attributes
of LLM spans repeat byte for byte from span to span (operation, provider, model, server, feature,
finish reasons, pricing version...). So the drain parses requests with a copy of the OTLP schema
in which ``Span.attributes`` is ``repeated bytes``: the same wire bytes (a ``KeyValue`` is
length-delimited either way), but each attribute arrives as one ``bytes`` object, and a dictionary
from those bytes to the attribute's (key, value as text) skips the unpacking for every repeat.
The parse itself also gets cheaper (nested messages are not built).

Log records get the same (``LogRecord.attributes`` as bytes): under trace sampling most calls
arrive as log records, with the same repeating attributes. The receivers still parse with the
real schema: a malformed attribute is refused with 400 before it is acknowledged. Only spool
contents, already checked once, are read this way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.logs.v1 import logs_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from otel_llm_collector.otlp import PayloadError, parse_into

__all__ = ["ATTRIBUTE_CACHE_SIZE", "CACHEABLE_BYTES", "EncodedAttributes", "decode_encoded", "decode_encoded_logs"]

# Distinct attributes remembered. Only short ones are (up to ``CACHEABLE_BYTES`` encoded, so the
# cache holds at most ~20 MB): long values (prompts, completions) rarely repeat, and caching them
# would hold megabytes of text for nothing.
ATTRIBUTE_CACHE_SIZE = 32_768
CACHEABLE_BYTES = 256


def _request_class(service: Any, request: Any, items: Any, item: str) -> Any:
    """``request`` (of the ``service`` file) from a private descriptor pool, with the attributes of
    its ``item`` messages (of the ``items`` file) as bytes."""
    pool = descriptor_pool.DescriptorPool()
    added: set[str] = set()

    def add(file_descriptor: Any) -> None:  # its imports first, as a pool requires
        if file_descriptor.name in added:
            return
        for dependency in file_descriptor.dependencies:
            add(dependency)
        file = descriptor_pb2.FileDescriptorProto()
        file_descriptor.CopyToProto(file)
        if file_descriptor is items.DESCRIPTOR:
            message = next(message for message in file.message_type if message.name == item)
            attributes = next(field for field in message.field if field.name == "attributes")
            attributes.type = descriptor_pb2.FieldDescriptorProto.TYPE_BYTES
            attributes.ClearField("type_name")
        pool.Add(file)
        added.add(file_descriptor.name)

    add(service.DESCRIPTOR)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(request.DESCRIPTOR.full_name))


_EncodedRequest = _request_class(trace_service_pb2, trace_service_pb2.ExportTraceServiceRequest, trace_pb2, "Span")
_EncodedLogsRequest = _request_class(logs_service_pb2, logs_service_pb2.ExportLogsServiceRequest, logs_pb2, "LogRecord")


def decode_encoded(body: bytes) -> Any:
    """A spooled trace request, parsed with span attributes left as their ``KeyValue`` bytes."""
    return parse_into(_EncodedRequest(), body, "spooled request")


def decode_encoded_logs(body: bytes) -> Any:
    """A spooled logs request, parsed with log record attributes left as their ``KeyValue`` bytes."""
    return parse_into(_EncodedLogsRequest(), body, "spooled request")


class EncodedAttributes:
    """Span (or log record) attributes from their encoded ``KeyValue`` bytes to ``{key: value as text}``.

    ``text`` turns one decoded ``AnyValue`` into its stored spelling; it is pure, so a cached
    answer is always the one a fresh decode would give. Bounded in entries and in entry size: when
    full it starts over, which costs one decode per distinct attribute and keeps memory flat
    whatever the cardinality.
    """

    def __init__(self, text: Callable[[Any], str], capacity: int = ATTRIBUTE_CACHE_SIZE) -> None:
        self._text = text
        self._capacity = capacity
        self._known: dict[bytes, tuple[str, str]] = {}

    def __call__(self, encoded: Iterable[bytes]) -> dict[str, str]:
        known = self._known
        out: dict[str, str] = {}
        for raw in encoded:
            pair = known.get(raw)
            if pair is None:
                pair = self._decode(raw)
            out[pair[0]] = pair[1]
        return out

    def _decode(self, raw: bytes) -> tuple[str, str]:
        try:
            pair = common_pb2.KeyValue.FromString(raw)
        except DecodeError as exc:
            raise PayloadError(f"an attribute is not an OTLP KeyValue: {exc}") from exc
        decoded = (pair.key, self._text(pair.value))
        if len(raw) <= CACHEABLE_BYTES:
            if len(self._known) >= self._capacity:
                self._known.clear()
            self._known[raw] = decoded
        return decoded
