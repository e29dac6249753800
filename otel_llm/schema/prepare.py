"""Make a store ready to receive spans: the schema at its latest version AND prices loaded.

Spans from other instrumentations carry no cost of their own; ``llm_calls`` prices them from the
``llm_prices`` dictionary. A store that was migrated but never synced would leave those calls
unpriced until someone remembered ``otel-llm prices sync``, so every path that creates a store
(create-schema-on-start, the collector, ``otel-llm migrate``, the demo) goes through here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from otel_llm.schema.migrations import DEFAULT_DATABASE, migrate
from otel_llm.schema.prices import sync_prices

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

__all__ = ["prepare"]


def prepare(
    client: Client,
    database: str = DEFAULT_DATABASE,
    *,
    ttl_days: Mapping[str, int] | None = None,
    source_credentials: tuple[str, str] | None = None,
) -> list[int]:
    """Apply pending migrations, then load the price book unless the store has held its revision
    (a newer revision someone synced or imported on purpose stays the latest)."""
    applied = migrate(client, database, ttl_days=ttl_days, source_credentials=source_credentials)
    sync_prices(client, database, once=True)
    return applied
