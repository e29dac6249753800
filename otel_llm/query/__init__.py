"""The one query layer: where SQL goes (the store itself, or a running collector's read-only SQL
endpoint) and the reads over ``llm_calls`` and the rollups.

The CLI, alerts, budgets, the dashboard and the provisioned Grafana dashboard (rendered from these
reads by ``grafana``) all read through here, so this package imports nothing above it (no CLI, no
collector).
"""

from otel_llm.query.reads import (
    GROUPS,
    REPORT_METRICS,
    Group,
    calls_by,
    context_by_turn,
    costliest_calls,
    top_call_types,
    traced_spend,
    usage_by,
    usage_series,
)
from otel_llm.query.sources import (
    ClickHouseSource,
    CollectorSource,
    QueryError,
    QuerySource,
    Result,
    check_identifier,
    connect_store,
)

__all__ = [
    "GROUPS", "REPORT_METRICS", "ClickHouseSource", "CollectorSource", "Group", "QueryError", "QuerySource", "Result",
    "calls_by", "check_identifier", "connect_store", "context_by_turn", "costliest_calls", "top_call_types",
    "traced_spend", "usage_by", "usage_series",
]
