"""``otel-llm prices``: what a model costs, and the price table ClickHouse recomputes costs with.

- ``show MODEL [--provider P]``: the price the instrumentation would use (bundled snapshot plus
  the ``OTEL_LLM_PRICES`` file), per million tokens. Exit 1 when the model is unknown. With
  ``--format json`` one object whose keys never change: every price ``<name>_per_1m`` (null when
  the source lists none), ``long_context_tiers`` (a list), ``book_version``.
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
from otel_llm.cli._output import render, render_object
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
    found = book.price_and_source(args.model, args.provider)
    if found is None:
        print(f"no price known for {args.model!r}" + (f" at {args.provider}" if args.provider else ""))
        return 1
    price, source = found  # the source of this answer: another host's price says other_host
    record = {**price_record(price), "source": source, "book_version": book.version}
    if args.format == "json":
        print(render_object(record), end="")
        return 0
    rows = [(k, v) for k, v in record.items() if k != "long_context_tiers"]
    for tier in record["long_context_tiers"]:
        prefix = f"tier>{tier['above_input_tokens']}.{tier['service_tier']}."
        rows.extend((prefix + k, v) for k, v in tier.items() if k.endswith(_PER_1M))
    print(render(["field", "value"], rows, args.format), end="")
    return 0


_PER_1M = "_per_1m"


def _per_million(obj: object) -> dict[str, object]:
    """Every field of a price dataclass, prices (the Decimal-typed fields, by their declared type,
    so a price the source does not list is null under the same key) per million tokens."""
    out: dict[str, object] = {}
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        if "Decimal" in str(f.type):
            out[f.name + _PER_1M] = None if value is None else (value * _MILLION).normalize()
        elif f.name not in ("tiers", "threshold"):
            out[f.name] = value
    return out


def price_record(price: object) -> dict[str, object]:
    """One model's price as one object with stable keys (``prices show --format json``)."""
    record = _per_million(price)
    record["long_context_tiers"] = [{"above_input_tokens": t.threshold, **_per_million(t)}
                                    for t in getattr(price, "tiers", ())]
    return record


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
