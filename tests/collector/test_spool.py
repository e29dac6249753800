"""The write-ahead spool on real files: torn tails, replayed intents, the size bound."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from otel_llm_collector.spool import Spool, SpoolFull


def drain_all(spool: Spool) -> list[bytes]:
    out = []
    while (batch := spool.next_batch(max_records=2, max_bytes=1 << 20, timeout=0)) is not None:
        spool.begin(batch)
        out += batch.payloads
        spool.commit(batch)
    return out


def test_records_survive_reopen_in_order(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 1 << 20)
    ids = [spool.append(f"r{i}".encode()) for i in range(5)]
    spool.close()

    reopened = Spool(tmp_path, 1 << 20)
    assert ids == [1, 2, 3, 4, 5]
    assert reopened.pending_records == 5
    assert drain_all(reopened) == [f"r{i}".encode() for i in range(5)]
    assert reopened.pending_records == 0 and reopened.pending_bytes == 0


def test_torn_tail_is_truncated_and_appends_continue(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 1 << 20)
    spool.append(b"kept-1")
    spool.append(b"kept-2")
    spool.close()
    segment = next(tmp_path.glob("*.seg"))
    intact = segment.stat().st_size
    with open(segment, "ab") as fh:  # a third record cut short by kill -9: header and half a payload
        fh.write(segment.read_bytes()[:20] + b"half")

    reopened = Spool(tmp_path, 1 << 20)
    assert segment.stat().st_size == intact
    assert reopened.append(b"after") == 3
    assert drain_all(reopened) == [b"kept-1", b"kept-2", b"after"]


def test_a_flipped_byte_is_detected_by_the_checksum(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 1 << 20)
    spool.append(b"good")
    spool.append(b"will be corrupted")
    spool.close()
    segment = next(tmp_path.glob("*.seg"))
    data = bytearray(segment.read_bytes())
    data[-3] ^= 0xFF
    segment.write_bytes(bytes(data))

    assert drain_all(Spool(tmp_path, 1 << 20)) == [b"good"]


def test_an_interrupted_batch_is_replayed_with_the_same_range_and_token(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 1 << 20)
    for i in range(5):
        spool.append(bytes([i]))
    batch = spool.next_batch(max_records=3, max_bytes=1 << 20, timeout=0)
    assert batch is not None
    spool.begin(batch)  # ... the insert happens, then the process dies before commit
    spool.append(b"arrived later")
    spool.close()

    reopened = Spool(tmp_path, 1 << 20)
    replay = reopened.next_batch(max_records=100, max_bytes=1 << 20, timeout=0)
    assert replay == batch  # same records, same token: ClickHouse drops the second insert
    reopened.begin(replay)
    reopened.commit(replay)
    rest = reopened.next_batch(max_records=100, max_bytes=1 << 20, timeout=0)
    assert rest is not None and rest.payloads == [b"\x03", b"\x04", b"arrived later"]
    assert rest.token != batch.token


def test_a_state_file_that_cannot_be_written_changes_nothing_and_the_retry_keeps_the_token(tmp_path: Path) -> None:
    """The drain's intent and commit reach memory only once on disk; otherwise a crash after a
    failed write would replay a batch with other boundaries (another token: stored twice)."""
    spool = Spool(tmp_path, 1 << 20)
    for i in range(4):
        spool.append(bytes([i]))
    batch = spool.next_batch(max_records=2, max_bytes=1 << 20, timeout=0)
    assert batch is not None
    blocker = tmp_path / "state.json.tmp"  # the state's temporary file cannot be created while this is here
    blocker.mkdir()
    with pytest.raises(OSError):
        spool.begin(batch)
    blocker.rmdir()
    spool.begin(batch)  # the retry writes the intent; a crash now replays exactly this batch
    spool.close()
    spool = Spool(tmp_path, 1 << 20)
    assert spool.next_batch(max_records=100, max_bytes=1 << 20, timeout=0) == batch

    blocker.mkdir()
    with pytest.raises(OSError):
        spool.commit(batch)  # the block is in ClickHouse, the commit failed
    blocker.rmdir()
    again = spool.next_batch(max_records=100, max_bytes=1 << 20, timeout=0)
    assert again == batch  # inserted again under the same token, which ClickHouse drops
    spool.commit(again)
    rest = spool.next_batch(max_records=100, max_bytes=1 << 20, timeout=0)
    assert rest is not None and rest.payloads == [b"\x02", b"\x03"]


def test_tokens_differ_between_spools(tmp_path: Path) -> None:
    first, second = Spool(tmp_path / "a", 1 << 20), Spool(tmp_path / "b", 1 << 20)
    first.append(b"x")
    second.append(b"x")
    token_a = first.next_batch(10, 1 << 20, 0).token  # type: ignore[union-attr]
    token_b = second.next_batch(10, 1 << 20, 0).token  # type: ignore[union-attr]
    assert token_a != token_b  # two collectors writing one ClickHouse must not dedup each other


def test_full_spool_refuses_until_drained(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=200)
    spool.append(b"a" * 100)
    with pytest.raises(SpoolFull):
        spool.append(b"b" * 100)
    drain_all(spool)
    assert spool.append(b"b" * 100) == 2


def test_drained_segments_are_deleted(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 1 << 20, segment_bytes=64)
    for i in range(10):
        spool.append(bytes(40) + bytes([i]))
    assert len(list(tmp_path.glob("*.seg"))) == 10
    drain_all(spool)
    assert len(list(tmp_path.glob("*.seg"))) <= 1  # only the segment still open for appends
    spool.close()
    assert Spool(tmp_path, 1 << 20).pending_records == 0


def test_a_second_spool_on_one_directory_is_refused_before_it_touches_a_file(tmp_path: Path) -> None:
    """Two collectors of one user share the default spool directory. The second one's recovery
    would delete the first one's open segment (all drained), and what the first acknowledged next
    would go into a deleted file: gone at the next start."""
    first = Spool(tmp_path, 1 << 20)
    first.append(b"drained")
    drain_all(first)
    segments = sorted(tmp_path.glob("*.seg"))
    assert segments  # the open segment, holding nothing undrained

    with pytest.raises(OSError, match=rf"spool directory .* is in use by another collector \(pid {os.getpid()}\)"):
        Spool(tmp_path, 1 << 20)
    assert sorted(tmp_path.glob("*.seg")) == segments
    assert first.append(b"acknowledged") == 2
    first.close()

    reopened = Spool(tmp_path, 1 << 20)  # closing hands the directory on
    assert drain_all(reopened) == [b"acknowledged"]
