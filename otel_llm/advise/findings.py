"""From grouped evidence rows and prices to findings: each a saving per month with its formula.

Pure: rows in (as the reads of ``otel_llm.query.advise`` return them, as dicts), prices from a
``PriceBook``, findings out, so every rule is tested on plain numbers. Money is Decimal from the
store's Decimal sums and the book's Decimal prices; nothing is rounded here (only the renderer
rounds), so a test can hold a finding to a hand computation exactly.

A saving found in the window is scaled to a month: ``x 30 days / window length``. Findings can
overlap (a repeated request also repeats its prefix), so their sum is an upper bound: "up to".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from otel_llm import semconv
from otel_llm.pricing import ModelPrice, PriceBook
from otel_llm.pricing.caching import DEFAULT_CACHE_MINIMUM_TOKENS, cache_minimum_tokens

__all__ = [
    "Finding",
    "Thresholds",
    "batchable",
    "cache_minimum",
    "cheaper_model_calls",
    "context_growth",
    "expiring_caches",
    "failed_calls",
    "repeated_prefixes",
    "repeated_requests",
    "retries",
    "schedule",
    "uncapped_output",
    "usd",
]

KIND_REPEATED_REQUESTS = "repeated_requests"
KIND_REPEATED_PREFIXES = "repeated_prefixes"
KIND_CACHE_EXPIRY = "cache_expiry"
KIND_CHEAPER_MODEL = "cheaper_model"
KIND_BATCH = "batch_api"
KIND_UNCAPPED_OUTPUT = "uncapped_output"
KIND_CONTEXT_GROWTH = "context_growth"
KIND_RETRIES = "retries"
KIND_FAILED_CALLS = "failed_calls"

# The same provider's small models, cheapest first: a classification-like call's candidates.
SMALL_MODELS: Mapping[str, tuple[str, ...]] = {
    semconv.PROVIDER_OPENAI: ("gpt-4.1-nano", "gpt-4o-mini"),
    semconv.PROVIDER_AZURE_OPENAI: ("gpt-4.1-nano", "gpt-4o-mini"),
    semconv.PROVIDER_ANTHROPIC: ("claude-haiku-4-5",),
    semconv.PROVIDER_GCP_GEMINI: ("gemini-2.0-flash-lite",),
}
_EVIDENCE_FINGERPRINTS = 3  # the biggest groups named in a finding's evidence
# What to do about a repeated prefix, by the cache controls its uncached sends used.
_PREFIX_ADVICE = {
    semconv.CACHE_CONTROL_NONE: "turn on prompt caching",
    semconv.CACHE_CONTROL_AUTOMATIC: "cached automatically, yet missed: keep it warm or route alike (prompt_cache_key)",
    semconv.CACHE_CONTROL_EXPLICIT: "marked for caching, yet never read: check the breakpoint's place",
}


@dataclass(frozen=True)
class Thresholds:
    """When a pattern counts. The defaults are documented in the README's "Find savings"."""

    retry_seconds: float = 10.0  # an identical request sooner than this after the last is a retry
    cache_ttl_seconds: float = 300.0  # prompt caches keep a prefix 5 minutes after its last use
    # The smallest cacheable prefix of a model pricing.caching does not name (OpenAI's, Sonnet's).
    min_cacheable_tokens: int = DEFAULT_CACHE_MINIMUM_TOKENS
    long_cache_ttl_seconds: float = 3600.0  # Anthropic's 1-hour cache (cache_control ttl "1h")
    min_calls: int = 5  # a feature's pattern needs at least this many calls
    short_output_tokens: float = 20.0  # classification-like: mean output at most this...
    output_stddev_tokens: float = 5.0  # ...and this little spread
    context_window_tokens: int = 10_000  # a conversation's input beyond this is context growth
    # A schedule (batchable work): this share of a feature's calls came in at most schedule_hours
    # hours of the day, on two days or more (a nightly job); or in at most schedule_minutes minutes
    # of the hour, over three hours or more and at least schedule_minute_calls calls (a job every
    # hour or quarter hour: fewer calls than that fit in a few minutes by chance).
    schedule_share: float = 0.8
    schedule_hours: int = 4
    schedule_minutes: int = 12
    schedule_minute_calls: int = 24


@dataclass(frozen=True)
class Finding:
    """One way to save: ``saving_usd`` per month, how it was computed, and the evidence (no content)."""

    kind: str
    feature: str
    provider: str
    model: str
    title: str
    saving_usd: Decimal  # per month
    formula: str
    evidence: dict[str, Any] = field(default_factory=dict)
    candidate: bool = False  # to evaluate, not a certainty (a cheaper model may answer worse)


