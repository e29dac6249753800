"""A batch ClickHouse refuses: bisected so only the culprit request is set aside, every other
request stored exactly once, a crash in the middle of the split included (real chdb, a real
CHECK constraint doing the refusing)."""

from __future__ import annotations

import functools
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otel_llm.exporter import RetryPolicy
from otel_llm.store import connect
from otel_llm_collector.drain import DEAD_LETTER_DIR, Drain
from otel_llm_collector.isolate import REFUSED_BLOCKS_FILE
from otel_llm_collector.metrics import Counters
from otel_llm_collector.signals import TRACES
from otel_llm_collector.spool import Spool
from tests.collector.conftest import wait_until
from tests.collector.test_drain import llm_request
from tests.fixtures.store import Store

_REQUESTS = 7
_CULPRIT = 3
_SPANS = 2  # per request
_FAST = RetryPolicy(initial_backoff_s=0.01, max_backoff_s=0.05)


@functools.cache
def _poisoned(index: int) -> bytes:
    """Request ``index`` (its own trace and span ids); the culprit's spans are named 'poison'."""
    body = llm_request(first=1 + 100 * index, count=_SPANS)
    if index != _CULPRIT:
        return body
    request = ExportTraceServiceRequest.FromString(body)
    for span in request.resource_spans[0].scope_spans[0].spans:
        span.name = "poison"
    return request.SerializeToString()


def _refuse_poison(store: Store) -> None:
    client, database = store
    client.command(f"ALTER TABLE `{database}`.otel_traces ADD CONSTRAINT no_poison CHECK SpanName != 'poison'")


class _Crash(BaseException):
    """kill -9 at an insert: not an Exception, so nothing in the drain catches it or commits."""


