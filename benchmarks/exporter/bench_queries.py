""" "Cost by feature by day, last 30 days" at 10 million LLM calls: rollup vs llm_calls vs raw spans.

    python benchmarks/exporter/bench_queries.py [--calls 10000000] [--rounds 7]

The calls are generated inside ClickHouse (``INSERT ... SELECT FROM numbers()`` into
``otel_traces``, in chunks), so they flow through the same materialized views as exported spans:
``llm_calls`` and the rollups are filled by the schema, not by this script. Then the same question
is asked three ways, each answer checked against the others, and timed (median of the rounds):

- ``llm_usage_hourly``: the rollup, re-aggregated with ``sum()`` as every query must;
- ``llm_calls``: one typed row per call;
- ``otel_traces``: the raw spans, reading the cost and feature out of the attribute Map as a
  store without otel-llm's views would have to.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from otel_llm.schema import migrate
from otel_llm.store import connect

DATABASE = "q"
CHUNK = 1_000_000
FEATURES = 20
USERS = 1_000

GENERATE = """
INSERT INTO {db}.otel_traces (Timestamp, TraceId, SpanId, SpanName, SpanKind, ServiceName, ResourceAttributes,
    ScopeName, SpanAttributes, Duration, StatusCode)
SELECT
    now64(9) - toIntervalSecond(intHash32(number) % (29 * 86400)) AS Timestamp,  -- clear of the 30-day span TTL
    lower(hex(toUInt128(number + 1))) AS TraceId,
    lower(hex(toUInt64(number + 1))) AS SpanId,
    'chat ' || model,
    'Client',
    'bench',
    map('service.name', 'bench', 'deployment.environment.name', 'prod'),
    'otel_llm.instrumentation.openai',
    map(
        'gen_ai.operation.name', 'chat',
        'gen_ai.provider.name', provider,
        'gen_ai.request.model', model,
        'gen_ai.response.model', model,
        'gen_ai.usage.input_tokens', toString(1000 + number % 5000),
        'gen_ai.usage.output_tokens', toString(100 + number % 700),
        'otel_llm.cost.usd', toString(round((1 + number % 97) / 10000, 6)),
        'otel_llm.feature', 'feature_' || toString(number % {features}),
        'user.id', 'user_' || toString(intHash32(number) % {users})
    ),
    800000000 + number % 1000000,
    'Unset'
FROM (
    SELECT number,
           if(number % 3 = 0, 'anthropic', 'openai') AS provider,
           if(number % 3 = 0, 'claude-sonnet-4-5', if(number % 3 = 1, 'gpt-4o', 'gpt-4o-mini')) AS model
    FROM numbers({start}, {count})
)
"""

QUERIES = {
    "llm_usage_hourly (rollup)": """
        SELECT Feature, toDate(Hour) AS Day, sum(CostUSD) AS Cost, sum(Calls) AS Calls
        FROM {db}.llm_usage_hourly
        WHERE Hour >= toStartOfHour(now() - INTERVAL 30 DAY)
        GROUP BY Feature, Day ORDER BY Day, Feature""",
    "llm_calls (one row per call)": """
        SELECT Feature, toDate(Timestamp) AS Day, sum(CostUSD) AS Cost, count() AS Calls
        FROM {db}.llm_calls
        WHERE Timestamp >= toStartOfHour(now() - INTERVAL 30 DAY)
        GROUP BY Feature, Day ORDER BY Day, Feature""",
    "otel_traces (raw Map scan)": """
        SELECT SpanAttributes['otel_llm.feature'] AS Feature, toDate(Timestamp) AS Day,
               sum(toDecimal128OrZero(SpanAttributes['otel_llm.cost.usd'], 12)) AS Cost, count() AS Calls
        FROM {db}.otel_traces
        WHERE Timestamp >= toStartOfHour(now() - INTERVAL 30 DAY) AND SpanAttributes['gen_ai.operation.name'] != ''
        GROUP BY Feature, Day ORDER BY Day, Feature""",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    client = connect(f"chdb://{tempfile.mkdtemp(prefix='bench-queries-')}")
    migrate(client, DATABASE)
    started = time.perf_counter()
    for start in range(0, args.calls, CHUNK):
        count = min(CHUNK, args.calls - start)
        client.command(GENERATE.format(db=DATABASE, start=start, count=count, features=FEATURES, users=USERS))
    generated = time.perf_counter() - started
    sizes = {
        table: client.query(f"SELECT count() FROM {DATABASE}.{table}").result_rows[0][0]
        for table in ("otel_traces", "llm_calls", "llm_usage_hourly")
    }

    timings: dict[str, list[float]] = {name: [] for name in QUERIES}
    answers: dict[str, list[tuple]] = {}
    for _ in range(args.rounds):
        for name, sql in QUERIES.items():
            begin = time.perf_counter()
            rows = client.query(sql.format(db=DATABASE)).result_rows
            timings[name].append((time.perf_counter() - begin) * 1000)
            answers[name] = rows
    client.close()

    reference = answers["otel_traces (raw Map scan)"]
    for name, rows in answers.items():  # three ways, one answer: or the timings mean nothing
        if rows != reference:
            raise SystemExit(f"{name} disagrees with the raw scan: {rows[:3]} vs {reference[:3]}")
    calls = sum(row[3] for row in reference)
    print(
        f"\n{args.calls:,} calls generated through the views in {generated:.0f} s; tables: "
        + ", ".join(f"{t} {n:,} rows" for t, n in sizes.items())
        + f"\nanswer: {len(reference)} (feature, day) groups, {calls:,} calls; medians of {args.rounds} runs\n"
    )
    print(f"| {'cost by feature by day, last 30 days':<36} | {'median ms':>10} | {'min ms':>8} | {'max ms':>8} |")
    print(f"|{'-' * 38}|{'-' * 12}|{'-' * 10}|{'-' * 10}|")
    for name, values in timings.items():
        print(f"| {name:<36} | {statistics.median(values):>10.1f} | {min(values):>8.1f} | {max(values):>8.1f} |")


if __name__ == "__main__":
    main()
