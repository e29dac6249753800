"""What counting each provider request once costs the reads: ``report`` by feature over 30 days.

    python benchmarks/exporter/bench_counted.py [--calls 1000000] [--foreign 0.01] [--rounds 7]

Calls are generated inside ClickHouse into ``otel_traces`` (so through the schema's views, as
exported spans are), all otel-llm's; then the same again in a second database where a fraction of
the requests was also traced by another project (an official-instrumentation span as the parent of
ours, both with usage). ``otel_llm.query.usage_by`` (what ``otel-llm report --by feature`` runs)
is timed on both: on the first it only probes for foreign rows; on the second it resolves the pairs
and subtracts the superseded rows from the rollup. Both answers are checked: every request once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time

from otel_llm.query import ClickHouseSource, usage_by
from otel_llm.schema import migrate
from otel_llm.store import connect

CHUNK = 1_000_000
# One request per number: our span, and for a `foreign` share of them the official
# instrumentation's span as its parent (same trace, same usage).
GENERATE = """
INSERT INTO {db}.otel_traces (Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName,
    ResourceAttributes, ScopeName, SpanAttributes, Duration, StatusCode)
SELECT
    now64(9) - toIntervalSecond(intHash32(number) % (29 * 86400)) + toIntervalMillisecond(is_outer ? 0 : 1),
    lower(hex(toUInt128(number + 1))),
    lower(hex(toUInt64(number + 1) * 2 + is_outer)),
    if(doubled AND NOT is_outer, lower(hex(toUInt64(number + 1) * 2 + 1)), ''),
    'chat gpt-4o-mini', 'Client', 'bench', map('service.name', 'bench'),
    if(is_outer, 'opentelemetry.instrumentation.openai_v2', 'otel_llm.instrumentation.openai'),
    map('gen_ai.operation.name', 'chat', 'gen_ai.provider.name', 'openai', 'gen_ai.request.model', 'gpt-4o-mini',
        'gen_ai.usage.input_tokens', toString(1000 + number % 5000), 'gen_ai.usage.output_tokens', '100',
        'otel_llm.cost.usd', '0.001', 'otel_llm.feature', 'feature_' || toString(number % 20)),
    800000000 + is_outer * 2000000,
    'Unset'
FROM (SELECT number, {doubled} AS doubled FROM numbers({start}, {count}))
ARRAY JOIN if(doubled, [0, 1], [0]) AS is_outer
"""


def _fill(client, database: str, calls: int, every: int) -> float:
    """``calls`` requests; every ``every``-th also traced by another project (0: none)."""
    doubled = f"number % {every} = 0" if every else "0"
    migrate(client, database)
    started = time.perf_counter()
    for start in range(0, calls, CHUNK):
        count = min(CHUNK, calls - start)
        client.command(GENERATE.format(db=database, start=start, count=count, doubled=doubled))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--foreign", type=float, default=0.01, help="share of requests also traced by another project")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    client = connect(f"chdb://{tempfile.mkdtemp(prefix='bench-counted-')}")
    every = max(1, round(1 / args.foreign))
    stores = {"ours only": ("only_ours", 0), f"1 in {every} doubled": ("doubled", every)}
    for database, step in stores.values():
        print(f"{database}: {args.calls:,} calls generated in {_fill(client, database, args.calls, step):.0f} s")
    source = ClickHouseSource(client)
    until = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + dt.timedelta(hours=1)
    since = until - dt.timedelta(days=30)
    timings: dict[str, list[float]] = {name: [] for name in stores}
    for _ in range(args.rounds):
        for name, (database, _) in stores.items():
            begin = time.perf_counter()
            rows = usage_by(source, database, ("feature",), since, until, metrics=("calls", "cost_usd")).rows
            timings[name].append((time.perf_counter() - begin) * 1000)
            if sum(r[1] for r in rows) != args.calls:
                raise SystemExit(f"{name}: {sum(r[1] for r in rows):,} calls counted, {args.calls:,} made")
    client.close()
    print(f"\n| report by feature, 30 days ({args.calls:,} requests) | median ms | min ms | max ms |")
    print("|---|---|---|---|")
    for name, values in timings.items():
        print(f"| {name} | {statistics.median(values):.1f} | {min(values):.1f} | {max(values):.1f} |")


if __name__ == "__main__":
    main()