class _CrashingClient:
    """The real client, except that its ``crash_at``-th insert never happens: the process 'dies'."""

    def __init__(self, client: Any, crash_at: int) -> None:
        self._client = client
        self._crash_at = crash_at
        self.inserts = 0

    def insert(self, *args: Any, **kwargs: Any) -> Any:
        self.inserts += 1
        if self.inserts == self._crash_at:
            raise _Crash
        return self._client.insert(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def _drain(spool: Spool, connect_: Any, database: str, spool_dir: Path, counters: Counters) -> Drain:
    return Drain(
        TRACES,
        spool,
        connect_,
        lambda _client: None,  # the store fixture migrated the database
        database,
        counters,
        dead_letter_dir=spool_dir / DEAD_LETTER_DIR,
        max_records=_REQUESTS,
        linger=0.0,
    )


def _drain_all(spool: Spool, store_dsn: str, database: str, spool_dir: Path) -> Counters:
    counters = Counters()
    drain = _drain(spool, lambda: connect(store_dsn), database, spool_dir, counters)
    drain.start()
    try:
        assert wait_until(lambda: spool.pending_records == 0, timeout=60)
    finally:
        assert drain.stop(5)
    return counters


def _spool_with_requests(spool_dir: Path) -> Spool:
    spool = Spool(spool_dir, 1 << 20)
    for index in range(_REQUESTS):
        spool.append(_poisoned(index))
    return spool


def _stored(store: Store) -> tuple[int, int, int]:
    client, database = store
    return (
        client.command(f"SELECT count() FROM `{database}`.otel_traces"),
        client.command(f"SELECT uniqExact(SpanId) FROM `{database}`.otel_traces"),
        client.command(f"SELECT count() FROM `{database}`.llm_calls"),
    )


def test_only_the_refused_request_is_set_aside_and_every_other_is_stored_once(
    tmp_path: Path, store: Store, store_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: after 5 tries the whole batch (every sender's requests) went to dead-letter."""
    monkeypatch.setattr("otel_llm_collector.drain._BACKOFF", _FAST)
    _refuse_poison(store)
    spool_dir = tmp_path / "spool"
    counters = _drain_all(_spool_with_requests(spool_dir), store_dsn, store.database, spool_dir)

    innocent = (_REQUESTS - 1) * _SPANS
    assert _stored(store) == (innocent, innocent, innocent)
    dead = sorted((spool_dir / DEAD_LETTER_DIR).iterdir())
    assert [path.read_bytes() for path in dead] == [_poisoned(_CULPRIT)]
    assert dead[0].name.endswith(f"-{_CULPRIT}.pb")
    assert counters.get("spans_written") == innocent
    assert counters.get("spans_dropped") == _SPANS
    assert counters.get("batches_split") == 1
    assert not (spool_dir / REFUSED_BLOCKS_FILE).exists()  # removed with the batch's commit


# The order of inserts for 7 requests with request 3 refused: whole (refused), 0-2 (stored),
# 3-6 (refused), 3-4 (refused), 3 (refused alone), 4 (stored), 5-6 (stored).
@pytest.mark.parametrize("crash_at", [2, 3, 6], ids=["before-any-part", "after-first-half", "deep-in-the-split"])
@pytest.mark.parametrize("refused_again", [True, False], ids=["still-refused", "store-now-takes-it"])
def test_a_crash_in_the_middle_of_a_split_stores_nothing_twice(
    tmp_path: Path,
    store: Store,
    store_dsn: str,
    monkeypatch: pytest.MonkeyPatch,
    crash_at: int,
    refused_again: bool,
) -> None:
    """The replay must follow the recorded refusals: inserting the whole batch again (as the store
    would now take it) would store the parts already in under their own tokens a second time."""
    monkeypatch.setattr("otel_llm_collector.drain._BACKOFF", _FAST)
    monkeypatch.setattr("otel_llm_collector.drain._MAX_REFUSALS", 1)
    monkeypatch.setattr(threading, "excepthook", lambda _args: None)  # the "kill -9" ends the thread
    _refuse_poison(store)
    spool_dir = tmp_path / "spool"
    spool = _spool_with_requests(spool_dir)
    crashing = _CrashingClient(connect(store_dsn), crash_at)
    drain = _drain(spool, lambda: crashing, store.database, spool_dir, Counters())
    drain.start()
    assert wait_until(lambda: not drain._thread.is_alive(), timeout=60)  # died of the "kill -9"
    assert crashing.inserts == crash_at and spool.pending_records == _REQUESTS
    refused = json.loads((spool_dir / REFUSED_BLOCKS_FILE).read_text())["refused"]
    assert [0, _REQUESTS] in refused
    spool.close()

    if not refused_again:
        client, database = store
        client.command(f"ALTER TABLE `{database}`.otel_traces DROP CONSTRAINT no_poison")
    replay = Spool(spool_dir, 1 << 20)
    counters = _drain_all(replay, store_dsn, store.database, spool_dir)

    stored = _REQUESTS * _SPANS - (_SPANS if refused_again else 0)
    assert _stored(store) == (stored, stored, stored)
    dead = spool_dir / DEAD_LETTER_DIR
    assert len(list(dead.iterdir()) if dead.exists() else []) == (1 if refused_again else 0)
    assert counters.get("spans_dropped") == (_SPANS if refused_again else 0)


def test_a_stale_refusal_record_of_another_batch_is_ignored(tmp_path: Path, store: Store, store_dsn: str) -> None:
    """A crash after a commit and before the record's removal leaves it behind: the next batch
    (another token) must be inserted whole, as usual."""
    spool_dir = tmp_path / "spool"
    spool = Spool(spool_dir, 1 << 20)
    for index in (0, 1):
        spool.append(_poisoned(index))
    (spool_dir / REFUSED_BLOCKS_FILE).write_text(json.dumps({"batch": "old-1-2", "refused": [[0, 2]]}))
    counters = _drain_all(spool, store_dsn, store.database, spool_dir)
    assert _stored(store)[0] == 2 * _SPANS
    assert counters.get("batches_split") == 0
