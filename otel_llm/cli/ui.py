"""``otel-llm ui``: the cost dashboard in your browser, read-only, on http://127.0.0.1:8321/.

Pages: overview (spend today / 7 d / 30 d and the trend, cost by feature, cost over time by model
and provider, cache hit rate and savings, errors, calls without a price), users (top spenders,
share of a daily budget), calls (call types and the most expensive calls, linked to their
traces), savings (what ``otel-llm advise`` finds, with each finding's formula and evidence),
alerts (the rules of ``otel-llm alerts check`` and whether each fires now). The numbers come from
the same reads as ``otel-llm report``, ``top`` and ``advise``. The window and filters live in the
URL (``?range=7d&service=api``, or ``?since=2026-01-01&until=2026-01-08``), so a view can be
shared; pages refresh every 60 s without reloading (``&refresh=0`` stops it). The savings advice is
computed by a background thread and shown with its time ("computing…" before the first result).

It binds 127.0.0.1; any other --host needs --auth-token (or $OTEL_LLM_UI_AUTH_TOKEN). A browser
then opens the dashboard once with ``?token=TOKEN`` (a cookie keeps it); scripts send
``Authorization: Bearer TOKEN``. Put TLS in front of it (a reverse proxy) when it leaves the machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import sys
from pathlib import Path

from otel_llm import semconv
from otel_llm._env import env_str
from otel_llm.alerts.rules import RulesError, load_rules
from otel_llm.cli._common import add_store_options, open_source
from otel_llm.query import ClickHouseSource, check_identifier

__all__ = ["add_parser"]

_DEFAULT_RULES_FILE = "otel-llm-alerts.yaml"


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("ui", help="read-only cost dashboard in the browser (127.0.0.1:8321)",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8321, help="port to listen on (default 8321; 0 picks one)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1; any other needs --auth-token)")
    parser.add_argument("--auth-token", default=None, metavar="TOKEN",
                        help=f"require this bearer token, 16+ characters (default ${semconv.ENV_UI_AUTH_TOKEN})")
    parser.add_argument("--trace-url", default=None, metavar="TEMPLATE",
                        help="link trace ids to Jaeger/Tempo, e.g. 'http://localhost:16686/trace/{trace_id}'")
    parser.add_argument("--rules", default=None,
                        help=f"alert rules for the alerts page (default {_DEFAULT_RULES_FILE} if it exists, "
                             f"else the default rules)")
    parser.add_argument("--daily-budget", type=float, default=None, metavar="USD",
                        help="daily budget per user the users page compares spend to (default: the budget_usd of "
                             "a user_share rule, if any)")
    parser.add_argument("--savings-every", type=float, default=15.0, metavar="MINUTES",
                        help="recompute the savings page's advice (a background thread; advise reads single calls) "
                             "at most every MINUTES while someone looks (default 15)")
    add_store_options(parser)
    parser.set_defaults(func=command)


def _trace_url(template: str | None) -> str | None:
    if template is None:
        return None
    if not template.startswith(("http://", "https://")) or "{trace_id}" not in template:
        raise ValueError(f"--trace-url {template!r}: an http(s) URL containing {{trace_id}}, "
                         f"e.g. 'http://localhost:16686/trace/{{trace_id}}'")
    return template


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def command(args: argparse.Namespace) -> int:
    from otel_llm.ui import Settings, check_bind, make_server
    from otel_llm.ui.server import QUERY_LIMITS

    token = args.auth_token or env_str(semconv.ENV_UI_AUTH_TOKEN)
    check_bind(args.host, token)
    path = args.rules or (_DEFAULT_RULES_FILE if Path(_DEFAULT_RULES_FILE).is_file() else None)
    try:
        rules = load_rules(path)
    except RulesError as exc:
        raise ValueError(f"bad rules file {path}: {exc}") from exc
    budget = args.daily_budget
    if budget is None:
        budget = next((r.budget_usd for r in rules if r.kind == "user_share" and r.budget_usd), None)
    if budget is not None and budget <= 0:
        raise ValueError("--daily-budget: a positive amount of USD")
    if not args.savings_every > 0:
        raise ValueError("--savings-every: a positive number of minutes, e.g. 15")
    settings = Settings(database=check_identifier(args.database), rules=tuple(rules), daily_budget_usd=budget,
                        trace_url=_trace_url(args.trace_url), rules_origin=path or "the default rules",
                        advice_every=dt.timedelta(minutes=args.savings_every))
    # Two sessions of one store: the pages' and the background savings advice's, so that no page
    # waits behind a long advise query (one session runs its queries one after another). Through a
    # collector (--collector) both reach its one SQL endpoint, which still runs them in turn.
    with open_source(args) as source, open_source(args) as advice_source:
        if isinstance(source, ClickHouseSource):
            source.limits = dict(QUERY_LIMITS)
        try:
            server = make_server(source, settings, host=args.host, port=args.port, token=token,
                                 advice_source=advice_source)
        except OSError as exc:
            raise ValueError(f"cannot listen on {args.host}:{args.port} ({exc.strerror}): "
                             f"pick another --port") from exc
        login = "?token=<your token>" if token else ""
        print(f"otel-llm ui: dashboard on {server.url}{login} (read-only; Ctrl-C stops it)",
              file=sys.stderr, flush=True)
        signal.signal(signal.SIGTERM, _interrupt)  # a service manager's stop ends it as Ctrl-C does
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
    return 0
