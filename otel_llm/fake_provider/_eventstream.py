"""AWS's binary ``application/vnd.amazon.eventstream`` framing, as Bedrock's streams send it.

A message is: a 12-byte prelude (total length, headers length, both big-endian uint32, then the
CRC32 of those 8 bytes), the headers (name length byte, name, value type 7 = string, uint16
value length, value), the payload, and the CRC32 of everything before it. Bedrock sends one
message per event with ``:message-type`` ``event`` and the event's name in ``:event-type``, or a
final ``:message-type`` ``exception`` naming the error in ``:exception-type``. The unit tests
decode what this writes with botocore's own ``EventStreamBuffer``.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Mapping
from typing import Any

__all__ = ["encode_message", "event_message", "exception_message"]

_STRING = 7
_PRELUDE = struct.Struct(">II")
_CRC = struct.Struct(">I")


def _header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return bytes([len(raw_name)]) + raw_name + bytes([_STRING]) + struct.pack(">H", len(raw_value)) + raw_value


def encode_message(headers: Mapping[str, str], payload: bytes) -> bytes:
    """One framed message with string headers."""
    raw_headers = b"".join(_header(k, v) for k, v in headers.items())
    total = _PRELUDE.size + _CRC.size + len(raw_headers) + len(payload) + _CRC.size
    prelude = _PRELUDE.pack(total, len(raw_headers))
    head = prelude + _CRC.pack(zlib.crc32(prelude)) + raw_headers + payload
    return head + _CRC.pack(zlib.crc32(head))


def _json(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def event_message(event_type: str, payload: Any) -> bytes:
    """An ``event`` message whose payload is the event member's JSON."""
    headers = {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"}
    return encode_message(headers, _json(payload))


def exception_message(exception_type: str, message: str) -> bytes:
    """A modeled in-stream error (``throttlingException``, ``modelStreamErrorException``...)."""
    headers = {
        ":exception-type": exception_type,
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    return encode_message(headers, _json({"message": message}))
