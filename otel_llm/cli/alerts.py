"""``otel-llm alerts check --rules rules.yaml``: evaluate alert rules over the rollups.

Exit code: 1 when any rule fires, 0 when none does, 2 when the rules file is bad, so cron and
CI can act on it. Each firing rule prints one line starting with ``ALERT <name>``; ``--webhook``
also POSTs them as JSON. Without --rules, otel-llm-alerts.yaml in the current directory is read
when it exists, else the default rules apply; a file named with --rules must exist. ``--watch 5m``
repeats the check; the webhook is then called only when the set of firing rules grows.

Fields: name, kind, threshold, window, baseline, by (feature|model|provider|service), feature,
service, budget_usd (the daily budget user_share compares to), min_calls. Windows and
baselines are durations: a number and m (minutes), h (hours), d (days) or w (weeks), e.g. 30m,
24h, 7d, 2w. Rule kinds:
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

from otel_llm.alerts.evaluate import evaluate_all
from otel_llm.alerts.notify import post_webhook
from otel_llm.alerts.rules import DURATION_HELP, RulesError, describe_kinds, load_rules, parse_duration
from otel_llm.cli._common import add_store_options, open_source
from otel_llm.cli._time import parse_when

__all__ = ["add_parser"]

_DEFAULT_RULES_FILE = "otel-llm-alerts.yaml"


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("alerts", help="check alert rules (spend, spikes, cache, retries)")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser("check", help="evaluate the rules once, or every --watch interval",
                               description=__doc__, epilog=describe_kinds(),
                               formatter_class=argparse.RawDescriptionHelpFormatter)
    check.add_argument("--rules", default=None,
                       help=f"YAML list of rules (default {_DEFAULT_RULES_FILE} if it exists, else the default rules)")
    check.add_argument("--watch", default=None, metavar="INTERVAL",
                       help=f"repeat every INTERVAL ({DURATION_HELP})")
    check.add_argument("--count", type=int, default=None, help="with --watch: stop after this many checks")
    check.add_argument("--webhook", default=None, metavar="URL", help="POST firing rules as JSON to this URL")
    check.add_argument("--at", default=None, help="evaluate as of this ISO time instead of now (replays, tests)")
    add_store_options(check)
    check.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    path = args.rules or (_DEFAULT_RULES_FILE if Path(_DEFAULT_RULES_FILE).is_file() else None)
    try:
        rules = load_rules(path)
    except RulesError as exc:
        print(f"otel-llm alerts: bad rules file {path}: {exc}", file=sys.stderr)
        return 2
    interval = parse_duration(args.watch).total_seconds() if args.watch else None
    notified: set[str] = set()
    rounds = 0
    status = 0
    with open_source(args) as source:
        while True:
            now = parse_when(args.at) if args.at else dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
            firings = evaluate_all(rules, source, args.database, now)
            for firing in firings:
                print(firing.line, flush=True)
            names = {f.rule.name for f in firings}
            if args.webhook and firings and not names <= notified:
                post_webhook(args.webhook, firings, now)
            notified = names
            status = 1 if firings else 0
            rounds += 1
            if interval is None or (args.count is not None and rounds >= args.count):
                return status
            try:
                time.sleep(interval)
            except KeyboardInterrupt:
                return status
