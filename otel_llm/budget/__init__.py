"""Budgets: cap LLM spend per user, feature or tier, before the request is sent.

```python
from decimal import Decimal
from otel_llm.budget import Budget, BudgetExceeded, Limit

budget = Budget(
    [
        Limit(per="user", tier="free", max_tokens=20_000, window="day"),          # each free user
        Limit(per="feature", feature="search", max_usd=Decimal("5"), window="hour"),
        Limit(per="total", max_usd=Decimal("200"), enforce=False),                # warn, mark span
    ],
    tiers={"acme_corp_001": "pro"},   # or a function user_id -> tier
)
with budget:                           # or budget.install() for the life of the process
    try:
        client.chat.completions.create(...)
    except BudgetExceeded as refused:
        ...                            # raised before any request was sent
```

Each instrumented call is estimated first (tiktoken for the prompt, ``max_tokens`` for the
output, the price book for USD) and the estimate is reserved on every limit that applies; when
the call ends, its real usage replaces the reservation. An enforced limit raises
:class:`BudgetExceeded`; a soft one (``enforce=False``) logs a warning once per window and sets
``otel_llm.budget.exceeded=true`` on the span. Windows are UTC calendar hours and days.
An installed budget is one of the instrumentation's call observers (``otel_llm.instrumentation``);
:func:`before_call` / :func:`after_call` check a call the instrumentation does not wrap.

State lives in this process. :func:`refresh_from_store` adds what the ClickHouse rollups saw, so
several processes converge; what other processes spent is then known up to the refresh interval
plus the exporter's batch delay (seconds), and never counted twice for this process.
"""

from otel_llm.budget._budget import Budget, Ticket
from otel_llm.budget._estimate import estimate_call, estimate_request
from otel_llm.budget._hooks import Reservation, after_call, before_call, before_request
from otel_llm.budget._ledger import Amount
from otel_llm.budget._limits import Limit
from otel_llm.budget._refresh import refresh_from_store
from otel_llm.budget._types import BudgetExceeded, Estimate

__all__ = [
    "Amount",
    "Budget",
    "BudgetExceeded",
    "Estimate",
    "Limit",
    "Reservation",
    "Ticket",
    "after_call",
    "before_call",
    "before_request",
    "estimate_call",
    "estimate_request",
    "refresh_from_store",
]
