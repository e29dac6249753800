"""Schema objects described once and rendered for a single node or for a cluster.

Writing the DDL twice (single node, cluster) is how the two drift apart; instead every table
says only what differs between tables (columns, engine family, keys, TTL column) and the
rendering decides ``ON CLUSTER``, ``Replicated*`` engines, ``*_local`` storage tables with a
``Distributed`` table over them, and the dedup window setting of each engine kind.

Column lists and view queries live in ``sql/*.sql``. They may name ``{db}`` and any table as
``{table_name}``: a view's query is formatted with the names of the STORAGE tables, so on a
cluster a view reads and writes the node's ``*_local`` tables and runs on every node.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources

from otel_llm import semconv

__all__ = [
    "DEDUP_WINDOW",
    "AddColumn",
    "AddIndex",
    "Backfill",
    "Dictionary",
    "SchemaObject",
    "Table",
    "Target",
    "View",
    "ViewQuery",
    "quote_identifier",
    "sql_text",
    "storage_name",
]

# (fragment, replacement) pairs: a later version's view reuses an earlier query with some of its
# sub-fragments swapped, so the earlier version still renders exactly as it was applied.
Parts = tuple[tuple[str, str], ...]

# Blocks remembered per table for insert deduplication: a retried batch whose token is among the
# last DEDUP_WINDOW inserts is dropped. Large enough for a retry spanning minutes of batches.
DEDUP_WINDOW = 10_000

# Replication paths use ClickHouse's own {shard}/{replica}/{database}/{table} macros.
_SHARDED_PATH = "'/clickhouse/tables/{shard}/{database}/{table}', '{replica}'"
# Tables every node needs whole (prices, applied migrations) replicate across all nodes.
_GLOBAL_PATH = "'/clickhouse/tables/all/{database}/{table}', '{replica}'"


def sql_text(name: str) -> str:
    """A SQL fragment shipped as package data (``otel_llm/schema/sql/<name>.sql``)."""
    text = resources.files(__package__).joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")
    return text.strip("\n").rstrip()


@dataclass(frozen=True)
class Target:
    """Where the statements go: a database, and a cluster name or None for one node."""

    database: str
    cluster: str | None
    ttl_days: Mapping[str, int]
    storage: Mapping[str, str]  # logical table name -> the name of the table holding its rows
    dictionaries: tuple[str, ...] = ()
    # (user, password) a dictionary's local CLICKHOUSE source reads as; None: the server's
    # "default" user with no password, which a secured server refuses.
    source_credentials: tuple[str, str] | None = None
    # Logical table name -> a parenthesized query read in its place (see ``View.sources``).
    sources: Mapping[str, str] = field(default_factory=dict)

    @property
    def on_cluster(self) -> str:
        return f" ON CLUSTER {quote_identifier(self.cluster)}" if self.cluster else ""

    def qualified(self, name: str) -> str:
        return f"{quote_identifier(self.database)}.{quote_identifier(name)}"

    def names(self, parts: Parts = ()) -> dict[str, object]:
        """What a fragment may name when formatted.

        ``{db}``, ``{db_literal}``; every table by its logical name (qualified storage table);
        every dictionary by name (a string literal, as dictGet wants it); ``{a[GEN_AI_SYSTEM]}``
        any semconv name as a string literal, so SQL spells no attribute key of its own; and
        ``{sql[fragment]}`` another fragment, so two views can share a column list;
        ``{source_auth}`` the USER/PASSWORD clause of a dictionary source, or nothing.
        ``parts`` swaps sub-fragments (see ``View.parts``).
        """
        names: dict[str, object] = {
            "db": quote_identifier(self.database),
            "db_literal": _quote_literal(self.database),
            "a": _SemconvLiterals(),
            "sql": _Fragments(self, dict(parts)),
            "source_auth": self._source_auth(),
        }
        names.update({logical: self.qualified(stored) for logical, stored in self.storage.items()})
        names.update({name: _quote_literal(f"{self.database}.{name}") for name in self.dictionaries})
        names.update(self.sources)
        return names

    def _source_auth(self) -> str:
        if self.source_credentials is None:
            return ""
        user, password = self.source_credentials
        return f" USER {_quote_literal(user)} PASSWORD {_quote_literal(password)}"


class _SemconvLiterals:
    def __getitem__(self, constant: str) -> str:
        return _quote_literal(getattr(semconv, constant))


@dataclass(frozen=True)
class _Fragments:
    target: Target
    parts: Mapping[str, str]

    def __getitem__(self, name: str) -> str:
        # The replacement may include the fragment it replaces (to extend it), so inside it that
        # name means the original again.
        rest = tuple((old, new) for old, new in self.parts.items() if old != name)
        return sql_text(self.parts.get(name, name)).format_map(self.target.names(rest))


def storage_name(table: Table, cluster: str | None) -> str:
    """The table that holds the rows: ``<name>_local`` under a Distributed table on a cluster."""
    return f"{table.name}_local" if cluster and table.sharded else table.name


@dataclass(frozen=True)
class Table:
    """A MergeTree-family table (``engine`` names the family without its ``Replicated`` prefix)."""

    name: str
    columns: str | tuple[str, ...]  # fragment name(s) in sql/, joined in order
    engine: str = "MergeTree"
    order_by: str = "tuple()"
    partition_by: str | None = None
    ttl_column: str | None = None  # DateTime expression rows expire from, when a TTL applies
    settings: str = ""
    sharded: bool = True  # False: whole on every node (small reference tables)
    shard_key: str = "rand()"

    def statements(self, target: Target) -> list[str]:
        storage = target.storage[self.name]
        fragments = (self.columns,) if isinstance(self.columns, str) else self.columns
        body = ",\n".join(sql_text(f) for f in fragments).format_map(target.names())
        lines = [
            f"CREATE TABLE IF NOT EXISTS {target.qualified(storage)}{target.on_cluster}\n(\n{body}\n)",
            f"ENGINE = {self._engine(target)}",
        ]
        if self.partition_by:
            lines.append(f"PARTITION BY {self.partition_by}")
        lines.append(f"ORDER BY {self.order_by}")
        ttl = self.ttl(target.ttl_days.get(self.name, 0))
        if ttl:
            lines.append(f"TTL {ttl}")
        lines.append(f"SETTINGS {self._settings(target)}")
        statements = ["\n".join(lines)]
        if storage != self.name:
            statements.append(
                f"CREATE TABLE IF NOT EXISTS {target.qualified(self.name)}{target.on_cluster}"
                f" AS {target.qualified(storage)}\n"
                f"ENGINE = Distributed({_quote_literal(target.cluster or '')}, "
                f"{_quote_literal(target.database)}, {_quote_literal(storage)}, {self.shard_key})"
            )
        return statements

    def ttl(self, days: int) -> str | None:
        """The TTL expression for ``days`` of retention; None keeps rows forever."""
        return f"{self.ttl_column} + toIntervalDay({int(days)})" if self.ttl_column and days > 0 else None

    def _engine(self, target: Target) -> str:
        if not target.cluster:
            return f"{self.engine}()"
        return f"Replicated{self.engine}({_SHARDED_PATH if self.sharded else _GLOBAL_PATH})"

    def _settings(self, target: Target) -> str:
        window = "replicated_deduplication_window" if target.cluster else "non_replicated_deduplication_window"
        parts = [f"{window} = {DEDUP_WINDOW}"]
        if self.settings:
            parts.append(self.settings)
        return ", ".join(parts)


@dataclass(frozen=True)
class View:
    """A view; with a ``target`` table, a materialized view writing into it on every node.

    Without a target it is a plain view, a query with a name computed at read time (e.g. the
    current price revision).
    """

    name: str
    query: str  # fragment name in sql/
    target: str | None = None  # logical table name; the storage table is resolved per target
    parts: Parts = ()  # sub-fragments of the query swapped for others (a later version's query)
    # (logical table, fragment): the query, and every fragment it includes, reads that fragment's
    # query where it names the table. How one view query serves a second source: llm_calls from
    # otel_logs events reads the otel_traces query over the events laid out as spans.
    sources: Parts = ()

    def statements(self, target: Target) -> list[str]:
        head = f"{target.qualified(self.name)}{target.on_cluster}"
        if self.target is None:
            return [f"CREATE VIEW IF NOT EXISTS {head}\nAS {self.select(target)}"]
        destination = target.qualified(target.storage[self.target])
        return [f"CREATE MATERIALIZED VIEW IF NOT EXISTS {head} TO {destination}\nAS {self.select(target)}"]

    def select(self, target: Target) -> str:
        if self.sources:
            queries = {
                table: f"(\n{sql_text(fragment).format_map(target.names())}\n)" for table, fragment in self.sources
            }
            target = replace(target, sources=queries)
        return sql_text(self.query).format_map(target.names(self.parts))


@dataclass(frozen=True)
class ViewQuery(View):
    """A new query for a materialized view that an earlier version created.

    ``MODIFY QUERY`` swaps the query in one step while the view keeps its name and target, so no
    insert runs without a view; a DROP and re-CREATE would leave a gap in which an insert into
    the source table fills nothing. Re-running it with the same query changes nothing.
    """

    def statements(self, target: Target) -> list[str]:
        head = f"{target.qualified(self.name)}{target.on_cluster}"
        return [f"ALTER TABLE {head} MODIFY QUERY\n{self.select(target)}"]


@dataclass(frozen=True)
class AddColumn:
    """A column added to a table an earlier version created (and to its Distributed table)."""

    table: str  # logical table name
    column: str  # name and type, as in a column list
    after: str

    def statements(self, target: Target) -> list[str]:
        storage = target.storage[self.table]
        tables = [storage] if storage == self.table else [storage, self.table]  # rows first, then the view of them
        return [
            f"ALTER TABLE {target.qualified(name)}{target.on_cluster}"
            f" ADD COLUMN IF NOT EXISTS {self.column} AFTER {quote_identifier(self.after)}"
            for name in tables
        ]


@dataclass(frozen=True)
class Backfill:
    """The rows a new materialized view's table would hold had the view always existed, copied
    once, after the view is created (so no insert falls between the two). ``query`` selects the
    rows in the table's column order and must skip the rows already there, so repeating it (an
    interrupted migration runs again) copies nothing twice."""

    table: str  # logical table name
    query: str  # fragment name in sql/

    def statements(self, target: Target) -> list[str]:
        # Run once, not on every node: on a cluster it reads and writes the Distributed tables.
        whole = replace(target, storage={name: name for name in target.storage})
        select = sql_text(self.query).format_map(whole.names())
        return [f"INSERT INTO {target.qualified(self.table)}\n{select}"]


@dataclass(frozen=True)
class AddIndex:
    """A data-skipping index added to a table an earlier version created (on the rows' table).

    Parts written from then on carry it; older parts are read as before, without it (building it
    for them is a mutation that rewrites the table, not something a migration should start)."""

    table: str  # logical table name
    index: str  # name, expression, TYPE and GRANULARITY, as in a CREATE TABLE

    def statements(self, target: Target) -> list[str]:
        storage = target.qualified(target.storage[self.table])
        return [f"ALTER TABLE {storage}{target.on_cluster} ADD INDEX IF NOT EXISTS {self.index}"]


@dataclass(frozen=True)
class Dictionary:
    """A dictionary whose full DDL body (source, layout, lifetime) is a fragment in sql/."""

    name: str
    body: str  # fragment name in sql/

    def statements(self, target: Target, *, replace: bool = False) -> list[str]:
        body = sql_text(self.body).format_map(target.names())
        create = "CREATE OR REPLACE DICTIONARY" if replace else "CREATE DICTIONARY IF NOT EXISTS"
        return [f"{create} {target.qualified(self.name)}{target.on_cluster}\n{body}"]


SchemaObject = Table | View | Dictionary | AddColumn | AddIndex | Backfill


def quote_identifier(identifier: str) -> str:
    return "`" + identifier.replace("\\", "\\\\").replace("`", "\\`") + "`"


def _quote_literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
