"""The collector's memory under a steady OTLP/HTTP load: does it stay flat, or does it creep?

    python benchmarks/collector/bench_memory.py [--seconds 600] [--rate 8000] [--interval 30]

A collector subprocess pinned to one core (chdb, all views on) receives 512-span OTLP/HTTP
protobuf requests at a fixed ``--rate`` spans/s (paced, about half what one core drains) from 4
keep-alive connections on the other core. After ``--warmup-seconds`` of the same load (chdb's
first parts and merges, the allocator's first arenas), every ``--interval`` seconds one row:
VmRSS and VmHWM from /proc, spans written, and what chdb says about itself through the
collector's read-only SQL endpoint (its tracked memory, its active parts), so a growth can be told
apart between ClickHouse and the rest of the process.

RSS is read once a second. An insert or a merge in chdb takes 100-250 MB for a second or two, so
RSS swings within every interval; flat means neither edge of that band moves: the last third's
lowest reading minus the first third's lowest (the floor: a leak raises it) and the same for the
highest readings (the ceiling: growing working memory raises it) both stay under ``--bound-mb``.
Also printed: the last third's highest minus the first third's lowest, which counts the swing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from benchmarks.collector.bench_ingest import BATCH, Collector, encode_requests, post_all  # noqa: E402
from benchmarks.exporter.bench_exporter import make_spans  # noqa: E402

# Distinct bodies to cycle through; each send is stamped anew, so a body's reuse is not a retry.
_POOL = 64
_CHDB_QUERY = (
    "SELECT (SELECT value FROM system.metrics WHERE metric = 'MemoryTracking'),"
    " (SELECT count() FROM system.parts WHERE active), (SELECT any(stats) FROM system.jemalloc_stats)"
)
_JEMALLOC_RESIDENT = re.compile(r"^Allocated: .*resident: (\d+)", re.MULTILINE)


def chdb_state(port: int) -> tuple[float, float, int]:
    """(MB chdb tracks as in use, MB its allocator holds resident, active parts), asked of the
    collector process itself: chdb's jemalloc is separate from Python's and glibc's heaps, so
    this splits the process's RSS between ClickHouse and the rest."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/sql",
        json.dumps({"query": _CHDB_QUERY}).encode(),
        {"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        tracked, parts, stats = json.loads(response.read())["rows"][0]
    resident = _JEMALLOC_RESIDENT.search(stats)
    return int(tracked) / 2**20, int(resident.group(1)) / 2**20 if resident else float("nan"), int(parts)


def spool_backlog(port: int) -> float:
    """Requests acknowledged but not yet in ClickHouse: memory only means something while the
    drain keeps up (a growing backlog is a load the collector cannot hold, whatever its RSS)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("otel_llm_collector_spool_requests "):
                return float(line.split()[1])
    raise RuntimeError("no spool_requests gauge")


def watch(collector: Collector, until: float) -> list[float]:
    """VmRSS once a second until ``until``: an interval's low and high, not one lucky reading."""
    readings = [collector.memory_mb()]
    while time.monotonic() < until:
        time.sleep(min(1.0, max(0.0, until - time.monotonic())))
        readings.append(collector.memory_mb())
    return readings


def thirds(rows: list[dict[str, float]], edge: str) -> tuple[float, float]:
    """The lowest ``low`` or highest ``high`` 1-s reading of the first and of the last third."""
    third = max(1, len(rows) // 3)
    pick = min if edge == "low" else max
    return pick(r[edge] for r in rows[:third]), pick(r[edge] for r in rows[-third:])


def measure(collector: Collector, start: float, end: float) -> dict[str, float]:
    """One row: the RSS range over [start, end), then the collector's state at ``end``."""
    time.sleep(max(0.0, start - time.monotonic()))
    readings = watch(collector, end)
    tracked, resident, parts = chdb_state(collector.port)
    return {
        "rss": readings[-1],
        "low": min(readings),
        "high": max(readings),
        "hwm": collector.memory_mb("VmHWM"),
        "chdb_tracked": tracked,
        "chdb_resident": resident,
        "parts": parts,
        "written": collector.written(),
        "backlog": spool_backlog(collector.port),
    }


_HEADER = (
    "|     s | VmRSS MB | RSS low-high MB | VmHWM MB | chdb in use MB | chdb resident MB | active parts "
    "| spans written | spool backlog |"
)


def table_row(seconds: float, row: dict[str, float]) -> str:
    return (
        f"| {seconds:>5.0f} | {row['rss']:>8.0f} | {row['low']:>6.0f} - {row['high']:<6.0f} | {row['hwm']:>8.0f} "
        f"| {row['chdb_tracked']:>14.0f} | {row['chdb_resident']:>16.0f} | {row['parts']:>12} | {row['written']:>13,} "
        f"| {row['backlog']:>13.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="measured steady load, after the warm-up")
    parser.add_argument("--warmup-seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=8000.0, help="spans/s sent")
    parser.add_argument("--interval", type=float, default=30.0, help="seconds per table row")
    parser.add_argument("--bound-mb", type=float, default=64.0, help="largest growth still called flat")
    args = parser.parse_args()
    available = sorted(os.sched_getaffinity(0))
    collector_cores = {available[0]}
    sender_cores = set(available[1:]) or collector_cores

    bodies = encode_requests(make_spans(_POOL * BATCH))
    total = args.warmup_seconds + args.seconds
    load = [bodies[i % len(bodies)] for i in range(int(args.rate * total / BATCH))]
    workdir = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    rows: list[dict[str, float]] = []
    try:
        collector = Collector(workdir, collector_cores)
        try:
            os.sched_setaffinity(0, sender_cores)
            print(f"collector RSS {collector.memory_mb():.0f} MB idle (store open, schema migrated)\n")
            print(_HEADER)
            print("|" + "|".join("-" * len(cell) for cell in _HEADER.strip("|").split("|")) + "|")
            sender = threading.Thread(target=post_all, args=(collector.port, load, args.rate / BATCH), daemon=True)
            start = time.monotonic() + args.warmup_seconds
            sender.start()
            for tick in range(int(args.seconds // args.interval)):
                row = measure(collector, start + tick * args.interval, start + (tick + 1) * args.interval)
                rows.append(row)
                print(table_row((tick + 1) * args.interval, row), flush=True)
            sender.join()
        finally:
            collector.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)  # a 10-minute run stores ~1 GB

    floor, ceiling = thirds(rows, "low"), thirds(rows, "high")
    creep = max(floor[1] - floor[0], ceiling[1] - ceiling[0])
    verdict = "flat" if creep < args.bound_mb else "NOT flat"
    print(
        f"\n{args.rate:,.0f} spans/s in {BATCH}-span requests, {args.warmup_seconds:.0f} s warm-up then "
        f"{args.seconds:.0f} s measured ({len(load) * BATCH:,} spans), collector on 1 core, chdb with all views on"
    )
    print(
        f"RSS floor {floor[0]:.0f} -> {floor[1]:.0f} MB, ceiling {ceiling[0]:.0f} -> {ceiling[1]:.0f} MB "
        f"(first third -> last third of 1-s readings): {verdict} (bound {args.bound_mb:.0f} MB); "
        f"last third's highest - first third's lowest {ceiling[1] - floor[0]:+.0f} MB; VmHWM {rows[-1]['hwm']:.0f} MB"
    )


if __name__ == "__main__":
    main()
