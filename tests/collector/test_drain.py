"""The drain against a real ClickHouse engine (the session's chdb): the crash-replay window."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from otel_llm import semconv
from otel_llm.exporter import RetryPolicy
from otel_llm.store import connect
from otel_llm_collector import drain as drain_module
from otel_llm_collector.drain import Drain
from otel_llm_collector.metrics import Counters
from otel_llm_collector.signals import TRACES
from otel_llm_collector.spool import Spool
from tests.collector.conftest import wait_until
from tests.fixtures.store import Store


def llm_request(first: int, count: int) -> bytes:
    now = time.time_ns()
    attributes = [
        KeyValue(key=semconv.GEN_AI_OPERATION_NAME, value=AnyValue(string_value="chat")),
        KeyValue(key=semconv.GEN_AI_PROVIDER_NAME, value=AnyValue(string_value="openai")),
        KeyValue(key=semconv.GEN_AI_REQUEST_MODEL, value=AnyValue(string_value="gpt-4o-mini")),
        KeyValue(key=semconv.GEN_AI_USAGE_INPUT_TOKENS, value=AnyValue(int_value=100)),
        KeyValue(key=semconv.GEN_AI_USAGE_OUTPUT_TOKENS, value=AnyValue(int_value=20)),
    ]
    spans = [
        Span(
            trace_id=(first + i).to_bytes(16, "big"),
            span_id=(first + i).to_bytes(8, "big"),
            name="chat gpt-4o-mini",
            kind=Span.SPAN_KIND_CLIENT,
            start_time_unix_nano=now,
            end_time_unix_nano=now + 1_000_000,
            attributes=attributes,
        )
        for i in range(count)
    ]
    resource = Resource(attributes=[KeyValue(key="service.name", value=AnyValue(string_value="drain-test"))])
    request = ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(resource=resource, scope_spans=[ScopeSpans(spans=spans)])]
    )
    return request.SerializeToString()


def run_drain(spool: Spool, store_dsn: str, database: str, tmp_path: Path) -> Counters:
    counters = Counters()
    drain = Drain(
        TRACES,
        spool,
        lambda: connect(store_dsn),
        lambda _client: None,  # the store fixture already migrated the database
        database,
        counters,
        dead_letter_dir=tmp_path / "dead",
        max_records=2,
    )
    drain.start()
    deadline = time.monotonic() + 30
    while spool.pending_records and time.monotonic() < deadline:
        time.sleep(0.05)
    drain.stop(5)
    return counters


def test_batches_replayed_after_a_crash_before_commit_are_stored_once(
    tmp_path: Path, store: Store, store_dsn: str
) -> None:
    client, database = store
    spool_dir = tmp_path / "spool"
    spool = Spool(spool_dir, 1 << 20)
    for n in range(3):
        spool.append(llm_request(first=1 + 10 * n, count=4))
    spool.close()
    before_drain = tmp_path / "before"
    shutil.copytree(spool_dir, before_drain)

    counters = run_drain(Spool(spool_dir, 1 << 20), store_dsn, database, tmp_path)
    assert counters.get("spans_written") == 12

    # kill -9 after every insert and before any commit leaves the spool exactly as before the drain.
    shutil.rmtree(spool_dir)
    shutil.copytree(before_drain, spool_dir)
    replay = Spool(spool_dir, 1 << 20)
    assert replay.pending_records == 3
    run_drain(replay, store_dsn, database, tmp_path)

    assert replay.pending_records == 0
    assert client.command(f"SELECT count() FROM `{database}`.otel_traces") == 12
    assert client.command(f"SELECT uniqExact(SpanId) FROM `{database}`.otel_traces") == 12
    assert client.command(f"SELECT count() FROM `{database}`.llm_calls") == 12
    assert client.command(f"SELECT sum(InputTokens) FROM `{database}`.llm_calls") == 1200


def test_an_unreadable_spooled_request_is_set_aside_and_its_batch_still_written(
    tmp_path: Path, store: Store, store_dsn: str
) -> None:
    client, database = store
    spool = Spool(tmp_path / "spool", 1 << 20)
    spool.append(b"\x0a\x03not a valid request")  # valid length prefix, invalid content
    spool.append(llm_request(first=100, count=2))

    counters = run_drain(spool, store_dsn, database, tmp_path)

    assert client.command(f"SELECT count() FROM `{database}`.otel_traces") == 2
    assert [p.read_bytes() for p in (tmp_path / "dead").iterdir()] == [b"\x0a\x03not a valid request"]
    assert counters.get("spans_written") == 2


class _RefusingStore:
    """A store that refuses every insert for good, as one does a schema it cannot take."""

    def create_insert_context(self, *_args: Any, **_kwargs: Any) -> SimpleNamespace:
        return SimpleNamespace(column_types=None)

    def insert(self, *_args: Any, **_kwargs: Any) -> None:
        raise ValueError("refused for good")

    def close(self) -> None:
        pass


def test_a_refused_batch_stays_spooled_until_all_of_it_is_set_aside_and_is_counted_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second request's file cannot be written (a folder holds its name, which stops root too):
    the first one's file is already there, yet the batch must stay in the spool and nothing count
    as dropped, or every retry would count the first request again."""
    monkeypatch.setattr(drain_module, "_MAX_REFUSALS", 1)  # set aside at the first refusal
    monkeypatch.setattr(drain_module, "_BACKOFF", RetryPolicy(initial_backoff_s=0.01, max_backoff_s=0.05))
    spool = Spool(tmp_path / "spool", 1 << 20)
    requests = [llm_request(first=1, count=3), llm_request(first=10, count=4)]
    for request in requests:
        spool.append(request)
    dead = tmp_path / "dead"
    names = [f"{spool.spool_id}-1-2-{index}.pb" for index in range(2)]
    (dead / names[1]).mkdir(parents=True)
    counters = Counters()
    drain = Drain(
        TRACES, spool, _RefusingStore, lambda _client: None, "otel", counters, dead_letter_dir=dead, linger=0.0
    )
    drain.start()
    try:
        assert wait_until(lambda: counters.get("spool_errors") >= 3)
        assert spool.pending_records == 2
        assert counters.get("spans_dropped") == 0

        (dead / names[1]).rmdir()
        assert wait_until(lambda: spool.pending_records == 0)
    finally:
        drain.stop(5)
    assert counters.get("spans_dropped") == 7
    assert [(dead / name).read_bytes() for name in names] == requests
    assert sorted(path.name for path in dead.iterdir()) == names
