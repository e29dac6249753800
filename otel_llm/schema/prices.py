"""Load a price book into ``llm_prices`` as a revision, so SQL can price calls.

Prices live in ClickHouse so that "cost at today's prices" is a query: the dictionary over the
latest revision moves when prices change, while each ``llm_calls`` row keeps the cost (and the
revision) it was priced with. Old revisions stay in the table, so a past snapshot can always be
explained.

The dictionary holds the standard-tier base rates only. A price the book does not list falls
back the way the book's own cost code does: cache reads and 5-minute cache writes at the input
price, 1-hour cache writes at the 5-minute write price. Long-context tiers, batch and priority
prices are not in SQL: spans priced by otel-llm carry their exact cost, which wins over the
dictionary.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from otel_llm.schema.migrations import DEFAULT_DATABASE, check_database
from otel_llm.schema.objects import quote_identifier

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

    from otel_llm.pricing.model import ModelPrice

__all__ = ["PRICE_COLUMNS", "sync_prices"]

_log = logging.getLogger(__name__)

PRICE_COLUMNS = (
    "Provider",
    "Model",
    "Mode",
    "EffectiveFrom",
    "InputPrice",
    "OutputPrice",
    "CacheReadPrice",
    "CacheWritePrice",
    "CacheWrite1hPrice",
)
_ZERO = Decimal(0)


class PriceSource(Protocol):
    """What ``sync_prices`` needs of a price book (``otel_llm.pricing.PriceBook`` is one)."""

    version: str

    def entries(self) -> Iterable[ModelPrice]: ...


def sync_prices(
    client: Client, database: str = DEFAULT_DATABASE, book: PriceSource | None = None, *, once: bool = False
) -> str:
    """Store ``book`` (default: the bundled book plus the user's overrides) as the latest revision.

    Returns the revision name, ``<book version>:<content hash>``. Syncing the revision that is
    already the latest inserts nothing; either way the dictionary is reloaded, so the prices a
    caller just synced are the ones the next insert is priced with.

    ``once``: insert only a revision the table has never held. Start-up paths (the exporter, the
    collector on every reconnect) pass it, so prices someone chose with ``otel-llm prices import``
    stay the latest until a release bundles a book the store has not seen; explicit syncs do not.
    """
    check_database(database)
    if book is None:
        from otel_llm.pricing import default_price_book

        book = default_price_book()
    rows = list(_rows(book.entries()))
    revision = f"{book.version}:{_digest(rows)}"
    table = f"{quote_identifier(database)}.llm_prices"
    if once:
        held = client.command(f"SELECT count() FROM {table} WHERE Revision = {{r:String}}", parameters={"r": revision})
        stale = int(held) == 0
    else:
        stale = client.command(f"SELECT argMax(Revision, SyncedAt) FROM {table}") != revision
    if stale:
        synced_at = datetime.now(timezone.utc).replace(tzinfo=None)
        client.insert(
            table,
            [[*row, revision, synced_at] for row in rows],
            column_names=[*PRICE_COLUMNS, "Revision", "SyncedAt"],
        )
        _log.info("Synced %d prices to %s as revision %s", len(rows), database, revision)
    client.command(f"SYSTEM RELOAD DICTIONARY {quote_identifier(database)}.llm_prices_dict")
    return revision


def _rows(entries: Iterable[ModelPrice]) -> Iterator[tuple[object, ...]]:
    for price in entries:
        if price.input is None and price.output is None:
            continue  # nothing SQL could price with; the call stays unpriced, never $0
        base = price.input if price.input is not None else _ZERO
        cache_write = price.cache_write if price.cache_write is not None else base
        yield (
            price.provider,
            price.model.lower(),
            price.mode,
            price.effective_from,
            base,
            price.output if price.output is not None else _ZERO,
            price.cache_read if price.cache_read is not None else base,
            cache_write,
            price.cache_write_1h if price.cache_write_1h is not None else cache_write,
        )


def _digest(rows: list[tuple[object, ...]]) -> str:
    """Same prices, same revision: re-syncing an unchanged book is recognised and skipped."""
    h = hashlib.sha256()
    for row in rows:
        h.update(repr(row).encode())
    return h.hexdigest()[:12]
