"""Dashboard page load on a large store: milliseconds per endpoint, server side and over HTTP.

    python benchmarks/ui/bench_pages.py [--calls 1000000] [--rounds 7]

The calls are generated inside ClickHouse straight into ``llm_calls`` (``INSERT ... SELECT FROM
numbers()``), whose views fill the hourly and daily per-user rollups as exported spans would
(``otel_traces`` is skipped: the dashboard never reads it). 30 days, 20 features, 3 models, 2
services, 2 environments, 5,000 users, 1 call in 200 unpriced. Then ``otel-llm ui``'s server
answers each endpoint ``--rounds`` times (after one warm-up) and the median, min and max wall
time of the whole request (every read of the page, rendering, JSON) is printed as a table.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import tempfile
import threading
import time

from otel_llm.alerts import DEFAULT_RULES
from otel_llm.query import ClickHouseSource
from otel_llm.schema import migrate
from otel_llm.store import connect
from otel_llm.ui import Settings, make_server
from otel_llm.ui.server import QUERY_LIMITS

DATABASE = "bench"
CHUNK = 1_000_000

GENERATE = """
INSERT INTO {db}.llm_calls (Timestamp, TraceId, SpanId, ServiceName, Environment, Provider, RequestModel,
    ResponseModel, Model, PriceProvider, PriceModel, Operation, Feature, UserId, InputTokens, OutputTokens,
    CacheReadTokens, CostUSD, CacheSavingsUSD, CostSource, PriceKnown, DurationNs, StatusCode, ErrorType,
    CacheHit, Instrumentation)
SELECT
    now64(9) - toIntervalSecond(intHash32(number) % (30 * 86400)),
    lower(hex(toUInt128(number + 1))), lower(hex(toUInt64(number + 1))),
    if(number % 2 = 0, 'api', 'worker'), if(number % 5 = 0, 'staging', 'prod'),
    provider, model, model, model, provider, model, 'chat', 'feature_' || toString(number % 20),
    'user_' || toString(intHash32(number * 7) % 5000),
    1000 + number % 5000, 100 + number % 700, if(number % 3 = 0, 800, 0),
    if(number % 200 = 0, NULL, toDecimal128((1 + number % 97) / 10000, 12)),
    if(number % 3 = 0, toDecimal128(0.0002, 12), toDecimal128(0, 12)),
    'span', number % 200 != 0, 800000000 + number % 1000000,
    if(number % 50 = 0, 'Error', 'Unset'), if(number % 50 = 0, 'RateLimitError', ''),
    number % 3 = 0, 'otel_llm.instrumentation.openai'
FROM (
    SELECT number,
           if(number % 3 = 0, 'anthropic', 'openai') AS provider,
           if(number % 3 = 0, 'claude-sonnet-4-5', if(number % 3 = 1, 'gpt-4o', 'gpt-4o-mini')) AS model
    FROM numbers({start}, {count})
)
"""

ENDPOINTS = (
    "/api/overview?range=30d", "/api/overview?range=24h&service=api&environment=prod", "/api/users?range=30d",
    "/api/calls?range=30d", "/api/calls?range=7d&feature=feature_3", "/api/alerts", "/overview?range=30d",
)


def _request(port: int, path: str) -> float:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    start = time.perf_counter()
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    elapsed = (time.perf_counter() - start) * 1000
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"{path}: HTTP {response.status}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        client = connect(f"chdb://{data}")
        migrate(client, DATABASE)
        start = time.perf_counter()
        for first in range(0, args.calls, CHUNK):
            client.command(GENERATE.format(db=DATABASE, start=first, count=min(CHUNK, args.calls - first)))
        client.command(f"OPTIMIZE TABLE {DATABASE}.llm_usage_hourly FINAL")
        client.command(f"OPTIMIZE TABLE {DATABASE}.llm_usage_daily_user FINAL")
        sizes = {t: client.command(f"SELECT count() FROM {DATABASE}.{t}")
                 for t in ("llm_calls", "llm_usage_hourly", "llm_usage_daily_user")}
        print(f"generated in {time.perf_counter() - start:.0f} s: {sizes}")
        settings = Settings(database=DATABASE, rules=tuple(DEFAULT_RULES))
        server = make_server(ClickHouseSource(client, limits=QUERY_LIMITS), settings, port=0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_address[1]
        print(f"| endpoint ({args.calls:,} calls) | median ms | min ms | max ms |")
        print("|---|---:|---:|---:|")
        for path in ENDPOINTS:
            _request(port, path)  # warm-up
            times = [_request(port, path) for _ in range(args.rounds)]
            print(f"| `{path}` | {statistics.median(times):.0f} | {min(times):.0f} | {max(times):.0f} |")
        server.shutdown()
        client.close()


if __name__ == "__main__":
    main()
