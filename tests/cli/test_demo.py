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

import pytest

from tests.fixtures.store import query_in_subprocess


@pytest.mark.totals
def test_demo_report_totals_equal_sql_on_the_same_store(tmp_path: Path) -> None:
    data = tmp_path / "store"
    env = {**os.environ, "OTEL_EXPORTER_CLICKHOUSE_ENDPOINT": "", "OPENAI_API_KEY": "", "ANTHROPIC_API_KEY": "",
           # A shell configured for real AWS and Gemini: the demo must still call only its fake provider.
           "AWS_ACCESS_KEY_ID": "AKIAFAKEFAKEFAKEFAKE", "AWS_SECRET_ACCESS_KEY": "fake",
           "AWS_DEFAULT_REGION": "us-east-1", "GEMINI_API_KEY": "fake-gemini-key"}
    done = subprocess.run([sys.executable, "-m", "otel_llm.cli", "demo", "--data-dir", str(data), "--rounds", "2",
                           "--format", "json"], capture_output=True, text=True, timeout=300, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert "round 2/2" in done.stderr
    last_line = done.stderr.rstrip().splitlines()[-1]
    assert last_line == f"See it in your browser: otel-llm ui --endpoint chdb://{data} --database otel"
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


def test_a_second_demo_says_it_adds_and_fresh_starts_over(tmp_path: Path) -> None:
    """36 -> 72 -> 108 calls without a word was the stumble: the second run says it adds to the
    first; --fresh deletes only the demo's own rows (an app's calls in the same store stay)."""
    from tests.cli.newcomer import otel_llm, shell_env

    data = tmp_path / "store"
    env = shell_env(OPENAI_API_KEY="", ANTHROPIC_API_KEY="")

    def demo(*extra: str) -> tuple[str, int]:
        done = otel_llm("demo", "--data-dir", str(data), "--rounds", "1", "--format", "json", *extra, env=env)
        assert done.returncode == 0, done.stderr
        return done.stderr, sum(r["calls"] for r in json.loads(done.stdout)["feature"])

    first, calls = demo()
    assert calls == 12 and "earlier demo runs" not in first
    second, calls = demo()
    assert calls == 24
    assert "already holds 12 calls from earlier demo runs; this run adds to them (otel-llm demo --fresh" in second
    # An app's call in the same store and database, which --fresh must keep.
    script = ("import datetime as dt, uuid; from otel_llm.store import connect;"
              "from tests.cli.conftest import Call, insert_calls;"
              f"c = connect('chdb://{data}'); insert_calls(c, 'otel', [Call(dt.datetime.now(dt.timezone.utc)"
              ".replace(tzinfo=None), service='my-app')]); c.close()")
    subprocess.run([sys.executable, "-c", script], check=True, env=env, timeout=300)
    third, calls = demo("--fresh")
    assert calls == 12 and "deleted 24 calls of earlier demo runs (--fresh)" in third
    assert query_in_subprocess(f"chdb://{data}", "SELECT ServiceName, count() FROM otel.llm_calls GROUP BY 1 "
                               "ORDER BY 1") == [["my-app", 1], ["otel-llm-demo", 12]]


def test_fake_provider_help_lists_base_urls_keys_and_the_failure_switch() -> None:
    from otel_llm.fake_provider import CHUNKS_HEADER, FAIL_FIRST_HEADER, FakeProvider

    done = subprocess.run([sys.executable, "-m", "otel_llm.fake_provider", "--help"], capture_output=True, text=True,
                          timeout=60, check=True)
    for expected in ("OPENAI_BASE_URL=http://HOST:PORT/v1", "ANTHROPIC_BASE_URL=http://HOST:PORT",
                     "OPENAI_API_KEY=test-key ANTHROPIC_API_KEY=test-key", f"{FAIL_FIRST_HEADER}: STATUS",
                     f"{CHUNKS_HEADER}: N", "--port"):
        assert expected in done.stdout
    assert "``" not in done.stdout
    with FakeProvider() as fp:  # the forms --help documents are the fake's own
        assert fp.openai_base_url == fp.url + "/v1" and fp.anthropic_base_url == fp.url
