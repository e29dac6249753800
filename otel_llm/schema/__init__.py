"""The ClickHouse schema of otel-llm: versioned migrations, their cluster rendering, and prices.

``migrate(client)`` brings a database to the latest version (idempotent); ``render()`` returns
the same statements as text, for review or for a cluster (``render(cluster="c")``).
"""

from otel_llm.schema.migrations import DEFAULT_DATABASE, DEFAULT_TTL_DAYS, MIGRATIONS, migrate, render

__all__ = ["DEFAULT_DATABASE", "DEFAULT_TTL_DAYS", "MIGRATIONS", "migrate", "render"]
