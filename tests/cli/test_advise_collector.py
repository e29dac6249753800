"""``otel-llm advise --collector URL``: the same findings through a running collector's read-only SQL.

The store is filled by a subprocess with spans as our instrumentation writes them (request shape
included, at chosen times, so repeats are minutes apart), then the collector owns it and every
read of advise goes through its SQL endpoint.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import pytest

from otel_llm import semconv
from otel_llm.cli import main
from tests.cli.test_collector_path import TOKEN, filled_collector

FILL = """
import datetime as dt, sys
from otel_llm import semconv as sc
from otel_llm.schema import migrate
from otel_llm.store import connect
from tests.fixtures.store import insert_spans, span_row
client = connect(sys.argv[1])
migrate(client, "otel")
shape = {sc.GEN_AI_OPERATION_NAME: "chat", sc.GEN_AI_PROVIDER_NAME: "openai", sc.GEN_AI_REQUEST_MODEL: "gpt-4o",
         sc.GEN_AI_USAGE_INPUT_TOKENS: "1000", sc.GEN_AI_USAGE_OUTPUT_TOKENS: "100", sc.OTEL_LLM_COST_USD: "0.0125",
         sc.OTEL_LLM_FEATURE: "faq", sc.USER_ID: "u1", sc.OTEL_LLM_REQUEST_FINGERPRINT: "f" * 32,
         sc.OTEL_LLM_REQUEST_MAX_TOKENS_SET: "true"}
start = dt.datetime(2026, 11, 20, 10)
insert_spans(client, "otel", [span_row(shape, at=start + dt.timedelta(minutes=m)) for m in (0, 5, 10)])
client.close()
"""


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    for url, _ in filled_collector(tmp_path_factory.mktemp("advise-collector"), FILL):
        yield url


def test_advise_through_the_collector(
    collector: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(semconv.ENV_COLLECTOR_AUTH_TOKEN, TOKEN)
    code = main(["advise", "--collector", collector, "--since", "2026-11-01", "--until", "2026-12-01",
                 "--format", "json", "--min-savings", "0"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    report = json.loads(out)
    [finding] = report["findings"]
    # Three identical requests five minutes apart: two repeats at $0.0125 each, over exactly 30 days.
    assert finding["kind"] == "repeated_requests" and finding["evidence"]["repeats"] == 2
    assert Decimal(finding["saving_usd_per_month"]) == Decimal("0.025")
    assert Decimal(report["spend_usd_per_month"]) == Decimal("0.0375")
    assert report["share_of_spend"] == pytest.approx(2 / 3)
