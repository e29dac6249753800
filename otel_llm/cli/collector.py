"""``otel-llm collector ...``: the companion collector, whose flags its own parser owns.

Everything after ``collector`` goes to ``otel_llm_collector.main`` untouched, so its ``--help`` and its
flags stay in one place.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

__all__ = ["add_parser", "run"]


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "collector", add_help=False,
        help="run the collector (OTLP receiver owning the store; see `otel-llm collector --help`)")
    parser.add_argument("rest", nargs=argparse.REMAINDER)
    parser.set_defaults(func=lambda args: run(args.rest))


def run(argv: Sequence[str]) -> int:
    import otel_llm_collector

    return int(otel_llm_collector.main(list(argv)) or 0)
