"""One request's spans through two paths: the in-process exporter and the collector's drain.

The official openai-v2 span (recorded, tests/fixtures/foreign_spans) reaches the store as OTLP
through the collector's spool and drain, otel-llm's span of the same request through the
in-process exporter: the reads still count one call, ours. A foreign span sampled elsewhere keeps
its tracestate through OTLP and the drain, so its row is adjusted.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

from otel_llm.query import ClickHouseSource, usage_by
from otel_llm_collector.spool import Spool
from tests.collector.test_drain import run_drain
from tests.fixtures import foreign_spans
from tests.fixtures.store import Store
from tests.integration.store.test_schema_adjusted import _foreign
from tests.integration.store.test_schema_counted import export

AT = (datetime.now(timezone.utc) - timedelta(hours=1)).replace(minute=40, second=0, microsecond=0, tzinfo=None)
SINCE, UNTIL = AT - timedelta(hours=2), AT + timedelta(hours=2)


def test_a_request_half_through_the_collector_is_one_call(tmp_path: Path, store: Store, store_dsn: str) -> None:
    spans = foreign_spans.spans("openai_v2_child_of_ours", at=AT)
    ours = [s for s in spans if s.instrumentation_scope.name.startswith(foreign_spans.OURS_PREFIX)]
    theirs = [s for s in spans if s not in ours]
    sampled = foreign_spans.build([_foreign("ot=th:c")], at=AT + timedelta(minutes=5))  # 1 in 4
    spool = Spool(tmp_path / "spool", 1 << 20)
    spool.append(encode_spans(theirs + sampled).SerializeToString())

    assert run_drain(spool, store_dsn, store.database, tmp_path).get("spans_written") == 2
    export(store, store_dsn, [ours], create_schema=False)

    client, database = store
    assert client.command(f"SELECT count() FROM `{database}`.llm_calls") == 3
    assert client.query(f"SELECT AdjustedCount, Estimated FROM `{database}`.llm_calls WHERE AdjustedCount != 1"
                        ).result_rows == [(4.0, 1)]
    report = usage_by(ClickHouseSource(client), database, (), SINCE, UNTIL, metrics=("calls", "input_tokens"))
    assert report.rows == [(1 + 4, 1200 * 5)]
