"""Alert rules: a YAML list of ``{name, kind, threshold, ...}``, validated up front.

A bad rules file is an operator error that must stop cron loudly (exit 2), so parsing collects
every problem into one :class:`RulesError` rather than skipping rules it does not understand:
a typo must never silently disable an alert.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from otel_llm.yaml_errors import yaml_problem

__all__ = [
    "DEFAULT_RULES", "KINDS", "Rule", "RulesError", "describe_kinds", "load_rules", "parse_duration", "parse_rules",
]

# kind -> (default threshold, default window, default baseline, what the threshold means)
KINDS: dict[str, tuple[float, str, str | None, str]] = {
    "daily_spend": (100.0, "1d", None, "USD spent in the window"),
    "spend_spike": (2.0, "1h", "7d", "ratio of the window's spend to the baseline's average per window"),
    "cache_hit_drop": (0.2, "1h", "7d", "drop of the share of calls hitting the cache (0..1) from the baseline"),
    "user_share": (0.01, "1d", None, "fraction of budget_usd (else of all spend) one user spent"),
    "request_cost": (1.0, "1h", None, "USD of a single call"),
    "error_rate": (0.05, "1h", None, "errors / calls (retry storms)"),
    "unpriced_model": (0.0, "1d", None, "unpriced calls tolerated"),
    "savings_available": (100.0, "30d", None, "USD per month otel-llm advise finds to save"),
}
BY_CHOICES = ("feature", "model", "provider", "service")
_FIELDS = {"name", "kind", "threshold", "window", "baseline", "by", "feature", "service", "budget_usd",
           "min_calls"}
_T = TypeVar("_T")
_DURATION = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}
DURATION_HELP = "a number and a unit: m (minutes), h (hours), d (days) or w (weeks), e.g. 30m, 24h, 7d, 2w"


class RulesError(ValueError):
    """The rules file cannot be used; the message lists every problem found."""


def parse_duration(text: str) -> dt.timedelta:
    """``30m``, ``1h``, ``7d``, ``2w``; windows are evaluated on hourly rollups, so whole hours."""
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"bad duration {text!r}: {DURATION_HELP}")
    return dt.timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


@dataclass(frozen=True)
class Rule:
    """One alert. ``by`` evaluates it per feature/model/provider/service; ``feature``/``service``
    narrow the data it looks at. ``budget_usd`` is the daily budget ``user_share`` compares to;
    ``min_calls`` keeps ratio rules (error rate, cache hit) quiet on a handful of calls."""

    name: str
    kind: str
    threshold: float
    window: dt.timedelta
    baseline: dt.timedelta | None = None
    by: str | None = None
    feature: str | None = None
    service: str | None = None
    budget_usd: float | None = None
    min_calls: int = 1


def _rule(index: int, raw: Any, problems: list[str]) -> Rule | None:
    where = f"rule #{index + 1}"
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: expected a mapping with name, kind and threshold")
        return None
    where = f"rule #{index + 1} ({raw.get('name', 'unnamed')})"
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        problems.append(f"{where}: unknown field(s) {', '.join(map(str, unknown))}")
    kind = raw.get("kind")
    if kind not in KINDS:
        problems.append(f"{where}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
        return None
    if not raw.get("name"):
        problems.append(f"{where}: a rule needs a name")
    default_threshold, default_window, default_baseline, _ = KINDS[kind]
    try:
        threshold = _field(raw, "threshold", default_threshold, float, "a number")
        window = _field(raw, "window", default_window, parse_duration, DURATION_HELP)
        baseline_text = raw.get("baseline", default_baseline)
        baseline = _field(raw, "baseline", baseline_text, parse_duration, DURATION_HELP) \
            if baseline_text is not None else None
        budget = raw.get("budget_usd")
        budget_usd = _field(raw, "budget_usd", budget, float, "a number of USD") if budget is not None else None
        min_calls = _field(raw, "min_calls", 1, int, "a whole number")
    except ValueError as exc:
        problems.append(f"{where}: {exc}")
        return None
    by = raw.get("by")
    if by is not None and by not in BY_CHOICES:
        problems.append(f"{where}: by must be one of {', '.join(BY_CHOICES)}, not {by!r}")
    if threshold < 0:
        problems.append(f"{where}: threshold must be >= 0")
    return Rule(str(raw.get("name")), kind, threshold, window, baseline, by,
                _opt_str(raw.get("feature")), _opt_str(raw.get("service")), budget_usd, min_calls)


def _field(raw: Mapping[str, Any], name: str, default: Any, parse: Callable[[Any], _T], expected: str) -> _T:
    """One field parsed, or a ValueError naming the field, the value and what it should be
    (``float("five dollars")`` alone says neither which field nor what to write)."""
    value = raw.get(name, default)
    try:
        return parse(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be {expected}, not {value!r}") from None


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def parse_rules(data: Any) -> list[Rule]:
    """Rules from already-loaded YAML: a list, or a mapping with a ``rules`` list."""
    if isinstance(data, Mapping) and "rules" in data:
        data = data["rules"]
    if not isinstance(data, list):
        raise RulesError("the rules file must be a YAML list of rules (or {rules: [...]})")
    problems: list[str] = []
    rules = [r for i, raw in enumerate(data) if (r := _rule(i, raw, problems)) is not None]
    names = [r.name for r in rules]
    problems.extend(f"duplicate rule name {n!r}" for n in sorted({n for n in names if names.count(n) > 1}))
    if problems:
        raise RulesError("; ".join(problems))
    return rules


DEFAULT_RULES: tuple[Rule, ...] = tuple(parse_rules([
    {"name": "daily-spend", "kind": "daily_spend"},
    {"name": "spend-spike", "kind": "spend_spike", "by": "feature"},
    {"name": "cache-hit-drop", "kind": "cache_hit_drop", "by": "feature", "min_calls": 20},
    {"name": "user-share", "kind": "user_share", "budget_usd": 100},
    {"name": "request-cost", "kind": "request_cost"},
    {"name": "retry-storm", "kind": "error_rate", "min_calls": 20},
    {"name": "unpriced-model", "kind": "unpriced_model"},
    {"name": "savings-available", "kind": "savings_available"},
]))


def describe_kinds() -> str:
    """One line per kind: what its threshold means and its defaults (for --help)."""
    lines = []
    for kind, (threshold, window, baseline, meaning) in KINDS.items():
        extra = f", baseline {baseline}" if baseline else ""
        lines.append(f"  {kind:15} threshold = {meaning} (default {threshold:g}, window {window}{extra})")
    return "\n".join(lines)


def load_rules(path: str | Path | None) -> list[Rule]:
    """The rules in ``path``; the defaults when no path is given. A named file that is missing is
    a RulesError: falling back to the defaults would hide a typo in the path behind other rules."""
    if path is None:
        return list(DEFAULT_RULES)
    if not Path(path).is_file():
        raise RulesError(f"no rules file {path} (check the path, or leave out --rules for the default rules)")
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise RulesError(f"cannot read {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise RulesError(f"not valid YAML: {yaml_problem(exc)}") from exc
    return parse_rules(data if data is not None else [])
