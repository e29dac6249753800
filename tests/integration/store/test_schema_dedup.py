"""Exactly once: a retried insert (same insert_deduplication_token) changes no table, MV targets
included, while distinct batches that aggregate to identical rollup rows are all counted."""

from __future__ import annotations

from otel_llm.schema import sync_prices
from tests.fixtures.store import Store, insert_spans, span_row
from tests.integration.store.test_schema_calls import AT, BOOK, all_spans


def _row_counts(store: Store) -> dict[str, int]:
    """Raw row count of every table, unmerged parts included: a duplicate shows before any merge."""
    client, db = store
    tables = client.query(
        "SELECT name FROM system.tables WHERE database = {db:String} AND engine LIKE '%MergeTree' ORDER BY name",
        parameters={"db": db},
    ).result_rows
    return {name: int(client.command(f"SELECT count() FROM `{db}`.`{name}`")) for (name,) in tables}


def test_a_retried_batch_with_its_token_changes_no_table(store: Store) -> None:
    sync_prices(store.client, store.database, BOOK)
    batch = all_spans()
    insert_spans(store.client, store.database, batch, token="batch-1")
    once = _row_counts(store)

    insert_spans(store.client, store.database, batch, token="batch-1")

    assert _row_counts(store) == once
    assert {k: v > 0 for k, v in once.items()} == {
        "llm_calls": True, "llm_prices": True, "llm_usage_daily_user": True, "llm_usage_hourly": True,
        "otel_traces": True, "otel_traces_trace_id_ts": True, "schema_migrations": True, "otel_logs": False,
        "llm_calls_by_cost": True, "llm_usage_daily_user_totals": True,
    }  # fmt: skip


def _same_call() -> list:
    """A call whose rollup contribution is identical every time; only its span and trace ids differ."""
    return span_row(
        {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o-mini",
         "gen_ai.usage.input_tokens": "10", "gen_ai.usage.output_tokens": "5"},
        at=AT,
    )  # fmt: skip


def _rollup_calls(store: Store) -> tuple[int, int]:
    client, db = store
    hourly = int(client.command(f"SELECT sum(Calls) FROM `{db}`.llm_usage_hourly"))
    daily = int(client.command(f"SELECT sum(Calls) FROM `{db}`.llm_usage_daily_user"))
    return hourly, daily


def test_distinct_batches_with_identical_rollup_rows_are_all_counted(store: Store) -> None:
    for token in ("a", "b", "c"):
        insert_spans(store.client, store.database, [_same_call()], token=token)
    assert _rollup_calls(store) == (3, 3)


def test_distinct_batches_without_tokens_are_all_counted(store: Store) -> None:
    """A foreign writer (the Go exporter) sends no token: block hashes of the views must not collide."""
    for _ in range(3):
        insert_spans(store.client, store.database, [_same_call()])
    assert _rollup_calls(store) == (3, 3)
