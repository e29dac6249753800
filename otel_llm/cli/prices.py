"""``otel-llm prices``: what a model costs, and the price table ClickHouse recomputes costs with.

- ``show MODEL [--provider P]``: the price the instrumentation would use (bundled snapshot plus
  the ``OTEL_LLM_PRICES`` file), per million tokens. Exit 1 when the model is unknown.
- ``sync``: write that price book into ``<database>.llm_prices`` as a new revision.
- ``doctor [--since 30d]``: models seen in the store with a price gap (see ``prices_doctor``).
- ``import FILE``: check a price file (the otel-llm YAML/JSON format or a LiteLLM map), then sync
  the book with it laid over the snapshot. Point ``OTEL_LLM_PRICES`` at the same file so new
  spans are priced the same way.
"""

from __future__ import annotations

import argparse
import dataclasses
from decimal import Decimal

from otel_llm.cli import prices_doctor
from otel_llm.cli._common import add_format_option, add_store_options
from otel_llm.cli._output import render
from otel_llm.query import connect_store

__all__ = ["add_parser"]

_MILLION = Decimal(1_000_000)


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("prices", help="show, sync or import model prices",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = actions.add_parser("show", help="the price of a model, per million tokens")
    show.add_argument("model")
    show.add_argument("--provider", default=None, help="gen_ai.provider.name (openai, anthropic, aws.bedrock...)")
    add_format_option(show)
    show.set_defaults(func=show_command)
    sync = actions.add_parser("sync", help="write the current price book into ClickHouse")
    add_store_options(sync, writes=True)
    sync.set_defaults(func=sync_command, file=None)
    imp = actions.add_parser("import", help="check a price file and sync it into ClickHouse")
    imp.add_argument("file", help="otel-llm price YAML/JSON or a LiteLLM model_prices map")
    add_store_options(imp, writes=True)
    imp.set_defaults(func=sync_command)
    prices_doctor.add_parser(actions)


def show_command(args: argparse.Namespace) -> int:
    from otel_llm.pricing import default_price_book

    book = default_price_book()
    price = book.lookup(args.model, args.provider)
    if price is None:
        print(f"no price known for {args.model!r}" + (f" at {args.provider}" if args.provider else ""))
        return 1
    rows = []
    for f in dataclasses.fields(price):
        value = getattr(price, f.name)
        if isinstance(value, Decimal):
            rows.append((f.name + "_per_1m", (value * _MILLION).normalize()))
        elif f.name != "tiers":
            rows.append((f.name, value))
    rows.extend((f"tier>{t.threshold}.{t.service_tier}.input_per_1m", (t.input or 0) * _MILLION) for t in price.tiers)
    rows.append(("book_version", book.version))
    print(render(["field", "value"], rows, args.format), end="")
    return 0


def sync_command(args: argparse.Namespace) -> int:
    from otel_llm.pricing import default_price_book, load_price_file
    from otel_llm.schema import sync_prices

    book = default_price_book()
    if args.file:
        book = book.with_overrides(load_price_file(args.file))  # raises ValueError naming the problem
    client = connect_store(args.endpoint, writes=True)
    try:
        revision = sync_prices(client, args.database, book)
    finally:
        client.close()
    count = sum(1 for _ in book.entries())
    print(f"synced {count} prices (revision {revision or book.version}) into {args.database}.llm_prices")
    return 0
