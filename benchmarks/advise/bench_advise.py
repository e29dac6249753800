"""``otel-llm advise`` over many calls: seconds and peak memory of the command, as a user runs it.

Run: python benchmarks/advise/bench_advise.py [--calls 10000000] [--dir /tmp/otel-llm-advise-bench] [--runs 3]
Fills ``llm_calls`` of a fresh embedded store (chdb, in this process) straight from ClickHouse's
``numbers()``, over the last 30 days, with a realistic mix: 20 features x 6 models; 5% of
requests sent again minutes later (a response cache's work) and 1% resent within two seconds
(retries); half the calls behind one of 120 shared prompt prefixes (per feature and model, in
bursts) of which a fifth read a cache and some Anthropic ones write it again after it expired;
half in conversations of 10 calls whose input grows past the window; classification-like
features (short, uniform outputs), batchable ones (never streamed, no end user, every night from
02:00 to 04:00 UTC), uncapped outputs
running into the length limit, failed calls and an unpriced model. Then runs ``otel-llm advise
--endpoint chdb://DIR --format json`` ``--runs`` times as a separate process and reports the
median wall time and the peak RSS of the command (chdb runs inside it, so its query memory is the
command's). The store is deleted at the end; nothing is written to the repository.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _baseline import module_at

from otel_llm.query import ClickHouseSource
from otel_llm.query import advise as reads
from otel_llm.schema import migrate
from otel_llm.store import connect

DATABASE = "bench"
_MARGIN = dt.timedelta(minutes=30)
_SPAN_MS = int((dt.timedelta(days=30) - 2 * _MARGIN).total_seconds() * 1000)
# One row per number; every column follows from it (see the module docstring for the mix).
FILL = """
INSERT INTO bench.llm_calls (Timestamp, TraceId, SpanId, ServiceName, Provider, RequestModel, ResponseModel, Model,
    PriceProvider, PriceModel, Operation, Feature, UserId, SessionId, InputTokens, OutputTokens, CacheReadTokens,
    CacheWriteTokens, CostUSD, PriceKnown, StatusCode, ErrorType, FinishReasons, RequestFingerprint,
    PrefixFingerprint, PrefixTokens, MessageCount, MaxTokensSet, CacheControl, Streamed, TurnIndex, Instrumentation)
WITH intDiv(number, 120) % 20 AS f, intDiv(number % 120, 12) AS turn,
    toDateTime64({start:DateTime}, 9) + toIntervalMillisecond(intDiv(number * {span_ms:UInt64}, {calls:UInt64})) AS t
SELECT
    -- features 0-4 (no end user, never streamed) run every night between 02:00 and 04:00: Batch API material
    if(f < 5, toStartOfDay(t) + toIntervalHour(2) + toIntervalMillisecond(number % 7200000), t),
    hex(number), hex(number), 'svc',
    ['openai', 'openai', 'openai', 'anthropic', 'anthropic', 'openai'][(number % 6) + 1] AS provider,
    ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1-nano', 'claude-sonnet-4-5', 'claude-haiku-4-5',
     if(number % 1000 = 3, 'in-house-model', 'gpt-5')][(number % 6) + 1] AS model,
    model, model, provider, model, 'chat',
    concat('feature_', toString(f)) AS feature,
    if(f < 5, '', concat('user_', toString(number % 5000))),  -- features 0-4: no end user
    -- conversations of 10 calls, one model each, on every other row of each feature's block of 120
    if(intDiv(number, 6) % 2 = 0, concat('s', toString(intDiv(number, 120)), '-', toString(number % 6)), '')
        AS session,
    if(session != '', 2000 + turn * 1500, 500 + (number % 37) * 100) AS input_tokens,
    multiIf(f BETWEEN 5 AND 9, 3 + number % 3,  -- classification-like
            f BETWEEN 10 AND 12 AND number % 50 = 0, 4096,  -- uncapped, running into the limit
            10 + (number % 11) * 30) AS output_tokens,
    if(number % 10 = 2, 1024, 0),
    if(provider = 'anthropic' AND number % 10 = 4, 1500, 0),  -- explicit cache writes, expiring between bursts
    if(model = 'in-house-model', NULL, toDecimal128(input_tokens * 0.0000025 + output_tokens * 0.00001, 12)),
    model != 'in-house-model', if(number % 200 = 7, 'Error', 'Unset'), if(number % 200 = 7, 'RateLimitError', ''),
    if(output_tokens = 4096, ['length'], ['stop']),
    -- 5%: the same request as 2,400 rows earlier (same feature and model, minutes before);
    -- 1%: the same as 6 rows earlier (a retry a second or two later)
    lower(hex(cityHash64(multiIf(number % 20 = 0, toUInt64(number % 2400), number % 100 = 78, toUInt64(number - 6),
                                 number)))),  -- one type in every branch: cityHash64 hashes the type too
    if(number % 2 = 0, lower(hex(cityHash64(feature, model, 'prefix'))), ''), 1500, 2 + turn * 2,
    f NOT BETWEEN 10 AND 12, if(provider = 'anthropic', 'explicit', 'automatic'), f >= 15, 1 + turn,
    concat('otel_llm.instrumentation.', provider)  -- otel-llm's own rows: nothing for the count-once resolution
