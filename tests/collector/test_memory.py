"""The collector's memory bounds reach the engine it runs (``collector/memory.py`` says why).

chdb's allocator reads its option once, when the library loads inside the collector process, so
the only honest check is to ask that process's chdb for its allocator's own statistics.
"""

from __future__ import annotations

from pathlib import Path

from otel_llm_collector.memory import CHDB_ALLOCATOR_ENV
from tests.collector.harness import RunningCollector, start_collector

_STATS = "SELECT stats FROM system.jemalloc_stats"


def _dirty_decay_line(running: RunningCollector) -> str:
    stats = running.sql(_STATS)[0][0]
    return next(line.strip() for line in stats.splitlines() if line.strip().startswith("opt.dirty_decay_ms:"))


def test_chdb_returns_freed_pages_after_one_second(collector: RunningCollector) -> None:
    assert _dirty_decay_line(collector).startswith("opt.dirty_decay_ms: 1000 ")  # chdb's own build says 5000


def test_an_operators_allocator_setting_is_kept(tmp_path: Path) -> None:
    running = start_collector(tmp_path, env={CHDB_ALLOCATOR_ENV: "dirty_decay_ms:2500"})
    try:
        assert _dirty_decay_line(running).startswith("opt.dirty_decay_ms: 2500 ")
    finally:
        running.stop()
