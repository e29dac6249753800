"""The spool's on-disk format: checksummed records in segment files, and writes that survive a crash.

A record is ``magic u32 | length u32 | crc32 u32 | id u64 | payload`` (little-endian), appended
to a segment file named after the first record id it may hold (``00000000000000000001.seg``).
A torn tail (the process died mid-write) fails the magic, length or checksum test; reading a
segment truncates it there. Nothing after a torn tail was ever acknowledged, because the
spool acknowledges a record only after its fsync.

Also here: :func:`write_durably` (a whole file or none, on disk when it returns), the state file's
and the drain's dead letters' way of writing.
"""

from __future__ import annotations

import logging
import os
import zlib
from pathlib import Path
from typing import NamedTuple

__all__ = [
    "HEADER_SIZE",
    "SEGMENT_SUFFIX",
    "RecordPlace",
    "encode_record",
    "fsync_dir",
    "read_segment",
    "segment_name",
    "write_all",
    "write_durably",
]

_log = logging.getLogger("otel_llm_collector.spool")

_MAGIC = 0x4C4F4F53  # "SOOL" little-endian; tells a record start from garbage
HEADER_SIZE = 20
SEGMENT_SUFFIX = ".seg"


class RecordPlace(NamedTuple):
    """Where one record's payload sits in its segment."""

    record_id: int
    offset: int  # of the payload, past the header
    length: int


def segment_name(first_id: int) -> str:
    return f"{first_id:020d}{SEGMENT_SUFFIX}"


def encode_record(record_id: int, payload: bytes) -> bytes:
    crc = zlib.crc32(record_id.to_bytes(8, "little") + payload)
    return (
        _MAGIC.to_bytes(4, "little")
        + len(payload).to_bytes(4, "little")
        + crc.to_bytes(4, "little")
        + record_id.to_bytes(8, "little")
        + payload
    )


def _parse(data: bytes, offset: int) -> tuple[int, int] | None:
    header = data[offset : offset + HEADER_SIZE]
    if len(header) < HEADER_SIZE or int.from_bytes(header[0:4], "little") != _MAGIC:
        return None
    length = int.from_bytes(header[4:8], "little")
    crc = int.from_bytes(header[8:12], "little")
    record_id = int.from_bytes(header[12:20], "little")
    payload = data[offset + HEADER_SIZE : offset + HEADER_SIZE + length]
    if len(payload) < length or zlib.crc32(header[12:20] + payload) != crc:
        return None
    return record_id, length


def read_segment(segment: Path) -> list[RecordPlace]:
    """The records of a segment in file order; a torn tail is truncated (durably) and logged."""
    data = segment.read_bytes()
    places: list[RecordPlace] = []
    offset = 0
    while offset < len(data):
        parsed = _parse(data, offset)
        if parsed is None:
            _log.warning(
                "spool: truncating %d unreadable bytes at the end of %s (a write cut short by a crash)",
                len(data) - offset,
                segment.name,
            )
            with open(segment, "r+b") as fh:
                fh.truncate(offset)
                os.fsync(fh.fileno())
            break
        record_id, length = parsed
        places.append(RecordPlace(record_id, offset + HEADER_SIZE, length))
        offset += HEADER_SIZE + length
    return places


def write_all(fd: int, data: bytes) -> None:
    """``os.write`` may stop short (a disk filling up, a file size limit): write the rest, so the
    error, if any, comes from the write that cannot proceed."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durably(path: Path, data: bytes) -> None:
    """Writes ``path`` whole or not at all, on disk once this returns: a crash leaves the old file
    or the new one, never half of it, and a power loss cannot take back what the caller then drops.

    A missing folder is created, and its own entry made durable too: the file goes with it.
    """
    if not path.parent.is_dir():
        path.parent.mkdir(parents=True)
        fsync_dir(path.parent.parent)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    fsync_dir(path.parent)
