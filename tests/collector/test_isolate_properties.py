"""The bisection's exactly-once argument, tried on many shapes (hypothesis): any batch size, any
requests refused, a crash after any insert, and a replay whose store refuses less (or nothing).
ClickHouse is modelled by what matters here: a block whose dedup token it has seen is dropped."""

from __future__ import annotations

import contextlib
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from otel_llm_collector.isolate import Range, RefusedRanges, range_token, store_isolating

_BATCH = "spool-1-40"


class _Crash(BaseException):
    """kill -9: nothing catches it."""


class _Store:
    """Blocks by dedup token; a block holding a refused request is refused whole."""

    def __init__(self) -> None:
        self.blocks: dict[str, Range] = {}
        self.refusing: frozenset[int] = frozenset()
        self.crash_at: int | None = None
        self.inserts = 0

    def insert(self, requests: Range, count: int) -> None:
        self.inserts += 1
        if self.inserts == self.crash_at:
            raise _Crash
        if self.refusing & set(range(*requests)):
            raise ValueError("VIOLATED_CONSTRAINT")  # permanent: is_retryable says no
        self.blocks.setdefault(range_token(_BATCH, requests, count), requests)  # a seen token is dropped

    def copies(self) -> Counter[int]:
        return Counter(index for first, end in self.blocks.values() for index in range(first, end))


@settings(max_examples=300, deadline=None)
@given(
    count=st.integers(1, 40),
    data=st.data(),
)
def test_every_request_is_stored_once_or_set_aside_whatever_the_crash_and_the_replay(
    count: int, data: st.DataObject
) -> None:
    refused_first = frozenset(data.draw(st.sets(st.integers(0, count - 1), max_size=4), label="refused"))
    refused_replay = frozenset(
        data.draw(st.sets(st.sampled_from(sorted(refused_first))), label="still refused")
        if refused_first
        else frozenset()
    )
    crash_at = data.draw(st.integers(1, 2 * count + 2), label="crash at insert")
    store = _Store()
    with tempfile.TemporaryDirectory() as tmp:
        record = Path(tmp) / "refused-blocks.json"
        store.refusing, store.crash_at = refused_first, crash_at
        with contextlib.suppress(_Crash):
            store_isolating(lambda r: store.insert(r, count), count, RefusedRanges(record, _BATCH), set())
        store.refusing, store.crash_at = refused_replay, None  # a new process; the store may have changed
        alone = store_isolating(lambda r: store.insert(r, count), count, RefusedRanges(record, _BATCH), set())

    copies = store.copies()
    assert set(alone) == refused_replay  # only what is still refused on its own is set aside
    for index in range(count):
        assert copies[index] == (0 if index in refused_replay else 1), (index, store.blocks)


@settings(max_examples=100, deadline=None)
@given(count=st.integers(1, 64))
def test_without_refusals_the_batch_is_one_block_under_the_batch_token(count: int) -> None:
    store = _Store()
    with tempfile.TemporaryDirectory() as tmp:
        alone = store_isolating(
            lambda r: store.insert(r, count), count, RefusedRanges(Path(tmp) / "r.json", _BATCH), set()
        )
        assert not (Path(tmp) / "r.json").exists()  # nothing written on the common path
    assert alone == [] and store.blocks == {_BATCH: (0, count)} and store.inserts == 1
