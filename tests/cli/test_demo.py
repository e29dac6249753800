"""``otel-llm demo`` end to end in a fresh directory: its report equals SQL over the same store.

The demo opens its own chdb directory, so it runs in a subprocess (one data path per process),
and the check reads the directory back from another subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from tests.fixtures.store import query_in_subprocess


def test_demo_report_totals_equal_sql_on_the_same_store(tmp_path: Path) -> None:
    data = tmp_path / "store"
    env = {**os.environ, "OTEL_EXPORTER_CLICKHOUSE_ENDPOINT": "", "OPENAI_API_KEY": "", "ANTHROPIC_API_KEY": ""}
    done = subprocess.run([sys.executable, "-m", "otel_llm.cli", "demo", "--data-dir", str(data), "--rounds", "2",
                           "--format", "json"], capture_output=True, text=True, timeout=120, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert "round 2/2" in done.stderr
    report = json.loads(done.stdout)
    by_feature = {row["feature"]: row for row in report["feature"]}
    assert set(by_feature) == {"document_analysis", "support_chat"}
    assert {row["user"] for row in report["user"]} == {"acme_corp_001", "globex_002"}
    [[calls, cost, cache_read, cache_hits, unpriced]] = query_in_subprocess(
        f"chdb://{data}",
        "SELECT count(), toString(sum(CostUSD)), sum(CacheReadTokens), countIf(CacheHit = 1), countIf(PriceKnown = 0)"
        " FROM otel.llm_calls WHERE ServiceName = 'otel-llm-demo'")
    for grouping in ("feature", "model", "user"):
        rows = report[grouping]
        assert sum(r["calls"] for r in rows) == calls
        assert sum(Decimal(str(r["cost_usd"])) for r in rows) == Decimal(cost)
        assert sum(r["cache_read_tokens"] for r in rows) == cache_read
        assert sum(r["unpriced_calls"] for r in rows) == unpriced == 0
    assert calls == 2 * 12  # the example app makes 12 calls a round
    assert cache_hits > 0 and Decimal(cost) > 0
    # Both SDKs reached the store.
    assert {r["model"].split("-")[0] for r in report["model"]} == {"claude", "gpt"}
