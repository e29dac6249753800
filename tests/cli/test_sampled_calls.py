"""The suite's sampled mode itself (``tests.fixtures.sampling``): a call the app's sampler drops is
stored from its usage record, and the report cannot tell the difference.

``make test-sampled`` reruns the totals tests with the sampler at 1%; this test holds the seam it
relies on to its word in every run: the same calls written with every span kept and with every
span dropped (``always_off``) give the same ``otel-llm report``, while ``llm_calls.Sampled``
shows they came the two ways.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from otel_llm.cli import main
from otel_llm.schema import migrate
from tests.cli.conftest import Call, as_json, insert_calls
from tests.fixtures.sampling import SAMPLER_ENV

AT = dt.datetime(2026, 11, 20, 10)
CALLS = [
    Call(AT, "chat", cost="0.125", cache_read=40, user="u1", session="s1"),
    Call(AT, "search", cost="0.5", cache_write=300, user="u2"),
    Call(AT, "search", cost="0.25", error=True),
    Call(AT, "chat", model="not-a-real-model", cost=None),
]
TOTALS = (
    "SELECT count(), sum(InputTokens), sum(CacheReadTokens), sum(CacheWriteTokens), toString(sum(CostUSD)),"
    " countIf(StatusCode = 'Error'), countIf(NOT PriceKnown) FROM `{db}`.llm_calls"
)


@pytest.fixture
def dropped_database(store_client: Any) -> Iterator[str]:
    database = f"test_dropped_{uuid.uuid4().hex[:8]}"
    migrate(store_client, database)
    yield database
    store_client.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")


def _report(dsn: str, database: str, by: str, capsys: pytest.CaptureFixture[str]) -> Any:
    capsys.readouterr()
    window = ["--since", "2026-11-20", "--until", "2026-11-21"]
    code = main(["report", "--by", by, *window, "--format", "json", "--endpoint", dsn, "--database", database])
    out, err = capsys.readouterr()
    assert code == 0, err
    return as_json(out)


def test_calls_whose_span_is_dropped_report_as_calls_whose_span_is_kept(
    store: Any,
    store_dsn: str,
    dropped_database: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client, kept = store
    monkeypatch.setenv(SAMPLER_ENV, "always_on")
    insert_calls(client, kept, CALLS)
    monkeypatch.setenv(SAMPLER_ENV, "always_off")
    insert_calls(client, dropped_database, CALLS)

    def count(database: str, table: str) -> int:
        return client.command(f"SELECT count() FROM `{database}`.{table}")

    assert (count(kept, "otel_traces"), count(kept, "otel_logs")) == (len(CALLS), 0)
    assert (count(dropped_database, "otel_traces"), count(dropped_database, "otel_logs")) == (0, len(CALLS))
    assert client.command(f"SELECT sum(Sampled) FROM `{dropped_database}`.llm_calls") == 0
    want = client.query(TOTALS.format(db=kept)).result_rows[0]
    assert client.query(TOTALS.format(db=dropped_database)).result_rows[0] == want
    assert want[0] == len(CALLS) and want[3] == 300 and want[5] == 1 and want[6] == 1
    for by in ("feature", "user", "model"):
        assert _report(store_dsn, dropped_database, by, capsys) == _report(store_dsn, kept, by, capsys), by
