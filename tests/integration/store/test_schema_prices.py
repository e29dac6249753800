"""The bundled price book in ClickHouse: every priced entry loaded, with the book's fallbacks."""

from __future__ import annotations

from decimal import Decimal

from otel_llm.pricing import default_price_book
from otel_llm.schema import migrate, sync_prices
from tests.fixtures.store import Store
from tests.integration.store.test_schema_calls import BOOK


def test_the_default_book_loads_with_its_fallbacks(store: Store) -> None:
    client, db = store
    book = default_price_book()
    priced = [p for p in book.entries() if p.input is not None or p.output is not None]

    revision = sync_prices(client, db)

    assert revision.startswith(book.version + ":")
    assert int(client.command(f"SELECT count() FROM `{db}`.llm_prices_current")) == len(priced)
    for price in priced[:: max(len(priced) // 40, 1)]:  # a spread of entries, each checked exactly
        got = client.query(
            f"""SELECT InputPrice, OutputPrice, CacheReadPrice, CacheWritePrice, CacheWrite1hPrice
                FROM `{db}`.llm_prices_current WHERE Provider = {{p:String}} AND Model = {{m:String}}
                  AND EffectiveFrom = {{d:Date}}""",
            parameters={"p": price.provider, "m": price.model.lower(), "d": price.effective_from},
        ).result_rows
        base = price.input or 0
        write = price.cache_write if price.cache_write is not None else base
        expected = (
            base,
            price.output or 0,
            price.cache_read if price.cache_read is not None else base,
            write,
            price.cache_write_1h if price.cache_write_1h is not None else write,
        )
        assert got == [expected], (price.provider, price.model)


def test_dictionary_source_credentials_are_applied_on_every_migrate(store: Store) -> None:
    client, db = store
    migrate(client, db, source_credentials=("default", ""))  # chdb's only user

    ddl = client.command(f"SHOW CREATE DICTIONARY `{db}`.llm_prices_dict").replace("\\'", "'")
    assert "USER 'default' PASSWORD '[HIDDEN]'" in ddl  # the server never shows the password back
    sync_prices(client, db, BOOK)
    price = client.command(
        f"SELECT dictGet('{db}.llm_prices_dict', 'InputPrice', ('openai', 'gpt-4o-mini'), today())"
    )
    assert Decimal(price) == Decimal("0.00000015")
