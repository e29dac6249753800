"""``otel-llm``: see where the LLM money goes, get alerted before the invoice.

One module per command family registers its sub-command; ``main`` only parses and dispatches,
and turns the errors a user can fix (a bad DSN, a failing query, a bad --since) into one line
on stderr and exit code 2 instead of a traceback; so is an optional part used without its extra
(the line names the ``pip install``). Command modules are imported when the parser
is built, not with this package; library code never imports the CLI (the query layer it reads
through is ``otel_llm.query``).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from otel_llm.cli._help import CliParser
from otel_llm.extras import install_hint
from otel_llm.query import QueryError

__all__ = ["build_parser", "main"]

_COMMANDS = ("demo", "doctor", "report", "top", "sql", "alerts", "prices", "migrate", "collector",
             "reconcile", "ui", "advise")


def build_parser() -> argparse.ArgumentParser:
    parser = CliParser(
        prog="otel-llm", description="Cost, tokens and cache savings of every LLM call, from ClickHouse.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details to stderr")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in _COMMANDS:
        importlib.import_module(f"{__name__}.{name}").add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), "")
    try:
        if argv[:1] == ["collector"]:  # the collector parses its own flags
            from otel_llm.cli.collector import run

            return run(argv[1:])
        args = build_parser().parse_args(argv)
        logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                            format="%(levelname)s %(name)s: %(message)s")
        return int(args.func(args))
    except (QueryError, ValueError) as exc:
        print(f"otel-llm {command}: {exc}", file=sys.stderr)
        return 2
    except ImportError as exc:  # an optional part without its extra
        hint = install_hint(exc)
        if hint is None:
            raise
        print(f"otel-llm {command}: {hint}", file=sys.stderr)
        return 2
