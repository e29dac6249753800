"""The models a store's calls used in a time window, with how their calls were priced.

``otel-llm prices doctor`` reads this to find price gaps: models with unpriced calls, and models
priced from history or from another host. One row per (provider, model) as ``llm_calls`` names
them (the response model, else the request model).
"""

from __future__ import annotations

import datetime as dt

from otel_llm.query.counted import calls_source, has_foreign_rows
from otel_llm.query.sources import QuerySource, Result

__all__ = ["models_seen"]

# Calls weighted by AdjustedCount and superseded rows left out, as every read counts them.
_SQL = """
SELECT Provider AS provider, Model AS model, toUInt64(round(sum(AdjustedCount))) AS calls,
       toUInt64(round(sumIf(AdjustedCount, PriceKnown = 0))) AS unpriced_calls,
       toUInt64(round(sumIf(AdjustedCount, PricingSource = 'history'))) AS history_calls,
       toUInt64(round(sumIf(AdjustedCount, PricingSource = 'other_host'))) AS other_host_calls
FROM {calls}
WHERE Timestamp >= {{since:DateTime('UTC')}} AND Timestamp < {{until:DateTime('UTC')}}
GROUP BY provider, model
ORDER BY calls DESC, provider, model
"""


def models_seen(source: QuerySource, database: str, since: dt.datetime, until: dt.datetime) -> Result:
    """(provider, model, calls, unpriced_calls, history_calls, other_host_calls) per model."""
    params: dict[str, object] = {"since": since, "until": until}
    sql = _SQL.format(calls=calls_source(database, has_foreign_rows(source, database, params)))
    return source.query(sql, params, readonly=True)
