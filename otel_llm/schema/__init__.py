"""The ClickHouse schema of otel-llm: versioned migrations, their cluster rendering, and prices.

``migrate(client)`` brings a database to the latest version (idempotent); ``render()`` returns
the same statements as text, for review or for a cluster (``render(cluster="c")``);
``sync_prices(client)`` loads the price book as a new revision for the views to price with;
``prepare(client)`` does both, and is what every path that creates a store calls.
"""

from otel_llm.schema.migrations import (
    DEFAULT_DATABASE,
    DEFAULT_TTL_DAYS,
    MIGRATIONS,
    migrate,
    render,
    render_script,
)
from otel_llm.schema.prepare import prepare
from otel_llm.schema.prices import sync_prices

__all__ = [
    "DEFAULT_DATABASE",
    "DEFAULT_TTL_DAYS",
    "MIGRATIONS",
    "migrate",
    "prepare",
    "render",
    "render_script",
    "sync_prices",
]
