"""Per-call overhead of otel-llm and its peers, interleaved in one run.

    python benchmarks/instrumentation/bench_overhead.py [--rounds 5] [--calls 500]

Each contender lives in its own virtual environment (``setup_venvs.sh`` makes them, pinned to one
SDK version set), talks real HTTP to the same local fake provider, and runs once per round in a
fresh interpreter; the order of contenders is shuffled every round, so drift on this shared, noisy
machine hits everyone alike. The "floor" contender times one bare span carrying the attributes of an
otel-llm span: no instrumentation can cost less than that. Reported: the median over rounds of each
contender's median µs per call, its overhead over the uninstrumented baseline of the same round,
that overhead as a multiple of the floor, and for streams the overhead per chunk.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VENVS = ROOT / "benchmarks" / ".venvs"
CONTENDERS = ("baseline", "floor", "otel-llm", "openai-v2", "openllmetry", "openinference", "openlit")
# Which venv runs each contender: the floor needs only the SDK and OpenTelemetry.
VENV_OF = {"floor": "baseline"}


def _python(contender: str) -> str:
    return str(VENVS / VENV_OF.get(contender, contender) / "bin" / "python")


def _start_fake_provider() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [_python("baseline"), "-m", "otel_llm.fake_provider", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("export ANTHROPIC_BASE_URL="):
            return proc, line.split("=", 1)[1].strip()
    raise SystemExit("the fake provider did not print its address")


def _run(contender: str, base_url: str, args: argparse.Namespace) -> dict[str, float]:
    out = subprocess.run(
        [
            _python(contender),
            str(HERE / "worker.py"),
            "--contender",
            contender,
            "--base-url",
            base_url,
            "--calls",
            str(args.calls),
            "--chunks",
            str(args.chunks),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _table(results: dict[str, dict[str, list[float]]], chunks: int) -> str:
    floor = statistics.median(results["floor"]["floor.span"]) / 1000
    lines = [f"floor (one bare span, same attribute count): {floor:.1f} µs", ""]
    header = f"{'scenario':<26} {'contender':<14} {'median µs':>10} {'overhead µs':>12} {'x floor':>8} {'µs/chunk':>9}"
    lines += [header, "-" * len(header)]
    scenarios = sorted({s for r in results.values() for s in r if s != "floor.span" and s != "spans_exported"})
    for scenario in scenarios:
        base_rounds = results["baseline"][scenario]
        for contender, by_scenario in results.items():
            if scenario not in by_scenario:
                continue
            rounds = by_scenario[scenario]
            overheads = [(c - b) / 1000 for c, b in zip(rounds, base_rounds, strict=True)]
            median_us = statistics.median(rounds) / 1000
            overhead = statistics.median(overheads)
            per_chunk = f"{overhead / chunks:9.3f}" if scenario.endswith("stream") else f"{'':9}"
            ratio = "" if contender == "baseline" else f"{overhead / floor:8.2f}"
            lines.append(f"{scenario:<26} {contender:<14} {median_us:10.1f} {overhead:12.1f} {ratio:>8} {per_chunk}")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--chunks", type=int, default=200)
    parser.add_argument("--contenders", nargs="*", default=list(CONTENDERS))
    parser.add_argument("--skip-setup", action="store_true", help="do not (re)create the virtual environments")
    args = parser.parse_args()
    if not args.skip_setup:
        subprocess.run(["bash", str(HERE / "setup_venvs.sh")], check=True)
    contenders = [c for c in args.contenders if Path(_python(c)).exists()]
    for required in ("baseline", "floor"):
        if required not in contenders:
            contenders.insert(0, required)

    server, base_url = _start_fake_provider()
    results: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    try:
        for round_no in range(args.rounds):
            order = random.sample(contenders, len(contenders))
            for contender in order:
                for scenario, value in _run(contender, base_url, args).items():
                    results[contender][scenario].append(value)
            print(f"round {round_no + 1}/{args.rounds} done", file=sys.stderr)
    finally:
        server.terminate()
    print(_table(results, args.chunks))


if __name__ == "__main__":
    main()
