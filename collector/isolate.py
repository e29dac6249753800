"""Finding the request ClickHouse refuses in a batch, so the others of the batch are stored.

A spool batch is one insert of up to a few hundred requests from any number of senders. When
ClickHouse refuses it for its content (not for being away), the batch is bisected by request: each
half is inserted as a block of its own, a refused half is bisected again, down to single requests,
and only a request refused on its own is set aside. Every other request is stored exactly once.

Exactly once across a crash rests on two rules. A block's dedup token is a pure function of the
batch and the request range it holds (``<batch token>-r<first>-<end>``; the whole batch keeps the
batch's own token), so a replay that inserts the same range again is dropped by ClickHouse. And a
range is written to ``refused-blocks.json`` (durably) before any part of it is tried: a replay then
never inserts a range whose parts may already be stored under their own tokens, even if the
store would now take the whole (a refusal that does not repeat, a constraint since dropped).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

from otel_llm.exporter.table import is_retryable
from otel_llm_collector.spool_log import write_durably

__all__ = ["REFUSED_BLOCKS_FILE", "Range", "RefusedRanges", "range_token", "store_isolating"]

_log = logging.getLogger(__name__)

# Beside the spool's own files (which it never reads as segments) and the dead-letter folder.
REFUSED_BLOCKS_FILE = "refused-blocks.json"

Range = tuple[int, int]  # requests [first, end) of a batch


def range_token(batch_token: str, requests: Range, count: int) -> str:
    """The dedup token of the block holding ``requests`` of a batch of ``count`` requests."""
    if requests == (0, count):
        return batch_token
    return f"{batch_token}-r{requests[0]}-{requests[1]}"


class RefusedRanges:
    """The request ranges of one batch the store refused, on disk before any part of one is tried.

    The file holds one batch's record; a record for another batch (left by a crash after its
    commit) is stale and ignored, since tokens name spool records and are never reused.
    """

    def __init__(self, path: Path, batch_token: str) -> None:
        self._path = path
        self._token = batch_token
        self._ranges: set[Range] = set()
        try:
            record = json.loads(path.read_text())
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:  # an unreadable record is what a crash mid-write cannot leave
            raise OSError(f"cannot read {path}: {exc}") from exc
        if record.get("batch") == batch_token:
            self._ranges = {(int(first), int(end)) for first, end in record["refused"]}

    def __contains__(self, requests: Range) -> bool:
        return requests in self._ranges

    def add(self, requests: Range) -> None:
        ranges = self._ranges | {requests}
        record = {"batch": self._token, "refused": sorted(ranges)}
        write_durably(self._path, json.dumps(record).encode())
        self._ranges = ranges

    def clear(self) -> None:
        """After the batch's commit: nothing of it will be inserted again."""
        if self._ranges:
            self._path.unlink(missing_ok=True)
            self._ranges = set()


def store_isolating(
    insert: Callable[[Range], None],
    count: int,
    refused: RefusedRanges,
    stored: set[Range],
) -> list[int]:
    """Stores requests ``[0, count)``; returns those refused on their own (ascending).

    ``insert`` writes one range as one block under its ``range_token``. ``stored`` holds the ranges
    this process already stored for the batch (skipped on a retry; after a restart the tokens make
    a repeat harmless) and is extended here. An error ClickHouse may get over (``is_retryable``)
    propagates: the caller keeps the batch and retries it later, down the same tree.
    """
    alone: list[int] = []
    todo: list[Range] = [(0, count)]
    while todo:
        requests = todo.pop()
        first, end = requests
        if requests in stored:
            continue
        if requests not in refused:
            try:
                insert(requests)
            except Exception as exc:  # the store's refusal, or a bug of ours: bisected, never the end
                if is_retryable(exc):
                    raise
                _log.warning("ClickHouse refused requests %d..%d of a batch: %r", first, end - 1, exc)
                if end - first == 1:  # a single request has no parts: tried again whole, never recorded
                    alone.append(first)
                    continue
                refused.add(requests)
            else:
                stored.add(requests)
                continue
        middle = (first + end) // 2
        todo += [(middle, end), (first, middle)]  # the first half next: blocks go in in spool order
    return sorted(alone)
