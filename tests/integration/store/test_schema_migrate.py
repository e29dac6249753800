"""Migrations against the real engine: idempotent, recorded, and the otel_traces layout exact."""

from __future__ import annotations

from otel_llm.schema import MIGRATIONS, migrate
from tests.fixtures.store import Store

# The clickhouseexporter's otel_traces columns, as ClickHouse reports them (Nested flattened).
EXPORTER_COLUMNS = [
    ("Timestamp", "DateTime64(9)"),
    ("TraceId", "String"),
    ("SpanId", "String"),
    ("ParentSpanId", "String"),
    ("TraceState", "String"),
    ("SpanName", "LowCardinality(String)"),
    ("SpanKind", "LowCardinality(String)"),
    ("ServiceName", "LowCardinality(String)"),
    ("ResourceAttributes", "Map(LowCardinality(String), String)"),
    ("ScopeName", "String"),
    ("ScopeVersion", "String"),
    ("SpanAttributes", "Map(LowCardinality(String), String)"),
    ("Duration", "UInt64"),
    ("StatusCode", "LowCardinality(String)"),
    ("StatusMessage", "String"),
    ("Events.Timestamp", "Array(DateTime64(9))"),
    ("Events.Name", "Array(LowCardinality(String))"),
    ("Events.Attributes", "Array(Map(LowCardinality(String), String))"),
    ("Links.TraceId", "Array(String)"),
    ("Links.SpanId", "Array(String)"),
    ("Links.TraceState", "Array(String)"),
    ("Links.Attributes", "Array(Map(LowCardinality(String), String))"),
]


def _schema(store: Store) -> list[tuple[str, str, str]]:
    client, database = store
    return client.query(
        "SELECT table, name, type FROM system.columns WHERE database = {db:String} ORDER BY table, position",
        parameters={"db": database},
    ).result_rows


def test_every_version_is_recorded_once_and_rerunning_changes_nothing(store: Store) -> None:
    client, database = store
    before = _schema(store)

    assert migrate(client, database) == []
    assert migrate(client, database) == []

    recorded = client.query(f"SELECT Version FROM `{database}`.schema_migrations FINAL ORDER BY Version")
    assert [r[0] for r in recorded.result_rows] == [m.version for m in MIGRATIONS]
    assert _schema(store) == before


def test_a_fresh_database_gets_every_version_in_order(store_client, store: Store) -> None:
    database = store.database + "_b"
    try:
        assert migrate(store_client, database) == [m.version for m in MIGRATIONS]
    finally:
        store_client.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")


def test_otel_traces_has_the_collector_exporter_layout(store: Store) -> None:
    columns = [(name, type_) for table, name, type_ in _schema(store) if table == "otel_traces"]
    assert columns == EXPORTER_COLUMNS


def test_every_merge_tree_has_a_dedup_window(store: Store) -> None:
    client, database = store
    rows = client.query(
        "SELECT name, create_table_query FROM system.tables WHERE database = {db:String} AND engine LIKE '%MergeTree'",
        parameters={"db": database},
    ).result_rows
    assert rows
    missing = [name for name, ddl in rows if "non_replicated_deduplication_window = 10000" not in ddl]
    assert missing == []


def _create_query(store: Store, table: str) -> str:
    client, database = store
    return client.command(
        "SELECT create_table_query FROM system.tables WHERE database = {db:String} AND name = {t:String}",
        parameters={"db": database, "t": table},
    )


def test_a_changed_retention_is_applied_to_existing_tables(store: Store) -> None:
    client, database = store
    assert " TTL toDateTime(Timestamp) + toIntervalDay(30) " in _create_query(store, "otel_traces")

    migrate(client, database, ttl_days={"otel_traces": 7, "llm_calls": 0})

    assert " TTL toDateTime(Timestamp) + toIntervalDay(7) " in _create_query(store, "otel_traces")
    assert " TTL " not in _create_query(store, "llm_calls")
    assert " TTL Hour + toIntervalDay(730) " in _create_query(store, "llm_usage_hourly")  # not named: unchanged
