"""Refreshing a budget's counters from the ClickHouse rollups, so several processes converge.

Day windows read ``llm_usage_daily_user`` (one row per user, feature and model per day); hour
windows read ``llm_calls`` for the current hour, because no rollup keeps users by hour. Rows are
grouped by user and feature and charged to each limit's counters with the same selection
(``Limit.key_for``) as live calls, so tiers and filters mean the same thing in both places.
Day buckets are the store's calendar days: run the store in UTC, as the budget's windows are.

Staleness: the store knows a call once its exporter flushed it (about a second with the
ClickHouse exporter's defaults; longer through a collector's spool), so another process's
spending is seen up to that delay plus the refresh interval late. This process's own calls are
never counted twice (see the ledger).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from otel_llm.budget._budget import Budget
from otel_llm.budget._ledger import Amount
from otel_llm.budget._limits import CallInfo, Limit

if TYPE_CHECKING:
    from otel_llm.query import QuerySource

__all__ = ["refresh_from_store"]


def _spend_by_user_and_feature(
    source: QuerySource, database: str, limit: Limit, start: datetime, end: datetime,
) -> list[tuple[Any, ...]]:
    """(user, feature, tokens, priced cost) rows of the limit's window."""
    from otel_llm.query.reads import calls_by, usage_by

    read = usage_by if limit.window == "day" else calls_by
    return read(source, database, ("user", "feature"), start, end, metrics=("tokens", "priced_cost_usd")).rows


def refresh_from_store(budget: Budget, source: QuerySource, database: str = "otel") -> None:
    """Set every limit's store totals for its current window; call it every few seconds or minutes,
    e.g. from a timer thread, with ``otel_llm.query.ClickHouseSource(client)``."""
    from otel_llm.query import check_identifier

    check_identifier(database)
    now = budget.clock()
    for limit in budget.limits:
        start = limit.window_start(now)
        since = datetime.fromtimestamp(start, timezone.utc).replace(tzinfo=None)
        until = since + timedelta(seconds=3600 if limit.window == "hour" else 86400)
        totals: dict[str, Amount] = defaultdict(Amount)
        for user, feature, tokens, cost in _spend_by_user_and_feature(source, database, limit, since, until):
            call = CallInfo.of(user or None, feature or None, budget.tiers)
            key = limit.key_for(call)
            if key is not None:
                totals[key] = totals[key] + Amount(int(tokens), Decimal(str(cost)))
        budget.set_store_totals(limit, totals, at=now)
