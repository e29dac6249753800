"""The fake provider's eventstream encoder, decoded by botocore's own parser (``EventStreamBuffer``)."""

from __future__ import annotations

import json

import pytest

from otel_llm.fake_provider._eventstream import encode_message, event_message, exception_message

eventstream = pytest.importorskip("botocore.eventstream")


def _decode(data: bytes, split: int | None = None) -> list[object]:
    buffer = eventstream.EventStreamBuffer()
    for part in (data,) if split is None else (data[:split], data[split:]):
        buffer.add_data(part)
    return list(buffer)


def test_event_messages_decode_with_botocores_parser_headers_payload_and_crcs() -> None:
    frames = event_message("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "héllo"}}) + event_message(
        "metadata", {"usage": {"inputTokens": 3}}
    )

    first, second = _decode(frames, split=7)  # a frame split across two reads, as a socket delivers it

    assert first.headers == {
        ":event-type": "contentBlockDelta",
        ":content-type": "application/json",
        ":message-type": "event",
    }
    assert json.loads(first.payload) == {"contentBlockIndex": 0, "delta": {"text": "héllo"}}
    assert first.prelude.total_length == len(frames) - len(event_message("metadata", {"usage": {"inputTokens": 3}}))
    assert json.loads(second.payload)["usage"]["inputTokens"] == 3
    assert first.to_response_dict()["status_code"] == 200


def test_exception_message_is_an_error_response_for_botocore() -> None:
    (message,) = _decode(exception_message("throttlingException", "slow down"))

    response = message.to_response_dict()
    assert response["status_code"] == 400
    assert response["headers"][":exception-type"] == "throttlingException"
    assert json.loads(response["body"]) == {"message": "slow down"}


@pytest.mark.parametrize("offset", [5, -2])  # inside the prelude (length fields), inside the message CRC
def test_a_flipped_byte_fails_botocores_checksums(offset: int) -> None:
    frame = bytearray(encode_message({":message-type": "event"}, b"{}"))
    frame[offset] ^= 0x01

    with pytest.raises(
        (eventstream.ChecksumMismatch, eventstream.InvalidPayloadLength, eventstream.InvalidHeadersLength)
    ):
        _decode(bytes(frame))
