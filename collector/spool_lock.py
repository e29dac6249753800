"""One collector per spool directory: an ``flock`` on ``<directory>/lock`` that names its holder.

A second collector on the same folder would delete the segments the first one is still
appending to (it sees nothing undrained in them), and the first would go on acknowledging into
deleted files. The lock goes with the descriptor, so a process killed with -9 leaves none behind.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

__all__ = ["SpoolInUse", "lock_directory"]

_log = logging.getLogger("otel_llm_collector.spool")

_LOCK = "lock"


class SpoolInUse(OSError):
    """Another process holds the spool. An OSError, so the collector's start reports it like any
    other directory it cannot use."""


def lock_directory(directory: Path) -> int:
    """Takes the spool for this process and returns the lock's descriptor (``os.close`` releases
    it), or raises :class:`SpoolInUse` naming the holder's pid."""
    fd = os.open(directory / _LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise SpoolInUse(f"spool directory {directory} is in use by another collector (pid {holder})") from None
    except BaseException:
        os.close(fd)
        raise
    _write_holder(fd)
    return fd


def _write_holder(fd: int) -> None:
    """Leaves this process's pid for the message a second collector prints. Only a hint: a disk
    too full for it must not stop a start that would drain the spool and free space."""
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except OSError as exc:
        _log.debug("spool: cannot write the pid into the lock file: %s", exc)
