"""Versioned, idempotent migrations, and their single-node and cluster renderings.

A version is applied once and recorded in ``schema_migrations``; re-running ``migrate`` applies
only versions not recorded yet. Every statement is safe to repeat (``IF NOT EXISTS``, or a view's
``MODIFY QUERY`` to the same text), so a version interrupted halfway (process killed, server gone)
is simply applied again. Released versions are never edited: a change to the schema is a new
version at the end of ``MIGRATIONS`` that alters what earlier ones created, so an existing store
and a fresh one end up alike (tests/integration/store/test_schema_cache_1h.py checks that).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from otel_llm.schema.objects import (
    AddColumn,
    AddIndex,
    Backfill,
    Dictionary,
    SchemaObject,
    Table,
    Target,
    View,
    ViewQuery,
    quote_identifier,
    storage_name,
)

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

__all__ = [
    "DEFAULT_DATABASE",
    "DEFAULT_TTL_DAYS",
    "MIGRATIONS",
    "Migration",
    "check_database",
    "migrate",
    "render",
    "render_script",
]

_log = logging.getLogger(__name__)

DEFAULT_DATABASE = "otel"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Retention per table, in days (0 keeps rows forever). Raw spans are the bulk of the data and
# the least useful after a month; per-call rows answer "why did this cost that" for a quarter;
# the rollups are tiny and answer year-over-year questions. Applied when a table is created.
DEFAULT_TTL_DAYS: Mapping[str, int] = {
    "otel_traces": 30,
    "otel_traces_trace_id_ts": 30,
    "otel_logs": 30,
    "llm_calls": 180,
    "llm_calls_by_cost": 180,
    "llm_usage_hourly": 730,
    "llm_usage_daily_user": 730,
    "llm_usage_daily_user_totals": 730,
}


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    objects: Sequence[SchemaObject]


_MIGRATIONS_TABLE = Table(
    name="schema_migrations",
    columns="schema_migrations.columns",
    engine="ReplacingMergeTree",
    order_by="Version",
    sharded=False,
)

# Version 5 reuses the version 3 and 4 view queries with these sub-fragments swapped, so those
# versions still render exactly as stores applied them.
_WRITE_1H_CALLS = (
    ("llm_calls.pricing", "llm_calls.pricing_1h"),
    ("llm_calls.cache_write", "llm_calls.cache_write_1h"),
)
_WRITE_1H_SUMS = (("llm_usage_sums.select", "llm_usage_sums.select_1h"),)
# Version 6 wraps the version 5 query (llm_calls.view_6) and reads two more values in it.
_PRICING_SOURCE_CALLS = (
    ("llm_calls.pricing", "llm_calls.pricing_1h"),
    ("llm_calls.cache_write", "llm_calls.cache_write_6"),
)
# Version 7 reads the request shape in the same place version 6 reads its two values.
_REQUEST_SHAPE_CALLS = (
    ("llm_calls.pricing", "llm_calls.pricing_1h"),
    ("llm_calls.cache_write", "llm_calls.cache_write_7"),
)
_REQUEST_SHAPE_COLUMNS = (
    ("RequestFingerprint", "String CODEC(ZSTD(1))"),
    ("PrefixFingerprint", "String CODEC(ZSTD(1))"),
    ("PrefixTokens", "UInt64"),
    ("MessageCount", "UInt32"),
    ("ToolCount", "UInt32"),
    ("MaxTokensSet", "UInt8"),
    ("CacheControl", "LowCardinality(String)"),
    ("Streamed", "UInt8"),
    ("TurnIndex", "UInt32"),
)
_SUM_UINT64 = "SimpleAggregateFunction(sum, UInt64)"
# Version 9 extends the version 7 reads once more, and sums the rollups weighted by AdjustedCount.
_ADJUSTED_CALLS = (
    ("llm_calls.pricing", "llm_calls.pricing_1h"),
    ("llm_calls.cache_write", "llm_calls.cache_write_9"),
)
_ADJUSTED_SUMS = (("llm_usage_sums.select", "llm_usage_sums.select_9"),)

MIGRATIONS: Sequence[Migration] = (
    Migration(
        1,
        "otel_traces in the clickhouseexporter layout, with its trace id lookup",
        (
            Table(
                name="otel_traces",
                columns="otel_traces.columns",
                partition_by="toDate(Timestamp)",
                order_by="(ServiceName, SpanName, toDateTime(Timestamp))",
                ttl_column="toDateTime(Timestamp)",
                settings="index_granularity = 8192, ttl_only_drop_parts = 1",
                shard_key="cityHash64(TraceId)",
            ),
            Table(
                name="otel_traces_trace_id_ts",
                columns="otel_traces_trace_id_ts.columns",
                partition_by="toDate(Start)",
                order_by="(TraceId, Start)",
                ttl_column="toDateTime(Start)",
                settings="index_granularity = 8192, ttl_only_drop_parts = 1",
                shard_key="cityHash64(TraceId)",
            ),
            View("otel_traces_trace_id_ts_mv", "otel_traces_trace_id_ts.view", target="otel_traces_trace_id_ts"),
        ),
    ),
    Migration(
        2,
        "llm_prices revisions and the effective-dated price dictionary over the latest one",
        (
            Table(
                name="llm_prices",
                columns="llm_prices.columns",
                order_by="(Provider, Model, EffectiveFrom, Revision)",
                sharded=False,
            ),
            View("llm_prices_current", "llm_prices_current.view"),
            Dictionary("llm_prices_dict", "llm_prices_dict.dictionary"),
        ),
    ),
    Migration(
        3,
        "llm_calls: one typed, priced row per LLM call, from otel_traces",
        (
            Table(
                name="llm_calls",
                columns="llm_calls.columns",
                partition_by="toDate(Timestamp)",
                order_by="(ServiceName, Feature, Model, Timestamp)",
                ttl_column="toDateTime(Timestamp)",
                settings="ttl_only_drop_parts = 1",
            ),
            View("llm_calls_mv", "llm_calls.view", target="llm_calls"),
        ),
    ),
    Migration(
        4,
        "llm_usage_hourly and llm_usage_daily_user rollups of llm_calls",
        (
            Table(
                name="llm_usage_hourly",
                columns=("llm_usage_hourly.columns", "llm_usage_sums.columns", "llm_usage_hourly.states.columns"),
                engine="AggregatingMergeTree",
                partition_by="toYYYYMM(Hour)",
                order_by=(
                    "(ServiceName, Environment, Provider, Model, PriceProvider, PriceModel, Operation, Feature, Hour)"
                ),
                ttl_column="Hour",
            ),
            View("llm_usage_hourly_mv", "llm_usage_hourly.view", target="llm_usage_hourly"),
            Table(
                name="llm_usage_daily_user",
                columns=("llm_usage_daily_user.columns", "llm_usage_sums.columns"),
                engine="AggregatingMergeTree",
                partition_by="toYYYYMM(Day)",
                order_by="(ServiceName, UserId, Day, Provider, Model, PriceProvider, PriceModel, Feature)",
                ttl_column="toDateTime(Day)",
            ),
            View("llm_usage_daily_user_mv", "llm_usage_daily_user.view", target="llm_usage_daily_user"),
        ),
    ),
    Migration(
        5,
        "CacheWrite1hTokens in llm_calls and the rollups; 1-hour cache writes priced at CacheWrite1hPrice",
        (
            AddColumn("llm_calls", "CacheWrite1hTokens UInt64", after="CacheWriteTokens"),
            AddColumn("llm_usage_hourly", f"CacheWrite1hTokens {_SUM_UINT64}", after="CacheWriteTokens"),
            AddColumn("llm_usage_daily_user", f"CacheWrite1hTokens {_SUM_UINT64}", after="CacheWriteTokens"),
            # Columns first, so no view ever writes a column its table lacks. Between the ADD and
            # the MODIFY QUERY of one view, rows it fills get CacheWrite1hTokens 0 (and the
            # dictionary prices their writes at the 5-minute rate): a migration's few seconds.
            ViewQuery("llm_calls_mv", "llm_calls.view", target="llm_calls", parts=_WRITE_1H_CALLS),
            ViewQuery("llm_usage_hourly_mv", "llm_usage_hourly.view", target="llm_usage_hourly", parts=_WRITE_1H_SUMS),
            ViewQuery(
                "llm_usage_daily_user_mv",
                "llm_usage_daily_user.view",
                target="llm_usage_daily_user",
                parts=_WRITE_1H_SUMS,
            ),
        ),
    ),
    Migration(
        6,
        "llm_calls.PricingSource (exact, history, other_host, override); suspect usage is unpriced",
        (
            AddColumn("llm_calls", "PricingSource LowCardinality(String)", after="CostSource"),
            ViewQuery("llm_calls_mv", "llm_calls.view_6", target="llm_calls", parts=_PRICING_SOURCE_CALLS),
        ),
    ),
    Migration(
        7,
        "llm_calls request shape (fingerprints, prefix tokens, sizes, cache control, streamed, turn) for advise",
        (
            *(
                AddColumn("llm_calls", f"{name} {kind}", after=previous)
                for (name, kind), previous in zip(
                    _REQUEST_SHAPE_COLUMNS,
                    ["Instrumentation"] + [name for name, _ in _REQUEST_SHAPE_COLUMNS[:-1]],
                    strict=True,
                )
            ),
            ViewQuery("llm_calls_mv", "llm_calls.view_6", target="llm_calls", parts=_REQUEST_SHAPE_CALLS),
        ),
    ),
    Migration(
        8,
        "otel_logs in the clickhouseexporter layout; llm_calls also from sampled-out calls' events (Sampled 0)",
        (
            Table(
                name="otel_logs",
                columns="otel_logs.columns",
                partition_by="toDate(TimestampTime)",
                order_by="(ServiceName, TimestampTime, Timestamp)",
                ttl_column="TimestampTime",
                settings="index_granularity = 8192, ttl_only_drop_parts = 1",
                shard_key="cityHash64(TraceId)",
            ),
            # DEFAULT 1: the span view, unchanged, fills it with 1; only the events' view writes 0.
            AddColumn("llm_calls", "Sampled UInt8 DEFAULT 1", after="Estimated"),
            View(
                "llm_calls_from_logs_mv",
                "llm_calls.view_8_logs",
                target="llm_calls",
                parts=_REQUEST_SHAPE_CALLS,
                sources=(("otel_traces", "otel_logs.as_spans"),),
            ),
        ),
    ),
    Migration(
        9,
        "llm_calls.ParentSpanId and AdjustedCount (foreign spans sampled elsewhere); spans the nesting rule"
        " marked are skipped; rollups sum adjusted calls, tokens and cost",
        (
            AddColumn("llm_calls", "ParentSpanId String CODEC(ZSTD(1))", after="SpanId"),
            AddColumn("llm_calls", "AdjustedCount Float64 DEFAULT 1", after="Sampled"),
            # The reads look a foreign row's trace up by id (otel_llm/query/counted.py).
            AddIndex("llm_calls", "idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1"),
            ViewQuery("llm_calls_mv", "llm_calls.view_9", target="llm_calls", parts=_ADJUSTED_CALLS),
            ViewQuery(
                "llm_calls_from_logs_mv",
                "llm_calls.view_9_logs",
                target="llm_calls",
                parts=_ADJUSTED_CALLS,
                sources=(("otel_traces", "otel_logs.as_spans_9"),),
            ),
            ViewQuery("llm_usage_hourly_mv", "llm_usage_hourly.view", target="llm_usage_hourly", parts=_ADJUSTED_SUMS),
            ViewQuery(
                "llm_usage_daily_user_mv",
                "llm_usage_daily_user.view",
                target="llm_usage_daily_user",
                parts=_ADJUSTED_SUMS,
            ),
        ),
    ),
    Migration(
        10,
        "llm_calls_by_cost (calls sorted by cost) and llm_usage_daily_user_totals (per user and day only)",
        (
            Table(
                name="llm_calls_by_cost",
                columns="llm_calls_by_cost.columns",
                partition_by="toDate(Timestamp)",
                order_by="(Unpriced, CostDescending, Timestamp)",
                ttl_column="toDateTime(Timestamp)",
                settings="ttl_only_drop_parts = 1",
            ),
            View("llm_calls_by_cost_mv", "llm_calls_by_cost.view", target="llm_calls_by_cost"),
            Backfill("llm_calls_by_cost", "llm_calls_by_cost.backfill"),
            Table(
                name="llm_usage_daily_user_totals",
                columns=("llm_usage_daily_user_totals.columns", "llm_usage_sums.columns"),
                engine="AggregatingMergeTree",
                partition_by="toYYYYMM(Day)",
                order_by="(ServiceName, UserId, Day)",
                ttl_column="toDateTime(Day)",
            ),
            View(
                "llm_usage_daily_user_totals_mv",
                "llm_usage_daily_user_totals.view",
                target="llm_usage_daily_user_totals",
                parts=_ADJUSTED_SUMS,
            ),
            Backfill("llm_usage_daily_user_totals", "llm_usage_daily_user_totals.backfill"),
        ),
    ),
)


def _tables(migrations: Sequence[Migration]) -> list[Table]:
    tables = [_MIGRATIONS_TABLE]
    tables += [obj for m in migrations for obj in m.objects if isinstance(obj, Table)]
    return tables


def check_database(database: str) -> None:
    """Reject names the schema cannot use: dictGet names its dictionary in a string literal,
    where identifier quoting is not honoured, so the database must be a plain identifier."""
    if not isinstance(database, str) or not _NAME.fullmatch(database):
        raise ValueError(f"database must be a plain identifier ([A-Za-z_][A-Za-z0-9_]*), got {database!r}")


def _target(
    database: str,
    cluster: str | None,
    ttl_days: Mapping[str, int] | None,
    source_credentials: tuple[str, str] | None = None,
) -> Target:
    check_database(database)
    if cluster is not None and not cluster:
        raise ValueError("cluster must be a non-empty name or None")
    tables = _tables(MIGRATIONS)
    known = {t.name for t in tables if t.ttl_column}
    unknown = set(ttl_days or {}) - known
    if unknown:
        raise ValueError(f"ttl_days names unknown tables {sorted(unknown)}; known: {sorted(known)}")
    if any(int(days) < 0 for days in (ttl_days or {}).values()):
        raise ValueError("ttl_days values must be >= 0 (0 keeps rows forever)")
    return Target(
        database=database,
        cluster=cluster,
        ttl_days={**DEFAULT_TTL_DAYS, **(ttl_days or {})},
        storage={t.name: storage_name(t, cluster) for t in tables},
        dictionaries=tuple(d.name for d in _dictionaries()),
        source_credentials=source_credentials,
    )


def _dictionaries() -> list[Dictionary]:
    return [obj for m in MIGRATIONS for obj in m.objects if isinstance(obj, Dictionary)]


def _preamble(target: Target) -> list[str]:
    return [
        f"CREATE DATABASE IF NOT EXISTS {quote_identifier(target.database)}{target.on_cluster}",
        *_MIGRATIONS_TABLE.statements(target),
    ]


def _statements(migration: Migration, target: Target) -> list[str]:
    return [sql for obj in migration.objects for sql in obj.statements(target)]


def render(
    database: str = DEFAULT_DATABASE,
    *,
    cluster: str | None = None,
    ttl_days: Mapping[str, int] | None = None,
    source_credentials: tuple[str, str] | None = None,
) -> list[str]:
    """Every statement of every version, for review or for a cluster this process cannot reach.

    With ``cluster`` set the statements carry ``ON CLUSTER``, use ``Replicated*`` engines, keep
    rows in ``*_local`` tables under ``Distributed`` tables of the plain names, and create the
    views on every node (see deploy/clickhouse-cluster/README.md). ``source_credentials`` is the
    (user, password) the price dictionary reads its table as; see ``migrate``.
    """
    target = _target(database, cluster, ttl_days, source_credentials)
    statements = _preamble(target)
    for migration in MIGRATIONS:
        statements += _statements(migration, target)
    return statements


def render_script(
    database: str = DEFAULT_DATABASE,
    *,
    cluster: str | None = None,
    ttl_days: Mapping[str, int] | None = None,
) -> str:
    """``render()`` as one SQL script (``;``-terminated statements) for clickhouse-client."""
    return "".join(f"{sql};\n\n" for sql in render(database, cluster=cluster, ttl_days=ttl_days))


def migrate(
    client: Client,
    database: str = DEFAULT_DATABASE,
    *,
    ttl_days: Mapping[str, int] | None = None,
    source_credentials: tuple[str, str] | None = None,
    to_version: int | None = None,
) -> list[int]:
    """Apply the versions not yet recorded in ``<database>.schema_migrations``; return them.

    ``to_version`` stops after that version: a store at an older version, as an older release
    left it, is how an upgrade is rehearsed (and tested) before it runs on real data.

    Retention named in ``ttl_days`` is also applied to tables that already exist, when it
    differs from theirs, so changing the setting and restarting takes effect. Single node only:
    a cluster is migrated by running ``render(cluster=...)`` once against any node, since
    ``ON CLUSTER`` statements already reach every node.

    ``source_credentials`` (user, password): what the price dictionary reads ``llm_prices`` as.
    A server refuses a dictionary source that names no user when ``default`` has a password,
    and then every insert into otel_traces fails in the llm_calls view; so on a secured server
    pass a user allowed to read the otel database. When given, the dictionary is re-created
    with them on every run, so a rotated password is picked up. The embedded store needs none.
    """
    target = _target(database, None, ttl_days, source_credentials)
    for sql in _preamble(target):
        client.command(sql)
    recorded = client.query(f"SELECT DISTINCT Version FROM {target.qualified('schema_migrations')}")
    applied = {row[0] for row in recorded.result_rows}
    done: list[int] = []
    for migration in MIGRATIONS:
        if migration.version in applied or (to_version is not None and migration.version > to_version):
            continue
        for sql in _statements(migration, target):
            client.command(sql)
        client.insert(
            target.qualified("schema_migrations"),
            [[migration.version, migration.description]],
            column_names=["Version", "Description"],
        )
        _log.info("Applied schema version %d to %s: %s", migration.version, database, migration.description)
        done.append(migration.version)
    if source_credentials is not None:
        for dictionary in _dictionaries():
            client.command(dictionary.statements(target, replace=True)[0])
    _apply_ttl(client, target, ttl_days or {})
    return done


def _apply_ttl(client: Client, target: Target, ttl_days: Mapping[str, int]) -> None:
    tables = {t.name: t for t in _tables(MIGRATIONS)}
    for name, days in ttl_days.items():
        ttl = tables[name].ttl(days)
        current = client.command(
            "SELECT create_table_query FROM system.tables WHERE database = {db:String} AND name = {t:String}",
            parameters={"db": target.database, "t": name},
        )
        if (ttl is None and " TTL " not in current) or (ttl is not None and f" TTL {ttl}" in current):
            continue
        change = f"MODIFY TTL {ttl}" if ttl else "REMOVE TTL"
        client.command(f"ALTER TABLE {target.qualified(name)} {change}")
        _log.info("Retention of %s.%s set to %s", target.database, name, f"{days} days" if ttl else "forever")
