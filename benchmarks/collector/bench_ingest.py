"""OTLP/HTTP ingest into the collector (chdb, views on) vs the in-process exporter, same spans.

    python benchmarks/collector/bench_ingest.py [--spans 100000] [--rounds 3] [--cores 1]
        [--steady-seconds 30] [--steady-rate N]

One run, one table, medians over the rounds (collector and exporter rounds interleaved):

- collector: OTLP/HTTP protobuf requests of 512 spans (what a BatchSpanProcessor sends), posted
  by 4 keep-alive connections from this process; wall rate from the first byte sent until the
  collector reports every span written to ClickHouse (fsynced spool, drain with its 2 s linger,
  all views). The collector runs in its own process pinned to ``--cores`` cores; spans per
  CPU-second counts the collector process's CPU (all its threads and chdb's, background merges
  included: measured from idle to idle), the benchmark's sender runs elsewhere;
- in-process exporter: ``ClickHouseSpanExporter.export(512) x N + force_flush`` on the same spans
  into a chdb directory of this process (the baseline the collector is compared with), its CPU
  measured from idle to idle the same way;
- acknowledgement latency: requests paced at half the collector's spans per CPU-second (its
  one-core capacity), or ``--steady-rate``, for ``--steady-seconds``; p50 / p99 / max time from
  send to the 200, and the collector's resident memory at the start and end of that steady phase
  (flat means no leak), and its peak.

Goals (issue 4): >= 30,000 spans/s per core, p99 acknowledgement < 50 ms at half that load.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans  # noqa: E402

from benchmarks.exporter.bench_exporter import make_spans  # noqa: E402
from otel_llm.exporter import ClickHouseSpanExporter  # noqa: E402

BATCH = 512
SENDERS = 4
# Every request carries this placeholder in a resource attribute, and each send writes its own
# number over it: the collector takes a byte-identical body for a sender's retry and does not
# store it again, so rounds and the steady phase that reuse the encoded spans must differ by a byte.
_STAMP = b"#" * 12
_SENT = itertools.count()


def encode_requests(spans: list) -> list[bytes]:
    """OTLP protobuf bodies of ``BATCH`` spans, each with a ``bench.request`` stamp to fill in."""
    bodies = []
    for start in range(0, len(spans), BATCH):
        request = encode_spans(spans[start : start + BATCH])
        for resource_spans in request.resource_spans:
            stamp = resource_spans.resource.attributes.add(key="bench.request")
            stamp.value.string_value = _STAMP.decode()
        bodies.append(request.SerializeToString())
    return bodies


def stamped(body: bytes) -> bytes:
    return body.replace(_STAMP, b"%012d" % next(_SENT))


class Collector:
    """``python -m otel_llm_collector`` in its own process, pinned to ``cores``, on free ports."""

    def __init__(self, workdir: Path, cores: set[int]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "otel_llm_collector", "--http-port", "0", "--grpc-port", "-1",
             "--spool-dir", str(workdir / "spool"), "--endpoint", f"chdb://{workdir / 'chdb'}"],
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            preexec_fn=lambda: os.sched_setaffinity(0, cores),
        )  # fmt: skip
        try:
            self.port = json.loads(self.process.stdout.readline())["http_port"]  # type: ignore[union-attr]
            while not self._ready():
                time.sleep(0.1)
        except BaseException:  # never leave a collector running behind a failed start
            self.process.kill()
            raise

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(self._url("/readyz")) as response:
                return response.status == 200
        except urllib.error.HTTPError:  # 503 until the store is open and migrated
            return False

    def _url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def written(self) -> int:
        with urllib.request.urlopen(self._url("/metrics")) as response:
            for line in response.read().decode().splitlines():
                if line.startswith("otel_llm_collector_spans_written_total "):
                    return int(float(line.split()[1]))
        raise RuntimeError("no spans_written counter")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def memory_mb(self, key: str = "VmRSS") -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(key)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(60)


def post_all(port: int, bodies: list[bytes], pace: float | None = None) -> list[float]:
    """Posts every body over ``SENDERS`` keep-alive connections; returns each request's latency.

    With ``pace`` (requests per second) requests start on a fixed schedule, so latency is measured
    at that load and not at whatever rate the collector happens to absorb.
    """
    work: queue.Queue[tuple[int, bytes]] = queue.Queue()
    for index, body in enumerate(bodies):
        work.put((index, body))
    latencies: list[float] = []
    lock = threading.Lock()
    start = time.perf_counter()

    def sender() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            try:
                index, body = work.get_nowait()
            except queue.Empty:
                break
            if pace is not None:
                time.sleep(max(0.0, start + index / pace - time.perf_counter()))
            body = stamped(body)
            sent = time.perf_counter()
            connection.request("POST", "/v1/traces", body, {"Content-Type": "application/x-protobuf"})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"collector answered {response.status}")
            with lock:
                latencies.append(time.perf_counter() - sent)
        connection.close()

    threads = [threading.Thread(target=sender) for _ in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def quiet_cpu(read_cpu: Callable[[], float], interval: float = 0.5, idle_share: float = 0.04, calm: int = 4) -> float:
    """The process's CPU seconds once it has been idle (under ``idle_share`` of a core) for
    ``calm`` intervals in a row.

    ClickHouse merges the parts an insert made in the background, seconds later, and may start
    one after a short lull; that work is part of what a span costs to store, so a round is
    measured from quiet to quiet, for the collector and the in-process exporter alike.
    """
    last, quiet = read_cpu(), 0
    for _ in range(int(180 / interval)):
        time.sleep(interval)
        now = read_cpu()
        quiet = quiet + 1 if now - last < idle_share * interval else 0
        if quiet >= calm:
            return now
        last = now
    raise RuntimeError("the process did not go idle within 180 s")


def collector_round(collector: Collector, bodies: list[bytes], spans: int) -> tuple[float, float, float]:
    """(spans/s wall to written, spans per collector CPU-second, spans/s wall to acknowledged)."""
    target = collector.written() + spans
    cpu = quiet_cpu(collector.cpu_seconds)
    wall = time.perf_counter()
    post_all(collector.port, bodies)
    acked = time.perf_counter() - wall
    while collector.written() < target:
        time.sleep(0.01)
    elapsed = time.perf_counter() - wall
    return spans / elapsed, spans / max(quiet_cpu(collector.cpu_seconds) - cpu, 1e-9), spans / acked


def exporter_round(spans: list, dsn: str, database: str) -> tuple[float, float]:
    exporter = ClickHouseSpanExporter(endpoint=dsn, database=database, create_schema=True)
    exporter.export(spans[:1])  # opening chdb and creating the schema is not what we measure
    exporter.force_flush(120_000)
    rest = spans[1:]

    cpu = quiet_cpu(time.process_time)
    wall = time.perf_counter()
    for start in range(0, len(rest), BATCH):
        exporter.export(rest[start : start + BATCH])
    if not exporter.force_flush(600_000):
        raise RuntimeError("flush timed out")
    elapsed = time.perf_counter() - wall
    measured = len(rest) / elapsed, len(rest) / max(quiet_cpu(time.process_time) - cpu, 1e-9)
    exporter.shutdown()
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cores", type=int, default=1, help="cores the collector (and the exporter) may use")
    parser.add_argument("--steady-seconds", type=float, default=30.0)
    parser.add_argument(
        "--steady-rate", type=float, help="spans/s of the paced phase (default: half the measured spans/CPU-s)"
    )
    args = parser.parse_args()
    available = sorted(os.sched_getaffinity(0))
    collector_cores = set(available[: args.cores])
    sender_cores = set(available[args.cores :]) or collector_cores  # keep the load generator off them

    spans = make_spans(args.spans)
    bodies = encode_requests(spans)
    workdir = Path(tempfile.mkdtemp(prefix="bench-collector-"))

    dsn = f"chdb://{workdir / 'exporter'}"
    collector = Collector(workdir / "collector", collector_cores)
    ingest, baseline = [], []
    try:
        os.sched_setaffinity(0, sender_cores)
        post_all(collector.port, bodies[:2])  # warm-up: first insert, first views
        for index in range(args.rounds):  # interleaved: a shared machine's slow minutes hit both
            os.sched_setaffinity(0, sender_cores)
            ingest.append(collector_round(collector, bodies, len(spans)))
            os.sched_setaffinity(0, collector_cores)  # the idle collector's core, for the exporter
            baseline.append(exporter_round(spans, dsn, f"bench_{index}"))
        os.sched_setaffinity(0, sender_cores)
        half = args.steady_rate or statistics.median(r[1] for r in ingest) / 2
        rss_start = collector.memory_mb()
        steady = [bodies[i % len(bodies)] for i in range(max(1, int(half * args.steady_seconds / BATCH)))]
        latencies = sorted(post_all(collector.port, steady, pace=half / BATCH))
        rss_end, rss_peak = collector.memory_mb(), collector.memory_mb("VmHWM")
    finally:
        collector.stop()

    def q(fraction: float) -> float:
        return latencies[min(len(latencies) - 1, int(fraction * len(latencies)))] * 1000

    print(f"\n{args.spans:,} LLM spans x {args.rounds} rounds, {BATCH}-span requests, collector on "
          f"{len(collector_cores)} core(s), chdb with all views on; medians\n")  # fmt: skip
    print(f"| {'path':<62} | {'spans/s wall':>13} | {'spans/CPU-s':>12} |")
    print(f"|{'-' * 64}|{'-' * 15}|{'-' * 14}|")
    rows = [
        ("collector: OTLP/HTTP -> fsynced spool -> drain -> chdb", [r[0] for r in ingest], [r[1] for r in ingest]),
        ("collector: acknowledged (spooled), not yet written", [r[2] for r in ingest], None),
        ("in-process ClickHouseSpanExporter (baseline)", [r[0] for r in baseline], [r[1] for r in baseline]),
    ]
    for label, walls, cpus in rows:
        cpu = f"{statistics.median(cpus):>12,.0f}" if cpus else f"{'-':>12}"
        print(f"| {label:<62} | {statistics.median(walls):>13,.0f} | {cpu} |")
    print(
        f"\nacknowledgement at {half:,.0f} spans/s ({len(latencies)} requests over ~{args.steady_seconds:.0f} s): "
        f"p50 {q(0.5):.1f} ms, p99 {q(0.99):.1f} ms, max {latencies[-1] * 1000:.1f} ms (goal p99 < 50 ms)"
    )
    print(
        f"collector memory: RSS {rss_start:.0f} MB before the steady phase, {rss_end:.0f} MB after, "
        f"peak {rss_peak:.0f} MB"
    )
    print(f"goal >= 30,000 spans/s per core: collector {statistics.median(r[1] for r in ingest):,.0f} spans/CPU-s")


if __name__ == "__main__":
    main()
