"""Bounds on the collector's memory: what a steady load makes it hold, and why these limits.

Measured with ``benchmarks/collector/bench_memory.py`` (8,000 spans/s of 512-span requests,
collector on one core): before these bounds its RSS swung between 620 and 1,010 MB and kept
rising for minutes. chdb's own in-use memory was not the cause (its tracker said 20-70 MB between
inserts, every ClickHouse cache at 0, ~20 active parts). Two things were:

- Python's heap follows the drain's block size. With the converter of the time, converting and
  inserting one block held ~12 KB of Python objects per span (a protobuf object per attribute);
  when the drain fell a few seconds behind and took full 16 MB blocks (~21,000 spans), pymalloc
  reached 260-310 MB of arenas and fragmentation kept them, so blocks were capped at 8 MB. The
  drain now reads span attributes from their encoded bytes through a cache (``encoded_attributes``):
  a 16 MB block of 20,992 spans holds 26 MB of Python objects once converted (1.3 KB per span,
  tracemalloc) and peaks at 43 MB during its insert. ``DRAIN_BLOCK_BYTES`` is 16 MB again, because
  every insert costs ClickHouse a fixed ~100-150 ms of CPU (new parts, the llm_calls view planned
  again) and bigger parts are merged fewer times: 10,000-span blocks cost 51 us per span, merges
  included, 20,000-span blocks 43-50 (in-process drain path, same run).
- chdb allocates through its own jemalloc, which keeps freed pages for ``dirty_decay_ms`` (5 s in
  chdb's build) before returning them: an insert through the views briefly takes 100-250 MB, so
  with an insert or a merge every second or two, freed pages sat resident: median 225 MB
  resident for 88 MB in use (139 MB idle). ``CHDB_ALLOCATOR_CONF`` returns them after 1 s:
  median 153 MB resident for 103 MB in use (38 MB idle), sampled every 10 s over 4 minutes.

Not a cause, so left alone: glibc's heaps (every arena, from ``mallinfo2``) held 53-82 MB, 8-32 MB
of it free, so neither an arena limit nor ``malloc_trim`` has much to take back; Python objects
tracked by the GC stayed at ~104,000; the ingest's retry digests are bounded (16,384, ~3 MB).
"""

from __future__ import annotations

import logging
import os
import sys

__all__ = ["CHDB_ALLOCATOR_CONF", "CHDB_ALLOCATOR_ENV", "DRAIN_BLOCK_BYTES", "tune_chdb_allocator"]

_log = logging.getLogger(__name__)

# Spooled OTLP protobuf per ClickHouse insert (~21,000 LLM spans of ~780 bytes each).
DRAIN_BLOCK_BYTES = 16 << 20

# chdb's jemalloc is built with the ``je_`` prefix, so it reads JE_MALLOC_CONF, not MALLOC_CONF,
# once, when the library loads. Only this option is overridden; the rest of chdb's build config holds.
CHDB_ALLOCATOR_ENV = "JE_MALLOC_CONF"
CHDB_ALLOCATOR_CONF = "dirty_decay_ms:1000"


def tune_chdb_allocator() -> None:
    """Sets chdb's allocator option unless the operator set their own; must run before chdb loads.

    The collector opens the store lazily on the drain thread, after ``run`` has called this.
    """
    if CHDB_ALLOCATOR_ENV in os.environ:
        _log.info("chdb allocator: keeping %s=%s", CHDB_ALLOCATOR_ENV, os.environ[CHDB_ALLOCATOR_ENV])
        return
    if "chdb" in sys.modules:  # imported by whoever embeds the collector: its allocator is set up
        _log.warning("chdb was loaded before the collector started: its freed pages stay resident 5 s, not 1 s")
        return
    os.environ[CHDB_ALLOCATOR_ENV] = CHDB_ALLOCATOR_CONF
