"""Issue 13's proof through the collector: sampling traces at 1% changes no total.

The app of ``tests/e2e/test_sampling_totals.py`` (2,000 calls through the real openai and anthropic
SDKs over real HTTP to the fake provider, across features, users, models, streams, cache hits,
5-minute and 1-hour cache writes, and failures)
exports over OTLP/HTTP, spans and log records, to a real collector process, once with
``parentbased_traceidratio`` at 0.01 and once at 1.0, each to a collector of its own that
forwards to a third (the trace backend). ``otel-llm report --collector`` by feature, by user and
by model, and the store's totals, are the same to the micro-dollar; the backend got about 1% of
the spans at 0.01.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

from otel_llm.cli import main
from otel_llm.fake_provider import FakeProvider
from tests.collector.harness import RunningCollector, start_collector
from tests.e2e.test_sampling_totals import CACHE_WRITE_USD, CALLS, GROUPS, TOTALS, run_sampled


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    """The trace backend the collectors forward to: a collector too, so it counts what it got."""
    running = start_collector(tmp_path_factory.mktemp("backend"))
    yield running
    running.stop()


def _run(ratio: float, workdir: Path, fake: FakeProvider, backend: RunningCollector) -> RunningCollector:
    """The app at ``ratio`` through a fresh collector; returns it once every call is stored."""
    collector = start_collector(workdir, "--forward", backend.url)
    spans = OTLPSpanExporter(endpoint=collector.url + "/v1/traces")
    run_sampled(ratio, spans, OTLPLogExporter(endpoint=collector.url + "/v1/logs"), fake, f"proof-{ratio}")
    assert collector.wait_for("SELECT count() FROM llm_calls", CALLS, timeout=300) == CALLS, collector.log()
    # The insert that completed llm_calls may still be filling the rollups (the views run one after
    # another); its spool batch is committed once the whole insert has returned.
    assert collector.wait_drained() == 0
    return collector


def _report(collector: RunningCollector, by: str, capsys: pytest.CaptureFixture[str]) -> Any:
    capsys.readouterr()
    code = main(["report", "--by", by, "--since", "1d", "--format", "json", "--collector", collector.url])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_one_percent_sampling_through_the_collector_changes_no_total(
    tmp_path: Path, fake_provider: FakeProvider, backend: RunningCollector, capsys: pytest.CaptureFixture[str]
) -> None:
    sampled = _run(0.01, tmp_path / "sampled", fake_provider, backend)
    full = _run(1.0, tmp_path / "full", fake_provider, backend)
    try:
        got, want = ((*c.sql(TOTALS.format(db="otel"))[0], c.sql(CACHE_WRITE_USD.format(db="otel"))[0][0])
                     for c in (sampled, full))  # fmt: skip
        # calls, every token kind, cost, cost of the cache-writing calls, unpriced, errors, cache-write dollars
        assert got[:11] + got[12:] == want[:11] + want[12:]
        sampled_spans = got[11]
        assert (got[0], want[11]) == (CALLS, CALLS)
        assert 5 <= sampled_spans <= 50  # binomial: 20 expected, sd 4.4
        assert got[3] and got[4] > got[5] > 0 and got[12]  # cache reads, writes (1-hour ones too), their dollars
        assert got[7] and got[9] and got[10]  # cost, unpriced calls, errors all present
        for by, groups in GROUPS.items():
            report = _report(sampled, by, capsys)
            assert len(report) == groups, report
            assert report == _report(full, by, capsys), by
        # The trace backend got the sampled spans only: about 1% at 0.01, every one at 1.0.
        forwarded = "SELECT count() FROM otel_traces WHERE ServiceName = {s:String}"
        assert backend.wait_for(forwarded, sampled_spans, s="proof-0.01") == sampled_spans
        assert backend.wait_for(forwarded, CALLS, s="proof-1.0") == CALLS
    finally:
        sampled.stop()
        full.stop()
