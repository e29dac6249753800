"""The spool's record format on its own: what is written reads back, and a damaged tail is cut off."""

from __future__ import annotations

from pathlib import Path

from otel_llm_collector.spool_log import HEADER_SIZE, RecordPlace, encode_record, read_segment, segment_name


def test_records_read_back_in_order_with_their_payload_places(tmp_path: Path) -> None:
    segment = tmp_path / segment_name(7)
    segment.write_bytes(encode_record(7, b"first") + encode_record(8, b""))
    assert segment.name == "00000000000000000007.seg"
    assert read_segment(segment) == [RecordPlace(7, HEADER_SIZE, 5), RecordPlace(8, 2 * HEADER_SIZE + 5, 0)]


def test_a_torn_or_corrupt_tail_is_truncated_and_the_records_before_it_kept(tmp_path: Path) -> None:
    segment = tmp_path / segment_name(1)
    good = encode_record(1, b"kept")
    damaged = bytearray(encode_record(2, b"flipped"))
    damaged[-1] ^= 0xFF  # the checksum no longer matches
    segment.write_bytes(good + bytes(damaged))
    assert [place.record_id for place in read_segment(segment)] == [1]
    assert segment.read_bytes() == good

    segment.write_bytes(good + encode_record(2, b"cut short")[:-3])  # a crash mid-write
    assert [place.record_id for place in read_segment(segment)] == [1]
    assert segment.read_bytes() == good
