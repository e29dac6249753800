"""Alert rules over the cost rollups: parse a rules file, evaluate it with SQL, notify.

``otel-llm alerts check`` is the usual entry; the same pieces serve a scheduler of your own::

    from otel_llm.alerts import evaluate_all, load_rules
    firings = evaluate_all(load_rules("rules.yaml"), ClickHouseSource(client), "otel", now)
"""

from otel_llm.alerts.evaluate import Firing, evaluate, evaluate_all
from otel_llm.alerts.notify import post_webhook, webhook_payload
from otel_llm.alerts.rules import DEFAULT_RULES, KINDS, Rule, RulesError, load_rules, parse_rules

__all__ = [
    "DEFAULT_RULES",
    "KINDS",
    "Firing",
    "Rule",
    "RulesError",
    "evaluate",
    "evaluate_all",
    "load_rules",
    "parse_rules",
    "post_webhook",
    "webhook_payload",
]
