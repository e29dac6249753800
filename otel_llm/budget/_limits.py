"""What a budget limits: a cap in tokens and/or USD, per user, feature or in total, per UTC hour or day.

Windows are fixed UTC calendar hours and days rather than sliding ones, because the ClickHouse
rollups bucket by ``Hour`` and ``Day``: a process refreshing its counters from the store then
compares like with like.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from otel_llm import semconv

__all__ = ["CallInfo", "Limit", "TierOf"]

WINDOW_SECONDS = {"hour": 3600, "day": 86400}
PER_CHOICES = ("user", "feature", "total")

# A user's tier: a mapping user -> tier, or a function (None when the user has no tier).
TierOf = Mapping[str, str] | Callable[[str], "str | None"]


@dataclass(frozen=True, slots=True)
class CallInfo:
    """The few facts about a call that limits select on, read once from its span attributes."""

    user: str | None
    feature: str | None
    tier: str | None

    @classmethod
    def of(cls, user: str | None, feature: str | None, tier_of: TierOf | None) -> CallInfo:
        tier = None
        if user is not None and tier_of is not None:
            tier = tier_of.get(user) if isinstance(tier_of, Mapping) else tier_of(user)
        return cls(user, feature, tier)

    @classmethod
    def from_attributes(cls, attributes: Mapping[str, object], tier_of: TierOf | None) -> CallInfo:
        user = attributes.get(semconv.ENDUSER_ID) or attributes.get(semconv.USER_ID)
        feature = attributes.get(semconv.OTEL_LLM_FEATURE)
        return cls.of(None if user is None else str(user), None if feature is None else str(feature), tier_of)


@dataclass(frozen=True, slots=True)
class Limit:
    """One cap. ``per`` says who gets their own counter; ``user``/``feature``/``tier`` narrow which
    calls count at all. ``Limit(per="user", tier="free", max_tokens=10_000)`` gives every free-tier
    user 10k tokens a day; ``Limit(per="total", tier="free", max_usd=Decimal(50))`` caps the tier.

    ``enforce=True`` raises :class:`~otel_llm.budget.BudgetExceeded` before the request is sent;
    ``enforce=False`` lets the call through, logs a warning and marks the span.
    A call that lacks the ``per`` key (no user id for a per-user limit) is not limited by it.
    """

    per: str = "user"
    max_tokens: int | None = None
    max_usd: Decimal | None = None
    window: str = "day"
    enforce: bool = True
    user: str | None = None
    feature: str | None = None
    tier: str | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        if self.per not in PER_CHOICES:
            raise ValueError(f"per must be one of {PER_CHOICES}, not {self.per!r}")
        if self.window not in WINDOW_SECONDS:
            raise ValueError(f"window must be 'hour' or 'day', not {self.window!r}")
        if self.max_tokens is None and self.max_usd is None:
            raise ValueError("a Limit needs max_tokens, max_usd or both")
        if self.max_tokens is not None and self.max_tokens < 0:
            raise ValueError("max_tokens must be >= 0")
        if self.max_usd is not None:
            if isinstance(self.max_usd, float):
                # Floats would make budget arithmetic drift; accept them but convert exactly once.
                object.__setattr__(self, "max_usd", Decimal(str(self.max_usd)))
            if self.max_usd < 0:
                raise ValueError("max_usd must be >= 0")

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        scope = "".join(f" {k}={v}" for k, v in (("user", self.user), ("feature", self.feature),
                                                   ("tier", self.tier)) if v is not None)
        return f"per {self.per} per {self.window}{scope}"

    def window_start(self, now: float) -> int:
        size = WINDOW_SECONDS[self.window]
        return int(now // size) * size

    def key_for(self, call: CallInfo) -> str | None:
        """The counter this call is charged to, or None when the limit does not apply to it."""
        if self.user is not None and call.user != self.user:
            return None
        if self.feature is not None and call.feature != self.feature:
            return None
        if self.tier is not None and call.tier != self.tier:
            return None
        if self.per == "user":
            return call.user
        if self.per == "feature":
            return call.feature
        return ""