FROM numbers({calls:UInt64})
"""


def fill(directory: str, calls: int, start: dt.datetime) -> float:
    client = connect(f"chdb://{directory}")
    try:
        migrate(client, DATABASE)
        started = time.perf_counter()
        client.command(FILL, parameters={"start": start, "calls": calls, "span_ms": _SPAN_MS})
        return time.perf_counter() - started
    finally:
        client.close()


def run_advise(directory: str) -> tuple[float, dict]:
    """One ``otel-llm advise`` process: its wall seconds and its JSON."""
    command = [sys.executable, "-m", "otel_llm.cli", "advise", "--endpoint", f"chdb://{directory}",
               "--database", DATABASE, "--since", "30d", "--format", "json"]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True,
                          env={**os.environ, "OTEL_LLM_COLLECTOR_URL": ""})
    return time.perf_counter() - started, json.loads(done.stdout)


def compare_reads(directory: str, rev: str, rounds: int) -> list[tuple[str, float, float]]:
    """(read, seconds at ``rev``, seconds now): each read of ``otel_llm.query.advise`` over the
    whole store, the two versions in turn ``rounds`` times, medians. In this process, after the
    command's runs, so the command's memory is measured alone."""
    before = module_at(rev, "otel_llm/query/advise.py")
    client = connect(f"chdb://{directory}")
    source = ClickHouseSource(client)
    until = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    since = until - dt.timedelta(days=30)
    calls = {
        "spend": lambda m: m.spend(source, DATABASE, since, until),
        "repeated_requests": lambda m: m.repeated_requests(source, DATABASE, since, until, 10.0),
        "repeated_prefixes": lambda m: m.repeated_prefixes(source, DATABASE, since, until, 300.0),
        "model_usage": lambda m: m.model_usage(source, DATABASE, since, until),
        "context_growth": lambda m: m.context_growth(source, DATABASE, since, until, 10_000),
        "failed_calls": lambda m: m.failed_calls(source, DATABASE, since, until),
        "unpriced_models": lambda m: m.unpriced_models(source, DATABASE, since, until),
    }
    results = []
    try:
        for name, call in calls.items():
            times: dict[str, list[float]] = {"before": [], "now": []}
            for _ in range(rounds):
                for label, module in (("before", before), ("now", reads)):
                    started = time.perf_counter()
                    call(module).dicts()
                    times[label].append(time.perf_counter() - started)
            results.append((name, statistics.median(times["before"]), statistics.median(times["now"])))
    finally:
        client.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000_000)
    parser.add_argument("--dir", default="/tmp/otel-llm-advise-bench")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--compare-reads", metavar="REV", default=None,
                        help="also time each read against otel_llm/query/advise.py at this git revision")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --compare-reads")
    args = parser.parse_args()
    shutil.rmtree(args.dir, ignore_errors=True)
    Path(args.dir).mkdir(parents=True)
    try:
        # 30 days but the last hour, so the command's default --since 30d covers them all.
        start = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0) - dt.timedelta(days=30) + _MARGIN
        filled = fill(args.dir, args.calls, start)
        times, advice = [], {}
        for _ in range(args.runs):
            took, advice = run_advise(args.dir)
            times.append(took)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        compared = compare_reads(args.dir, args.compare_reads, args.rounds) if args.compare_reads else []
    finally:
        shutil.rmtree(args.dir, ignore_errors=True)
    kinds = sorted({f["kind"] for f in advice["findings"]})
    print("| calls | fill s | advise s (median of runs) | advise peak RSS MB | findings | kinds | total $/month |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    runs = ", ".join(f"{t:.1f}" for t in times)
    total = float(advice["total_usd_per_month"])
    print(f"| {advice['calls']:,} | {filled:.1f} | {statistics.median(times):.1f} ({runs}) | {peak_mb:.0f}"
          f" | {len(advice['findings'])} | {len(kinds)} | {total:,.2f} |")
    print("kinds:", ", ".join(kinds))
    if compared:
        print(f"\n| read | s at {args.compare_reads} | s now | ratio |  (medians of {args.rounds} rounds, in turn)")
        print("| --- | ---: | ---: | ---: |")
        for name, then, now in compared:
            print(f"| {name} | {then:.2f} | {now:.2f} | {then / now:.1f}x |")


if __name__ == "__main__":
    main()
