"""The models a store's calls used in a time window, with how their calls were priced.

``otel-llm prices doctor`` reads this to find price gaps: models with unpriced calls, and models
priced from history or from another host. One row per (provider, model) as ``llm_calls`` names
them (the response model, else the request model).
"""

from __future__ import annotations

import datetime as dt

from otel_llm.query.sources import QuerySource, Result, check_identifier

__all__ = ["models_seen"]

_SQL = """
SELECT Provider AS provider, Model AS model, count() AS calls,
       countIf(PriceKnown = 0) AS unpriced_calls,
       countIf(PricingSource = 'history') AS history_calls,
       countIf(PricingSource = 'other_host') AS other_host_calls
FROM {db}.llm_calls
WHERE Timestamp >= {{since:DateTime('UTC')}} AND Timestamp < {{until:DateTime('UTC')}}
GROUP BY provider, model
ORDER BY calls DESC, provider, model
"""


def models_seen(source: QuerySource, database: str, since: dt.datetime, until: dt.datetime) -> Result:
    """(provider, model, calls, unpriced_calls, history_calls, other_host_calls) per model."""
    sql = _SQL.format(db=f"`{check_identifier(database)}`")
    return source.query(sql, {"since": since, "until": until}, readonly=True)
