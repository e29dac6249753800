"""Where a team can save, found in its own traffic and priced: what ``otel-llm advise`` prints.

``advise(source, database, since, until)`` reads request shapes from ``llm_calls`` (fingerprints,
prefix sizes, flags; never content, see ``otel_llm.instrumentation._fingerprint``) through
``otel_llm.query.advise`` and returns an :class:`Advice`: every :class:`Finding` with its
evidence, its formula and its saving per month at the price book's prices, sorted by saving,
the total ("up to $X/month, Y% of spend") and the unpriced models, whose calls no finding can
price. The findings and their formulas are in :mod:`otel_llm.advise.findings`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from otel_llm.advise.findings import (
    Finding,
    Thresholds,
    batchable,
    cheaper_model_calls,
    context_growth,
    expiring_caches,
    failed_calls,
    repeated_prefixes,
    repeated_requests,
    retries,
    uncapped_output,
)
from otel_llm.pricing import PriceBook, default_price_book
from otel_llm.query import QuerySource
from otel_llm.query import advise as reads

__all__ = ["Advice", "Finding", "Thresholds", "advise"]

_MONTH = dt.timedelta(days=30)


@dataclass(frozen=True)
class Advice:
    since: dt.datetime
    until: dt.datetime
    spend_usd: Decimal  # priced spend of the window, scaled to a month
    calls: int
    unpriced_calls: int
    findings: list[Finding]
    unpriced_models: list[dict[str, Any]]

    @property
    def total_usd(self) -> Decimal:
        """The findings' sum: an upper bound, since findings may overlap."""
        return sum((f.saving_usd for f in self.findings), Decimal(0))

    @property
    def share(self) -> Decimal | None:
        """The total as a share of spend (0-1); None without priced spend."""
        return self.total_usd / self.spend_usd if self.spend_usd > 0 else None

    def to_dict(self) -> dict[str, Any]:
        """The JSON interface: money as strings (exact decimals), times as ISO UTC."""
        share = self.share
        return {
            "since": self.since.isoformat() + "Z", "until": self.until.isoformat() + "Z",
            "total_usd_per_month": str(self.total_usd), "spend_usd_per_month": str(self.spend_usd),
            "share_of_spend": None if share is None else float(share),
            "calls": self.calls, "unpriced_calls": self.unpriced_calls, "unpriced_models": self.unpriced_models,
            "findings": [_finding_dict(f) for f in self.findings],
        }


def _finding_dict(finding: Finding) -> dict[str, Any]:
    record = asdict(finding)
    saving = record.pop("saving_usd")
    return {**record, "saving_usd_per_month": str(saving)}


def month_scale(since: dt.datetime, until: dt.datetime) -> Decimal:
    """What turns a saving found in [since, until) into one per month (30 days)."""
    seconds = (until - since).total_seconds()
    if seconds <= 0:
        raise ValueError("the window is empty: --since must be before --until")
    return Decimal(int(_MONTH.total_seconds())) / Decimal(str(seconds))


def advise(
    source: QuerySource, database: str, since: dt.datetime, until: dt.datetime, *,
    book: PriceBook | None = None, thresholds: Thresholds | None = None, min_savings_usd: Decimal = Decimal(0),
) -> Advice:
    """Every finding in the window worth at least ``min_savings_usd`` a month, largest first."""
    book = book or default_price_book()
    limits = thresholds or Thresholds()
    scale = month_scale(since, until)
    requests = reads.repeated_requests(source, database, since, until, limits.retry_seconds).dicts()
    usage = reads.model_usage(source, database, since, until).dicts()
    prefixes = reads.repeated_prefixes(
        source, database, since, until, limits.cache_ttl_seconds, limits.long_cache_ttl_seconds).dicts()
    findings = [
        *repeated_requests(requests, scale),
        *retries(requests, scale, limits),
        *repeated_prefixes(
            prefixes, book, scale, limits),
        *expiring_caches(prefixes, book, scale, limits),
        *cheaper_model_calls(usage, book, scale, limits),
        *batchable(usage, book, scale, limits),
        *uncapped_output(usage, book, scale),
        *context_growth(
            reads.context_growth(source, database, since, until, limits.context_window_tokens).dicts(),
            book, scale, limits),
        *failed_calls(reads.failed_calls(source, database, since, until).dicts(), scale),
    ]
    kept = sorted((f for f in findings if f.saving_usd >= min_savings_usd),
                  key=lambda f: (-f.saving_usd, f.kind, f.feature, f.model))
    (total,) = reads.spend(source, database, since, until).dicts()
    return Advice(
        since=since, until=until, spend_usd=Decimal(str(total["priced_cost_usd"])) * scale,
        calls=int(total["calls"]), unpriced_calls=int(total["unpriced_calls"]), findings=kept,
        unpriced_models=reads.unpriced_models(source, database, since, until).dicts(),
    )