def _d(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))


def _price(book: PriceBook, row: Mapping[str, Any]) -> ModelPrice | None:
    model = row.get("price_model") or row.get("model") or ""
    return book.lookup(model, row.get("price_provider") or row.get("provider") or None) if model else None


def usd(value: Decimal) -> str:
    """Dollars for people: cents from $1 up, else four significant digits ($0.001442), never 1e-05."""
    if value == 0 or abs(value) >= 1:
        return f"${value:,.2f}"
    return f"${value.quantize(Decimal(1).scaleb(value.adjusted() - 3)):f}"


def _per_token(price: Decimal) -> str:
    return f"${(price * 1_000_000).normalize():f}/1M"


def _grouped(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str, str], list[Mapping[str, Any]]]:
    groups: dict[tuple[str, str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(row["feature"], row["provider"], row["model"])].append(row)
    return groups


def repeated_requests(rows: Sequence[Mapping[str, Any]], scale: Decimal) -> list[Finding]:
    """Identical requests sent again later: a response cache would have served every send but the first."""
    findings = []
    for (feature, provider, model), group in _grouped(r for r in rows if r["repeats"]).items():
        cost = sum((_d(r["repeat_cost_usd"]) for r in group), Decimal(0))
        if cost <= 0:
            continue
        repeats = sum(int(r["repeats"]) for r in group)
        top = sorted(group, key=lambda r: (-_d(r["repeat_cost_usd"]), r["fingerprint"]))[:_EVIDENCE_FINGERPRINTS]
        findings.append(Finding(
            KIND_REPEATED_REQUESTS, feature, provider, model,
            f"{repeats} identical requests sent again ({len(group)} distinct): cache the responses",
            cost * scale,
            f"cost of the repeated sends {usd(cost)} x {scale:.4f} (to a month)",
            {"calls": sum(int(r["calls"]) for r in group), "repeats": repeats, "distinct_requests": len(group),
             "unpriced_repeats": sum(int(r["repeat_unpriced_calls"]) for r in group),
             "fingerprints": {r["fingerprint"]: int(r["calls"]) for r in top}},
        ))
    return findings


def retries(rows: Sequence[Mapping[str, Any]], scale: Decimal, thresholds: Thresholds) -> list[Finding]:
    """Identical requests within seconds of each other: retry storms and double submits."""
    findings = []
    for (feature, provider, model), group in _grouped(r for r in rows if r["retries"]).items():
        cost = sum((_d(r["retry_cost_usd"]) for r in group), Decimal(0))
        if cost <= 0:
            continue
        count = sum(int(r["retries"]) for r in group)
        top = sorted(group, key=lambda r: (-_d(r["retry_cost_usd"]), r["fingerprint"]))[:_EVIDENCE_FINGERPRINTS]
        findings.append(Finding(
            KIND_RETRIES, feature, provider, model,
            f"{count} identical requests resent within {thresholds.retry_seconds:g} s: retries or double submits",
            cost * scale,
            f"cost of the resends {usd(cost)} x {scale:.4f} (to a month)",
            {"retries": count, "unpriced_retries": sum(int(r["retry_unpriced_calls"]) for r in group),
             "fingerprints": {r["fingerprint"]: int(r["calls"]) for r in top}},
        ))
    return findings


def repeated_prefixes(
    rows: Sequence[Mapping[str, Any]], book: PriceBook, scale: Decimal, thresholds: Thresholds,
) -> list[Finding]:
    """A prefix sent again and again without a cache read: saving = prefix tokens x (reads x
    (input - cache read price) - writes x (cache write - input price)), where a cache with a
    ``cache_ttl_seconds`` lifetime writes on the first send and after each longer gap."""
    findings = []
    per_group: dict[tuple[str, str, str], list[tuple[Mapping[str, Any], Decimal]]] = defaultdict(list)
    prices: dict[tuple[str, str, str], ModelPrice] = {}
    for row in rows:
        tokens = int(row["prefix_tokens"])
        price = _price(book, row)
        if tokens < cache_minimum(row, thresholds) or price is None or price.input is None:
            continue
        if price.cache_read is None:
            continue
        reads, writes = int(row["uncached_calls"]) - int(row["writes"]), int(row["writes"])
        write_price = price.cache_write if price.cache_write is not None else price.input
        saving = tokens * (reads * (price.input - price.cache_read) - writes * (write_price - price.input))
        if saving > 0:
            key = (row["feature"], row["provider"], row["model"])
            per_group[key].append((row, saving))
            prices[key] = price
    for (feature, provider, model), group in per_group.items():
        price = prices[(feature, provider, model)]
        saving = sum((s for _, s in group), Decimal(0))
        reads = sum(int(r["uncached_calls"]) - int(r["writes"]) for r, _ in group)
        writes = sum(int(r["writes"]) for r, _ in group)
        tokens = sum(int(r["prefix_tokens"]) * int(r["uncached_calls"]) for r, _ in group)
        write_price = price.cache_write if price.cache_write is not None else price.input
        top = sorted(group, key=lambda rs: (-rs[1], rs[0]["prefix_fingerprint"]))[:_EVIDENCE_FINGERPRINTS]
        controls = sorted({c for r, _ in group for c in r["cache_control"]})
        advice = "; ".join(_PREFIX_ADVICE.get(c, _PREFIX_ADVICE[semconv.CACHE_CONTROL_NONE]) for c in controls)
        findings.append(Finding(
            KIND_REPEATED_PREFIXES, feature, provider, model,
            f"{len(group)} repeated prompt prefix(es) sent {reads + writes} times without a cache read: {advice}",
            saving * scale,
            f"per prefix: prefix tokens x (reads x ({_per_token(price.input)} input - {_per_token(price.cache_read)}"
            f" cache read) - writes x ({_per_token(write_price)} write - input)); {reads} reads, {writes} writes,"
            f" {usd(saving)} x {scale:.4f} (to a month)",
            {"uncached_calls": reads + writes, "reads": reads, "writes": writes, "prefix_tokens_sent": tokens,
             "cache_control": controls,
             "prefixes": {r["prefix_fingerprint"]: int(r["prefix_tokens"]) for r, _ in top}},
        ))
    return findings


def cache_minimum(row: Mapping[str, Any], thresholds: Thresholds) -> int:
    """The smallest prefix the row's model caches (``pricing.caching``), else the threshold."""
    minimum = cache_minimum_tokens(row.get("price_model") or row.get("model") or "")
    return thresholds.min_cacheable_tokens if minimum is None else minimum


def expiring_caches(
    rows: Sequence[Mapping[str, Any]], book: PriceBook, scale: Decimal, thresholds: Thresholds,
) -> list[Finding]:
    """Explicit caches that expired between calls and were written again (the write price paid
    again): with the long-lived cache those sends would have read it instead. saving = rewritten
    tokens x (cache write price - cache read price) - the long-lived cache's remaining writes x
    (its write price - the cache write price). The tokens are the provider's own write counts."""
    findings = []
    per_group: dict[tuple[str, str, str], list[tuple[Mapping[str, Any], Decimal, ModelPrice]]] = defaultdict(list)
    for row in rows:
        price = _price(book, row)
        if not int(row["rewrites"]) or price is None:
            continue
        read, write, write_1h = price.cache_read, price.cache_write, price.cache_write_1h
        if read is None or write is None or write_1h is None:
            continue
        saving = int(row["rewrite_tokens"]) * (write - read) - int(row["long_write_tokens"]) * (write_1h - write)
        per_group[(row["feature"], row["provider"], row["model"])].append((row, saving, price))
    for (feature, provider, model), group in per_group.items():
        saving = sum((s for _, s, _ in group), Decimal(0))
        if saving <= 0:
            continue
        rewrites = sum(int(r["rewrites"]) for r, _, _ in group)
        rewritten = sum(int(r["rewrite_tokens"]) for r, _, _ in group)
        long_writes = sum(int(r["long_write_tokens"]) for r, _, _ in group)
        price = group[0][2]
        assert price.cache_read is not None and price.cache_write is not None and price.cache_write_1h is not None
        top = sorted(group, key=lambda g: (-g[1], g[0]["prefix_fingerprint"]))[:_EVIDENCE_FINGERPRINTS]
        findings.append(Finding(
            KIND_CACHE_EXPIRY, feature, provider, model,
            f"{rewrites} prompt cache writes repeated after the cache expired"
            f" ({thresholds.cache_ttl_seconds / 60:g} min) between calls: use the 1-hour cache (ttl \"1h\")",
            saving * scale,
            f"per prefix: rewritten tokens x ({_per_token(price.cache_write)} write - {_per_token(price.cache_read)}"
            f" read) - tokens still written x ({_per_token(price.cache_write_1h)} 1-hour write -"
            f" {_per_token(price.cache_write)} write); {rewritten} rewritten, {long_writes} still written,"
            f" {usd(saving)} x {scale:.4f} (to a month)",
            {"rewrites": rewrites, "rewritten_tokens": rewritten, "long_cache_write_tokens": long_writes,
             "prefixes": {r["prefix_fingerprint"]: int(r["rewrites"]) for r, _, _ in top}},
        ))
    return findings


def _cheapest_sibling(book: PriceBook, provider: str, price: ModelPrice) -> tuple[str, ModelPrice] | None:
    for name in SMALL_MODELS.get(provider, ()):
        small = book.lookup(name, provider)
        if (small is not None and small.input is not None and small.output is not None
                and price.input is not None and price.output is not None
                and small.input < price.input and small.output < price.output):
            return name, small
    return None


def cheaper_model_calls(
    rows: Sequence[Mapping[str, Any]], book: PriceBook, scale: Decimal, thresholds: Thresholds,
) -> list[Finding]:
    """Short, uniform outputs (classification-like) on a model with a cheaper sibling: saving =
    cost - (input tokens x small input price + output tokens x small output price). A candidate."""
    findings = []
    for row in rows:
        if (int(row["calls"]) < thresholds.min_calls or int(row["unpriced_calls"])
                or float(row["avg_output_tokens"]) > thresholds.short_output_tokens
                or float(row["stddev_output_tokens"]) > thresholds.output_stddev_tokens):
            continue
        price = _price(book, row)
        sibling = _cheapest_sibling(book, row["provider"], price) if price is not None else None
        if sibling is None:
            continue
        name, small = sibling
        assert small.input is not None and small.output is not None  # checked by _cheapest_sibling
        cost = _d(row["cost_usd"])
        small_cost = int(row["input_tokens"]) * small.input + int(row["output_tokens"]) * small.output
        if cost - small_cost <= 0:
            continue
        findings.append(Finding(
            KIND_CHEAPER_MODEL, row["feature"], row["provider"], row["model"],
            f"{row['calls']} short, uniform answers (mean {float(row['avg_output_tokens']):.1f} tokens):"
            f" candidate for {name} (evaluate the quality first)",
            (cost - small_cost) * scale,
            f"cost {usd(cost)} - ({row['input_tokens']} input x {_per_token(small.input)} + {row['output_tokens']}"
            f" output x {_per_token(small.output)}) at {name}, x {scale:.4f} (to a month)",
            {"calls": int(row["calls"]), "avg_output_tokens": round(float(row["avg_output_tokens"]), 1),
             "stddev_output_tokens": round(float(row["stddev_output_tokens"]), 1), "candidate_model": name},
            candidate=True,
        ))
    return findings


def schedule(row: Mapping[str, Any], thresholds: Thresholds) -> str | None:
    """How the feature's calls are scheduled, or None when they do not look scheduled: the busiest
    ``schedule_hours`` hours of the day (UTC) hold ``schedule_share`` of its calls, seen on two
    days or more ("daily"); or its busiest ``schedule_minutes`` minutes of the hour hold that share,
    seen over three hours or more ("hourly"). People at work spread their calls over the working
    day and over every minute of the hour; a job started by a scheduler does not."""
    calls = float(row["calls"])
    if calls <= 0:
        return None
    by_hour, by_minute = list(row["calls_by_hour"]), list(row["calls_by_minute"])
    top_hours = sorted(range(len(by_hour)), key=lambda h: -by_hour[h])[:thresholds.schedule_hours]
    if (int(row["active_days"]) >= 2
            and sum(by_hour[h] for h in top_hours) >= thresholds.schedule_share * calls):
        return "daily at " + ", ".join(f"{h:02d}h" for h in sorted(h for h in top_hours if by_hour[h])) + " UTC"
    top_minutes = sorted(range(len(by_minute)), key=lambda m: -by_minute[m])[:thresholds.schedule_minutes]
    if (int(row["active_hours"]) >= 3 and calls >= thresholds.schedule_minute_calls
            and sum(by_minute[m] for m in top_minutes) >= thresholds.schedule_share * calls):
        return "hourly at minutes " + ", ".join(f":{m:02d}" for m in sorted(m for m in top_minutes if by_minute[m]))
    return None


def batchable(
    rows: Sequence[Mapping[str, Any]], book: PriceBook, scale: Decimal, thresholds: Thresholds,
) -> list[Finding]:
    """Features whose latency serves nobody waiting: never streamed, no end user, and called on a
    schedule (:func:`schedule`), so the Batch API's prices apply: saving = uncached input x (input -
    batch input price) + output x (output - batch output price). Interactive work untagged with a
    user (streamed or not) comes at all hours and minutes of the working day, and gets no finding."""
    findings = []
    for row in rows:
        if int(row["calls"]) < thresholds.min_calls or int(row["streamed_calls"]) or int(row["user_calls"]):
            continue
        when = schedule(row, thresholds)
        price = _price(book, row)
        if when is None or price is None or None in (price.input, price.output, price.batch_input, price.batch_output):
            continue
        assert price.input is not None and price.output is not None  # for the type checker: checked above
        assert price.batch_input is not None and price.batch_output is not None
        uncached = int(row["input_tokens"]) - int(row["cache_read_tokens"]) - int(row["cache_write_tokens"])
        output = int(row["output_tokens"])
        saving = uncached * (price.input - price.batch_input) + output * (price.output - price.batch_output)
        if saving <= 0:
            continue
        findings.append(Finding(
            KIND_BATCH, row["feature"], row["provider"], row["model"],
            f"{row['calls']} calls never streamed, with no end user, {when}: send them through the Batch API",
            saving * scale,
            f"{uncached} uncached input x ({_per_token(price.input)} - {_per_token(price.batch_input)} batch) +"
            f" {output} output x ({_per_token(price.output)} - {_per_token(price.batch_output)} batch),"
            f" x {scale:.4f} (to a month)",
            {"calls": int(row["calls"]), "streamed_calls": 0, "user_calls": 0, "schedule": when},
        ))
    return findings


def uncapped_output(rows: Sequence[Mapping[str, Any]], book: PriceBook, scale: Decimal) -> list[Finding]:
    """Calls without a max output length: the output beyond the feature's 95th percentile (of
    calls that finished normally) x the output price, what a cap there would have cut."""
    findings = []
    for row in rows:
        excess = int(row["uncapped_excess_tokens"])
        price = _price(book, row)
        if excess <= 0 or price is None or price.output is None:
            continue
        saving = excess * price.output
        findings.append(Finding(
            KIND_UNCAPPED_OUTPUT, row["feature"], row["provider"], row["model"],
            f"{row['uncapped_calls']} calls without max_tokens, {row['uncapped_length_calls']} cut off at the"
            " length limit: cap the output",
            saving * scale,
            f"{excess} output tokens beyond the 95th percentile x {_per_token(price.output)},"
            f" x {scale:.4f} (to a month)",
            {"uncapped_calls": int(row["uncapped_calls"]), "length_limited_calls": int(row["uncapped_length_calls"]),
             "excess_output_tokens": excess},
        ))
    return findings


def context_growth(
    rows: Sequence[Mapping[str, Any]], book: PriceBook, scale: Decimal, thresholds: Thresholds,
) -> list[Finding]:
    """Conversations whose input grows turn after turn: the input tokens beyond the window x the
    input price, what trimming or summarizing the history to the window would have saved."""
    findings = []
    for row in rows:
        beyond = int(row["tokens_beyond_window"])
        price = _price(book, row)
        if beyond <= 0 or price is None or price.input is None:
            continue
        findings.append(Finding(
            KIND_CONTEXT_GROWTH, row["feature"], row["provider"], row["model"],
            f"{row['sessions']} conversations grow past {thresholds.context_window_tokens} input tokens:"
            " trim or summarize the history",
            beyond * price.input * scale,
            f"{beyond} input tokens beyond {thresholds.context_window_tokens} x {_per_token(price.input)},"
            f" x {scale:.4f} (to a month)",
            {"sessions": int(row["sessions"]), "calls": int(row["calls"]), "tokens_beyond_window": beyond},
        ))
    return findings


def failed_calls(rows: Sequence[Mapping[str, Any]], scale: Decimal) -> list[Finding]:
    """Failed calls the provider billed (usage reported with the error): their cost."""
    findings = []
    for row in rows:
        cost = _d(row["billed_cost_usd"])
        if cost <= 0:
            continue
        findings.append(Finding(
            KIND_FAILED_CALLS, row["feature"], row["provider"], row["model"],
            f"{row['billed_calls']} of {row['errors']} failed calls were billed ({', '.join(row['error_types'])})",
            cost * scale,
            f"cost of the billed failures {usd(cost)} x {scale:.4f} (to a month)",
            {"errors": int(row["errors"]), "billed_calls": int(row["billed_calls"]),
             "error_types": list(row["error_types"])},
        ))
    return findings
