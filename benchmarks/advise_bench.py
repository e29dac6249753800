"""``otel-llm advise`` over many calls: seconds and peak memory of the whole advice.

Run: python benchmarks/advise_bench.py [--calls 10000000] [--dir /tmp/advise-bench]
Fills ``llm_calls`` of a fresh embedded store (chdb, in this process) straight from ClickHouse's
``numbers()`` with a realistic mix over 30 days: 20 features x 6 models, 5% of requests repeated,
a few thousand shared prefixes, sessions of 1-12 turns, some uncapped and failed calls; then
times ``advise()`` (every read and the findings) and reports the process's peak RSS (chdb runs
in-process, so its query memory is ours).
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import shutil
import time
from pathlib import Path

from otel_llm.advise import advise
from otel_llm.query import ClickHouseSource
from otel_llm.schema import migrate
from otel_llm.store import connect

# Six models (with their providers) in turn; the rest of each row follows from its number.
FILL = """
INSERT INTO bench.llm_calls (Timestamp, TraceId, SpanId, ServiceName, Provider, RequestModel, ResponseModel, Model,
    PriceProvider, PriceModel, Operation, Feature, UserId, SessionId, InputTokens, OutputTokens, CacheReadTokens,
    CostUSD, PriceKnown, StatusCode, FinishReasons, RequestFingerprint, PrefixFingerprint, PrefixTokens,
    MessageCount, MaxTokensSet, CacheControl, Streamed, TurnIndex)
SELECT
    toDateTime64({start:DateTime}, 9) + toIntervalMillisecond(intDiv(number * 2592000000, {calls:UInt64})),
    hex(number), hex(number), 'svc',
    ['openai', 'openai', 'openai', 'anthropic', 'anthropic', 'openai'][(number % 6) + 1] AS provider,
    ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1-nano', 'claude-sonnet-4-5', 'claude-haiku-4-5', 'gpt-5'][(number % 6) + 1]
        AS model,
    model, model, provider, model, 'chat', concat('feature_', toString(number % 20)),
    if(number % 3 = 0, '', concat('user_', toString(number % 5000))),
    if(number % 4 = 0, concat('s', toString(intDiv(number, 8))), ''),
    500 + (number % 37) * 100 AS input_tokens, 10 + (number % 11) * 30 AS output_tokens,
    if(number % 5 = 0, 400, 0), toDecimal128(input_tokens * 0.0000025 + output_tokens * 0.00001, 12),
    number % 1000 != 0, if(number % 200 = 0, 'Error', 'Unset'), if(number % 97 = 0, ['length'], ['stop']),
    lower(hex(cityHash64(if(number % 20 = 0, number % 1000, number)))),
    if(number % 2 = 0, lower(hex(cityHash64(number % 3000, 'p'))), ''), 1500, 2 + number % 10,
    number % 7 != 0, 'none', number % 2 = 0, 1 + number % 12
FROM numbers({calls:UInt64})
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000_000)
    parser.add_argument("--dir", default="/tmp/otel-llm-advise-bench")
    args = parser.parse_args()
    shutil.rmtree(args.dir, ignore_errors=True)
    Path(args.dir).mkdir(parents=True)
    client = connect(f"chdb://{args.dir}")
    migrate(client, "bench")
    until = dt.datetime(2026, 12, 1)
    since = until - dt.timedelta(days=30)
    started = time.perf_counter()
    client.command(FILL, parameters={"start": since, "calls": args.calls})
    filled = time.perf_counter() - started
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    advice = advise(ClickHouseSource(client), "bench", since, until)
    took = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("| calls | fill s | advise s | peak RSS MB (before advise) | findings | total $/month |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| {args.calls:,} | {filled:.1f} | {took:.1f} | {peak / 1024:.0f} ({rss_before / 1024:.0f}) |"
          f" {len(advice.findings)} | {advice.total_usd:,.2f} |")
    client.close()
    shutil.rmtree(args.dir, ignore_errors=True)


if __name__ == "__main__":
    main()
