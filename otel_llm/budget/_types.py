"""The two values a caller of the budget API handles: an estimate going in, a refusal coming out."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from otel_llm.budget._ledger import ZERO, Amount
from otel_llm.budget._limits import Limit

__all__ = ["BudgetExceeded", "Estimate"]


@dataclass(frozen=True, slots=True)
class Estimate:
    """What a call is expected to cost before it is sent. ``cost_usd`` None: the model is unpriced,
    so USD limits can only refuse calls once they are already spent, never predict one."""

    tokens: int
    cost_usd: Decimal | None = None

    def amount(self) -> Amount:
        return Amount(self.tokens, self.cost_usd if self.cost_usd is not None else ZERO)


class BudgetExceeded(Exception):
    """Raised BEFORE the request is sent when an enforced limit would be exceeded.

    ``limit`` is the cap that refused, ``key`` the user/feature it was counted for ("" for a total),
    ``spent`` what the window had already used and ``requested`` the call's estimate.
    """

    def __init__(self, limit: Limit, key: str, spent: Amount, requested: Estimate) -> None:
        self.limit = limit
        self.key = key
        self.spent = spent
        self.requested = requested
        cap = " and ".join(
            part for part in (
                f"{limit.max_tokens} tokens" if limit.max_tokens is not None else "",
                f"${limit.max_usd}" if limit.max_usd is not None else "",
            ) if part
        )
        who = f" for {key!r}" if key else ""
        super().__init__(
            f"budget {limit.label}{who} exceeded: spent {spent.tokens} tokens / ${spent.usd} of {cap}"
            f" this {limit.window}, call needs ~{requested.tokens} tokens"
        )
