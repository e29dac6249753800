"""The cluster rendering, checked as text: it cannot run here (no ClickHouse cluster)."""

from __future__ import annotations

import re

import pytest

from otel_llm.schema import DEFAULT_TTL_DAYS, render, render_script
from otel_llm.schema.__main__ import main as schema_main

SHARDED = (
    "otel_traces", "otel_traces_trace_id_ts", "llm_calls", "llm_usage_hourly", "llm_usage_daily_user", "otel_logs",
    "llm_calls_by_cost", "llm_usage_daily_user_totals",
)  # fmt: skip
EVERY_NODE = ("schema_migrations", "llm_prices")  # whole on every node, so no Distributed table
VIEWS = (
    "otel_traces_trace_id_ts_mv", "llm_calls_mv", "llm_usage_hourly_mv", "llm_usage_daily_user_mv",
    "llm_calls_from_logs_mv", "llm_calls_by_cost_mv",
    "llm_usage_daily_user_totals_mv",
)  # fmt: skip


def _create(statements: list[str], name: str) -> str:
    pattern = re.compile(rf"^CREATE (TABLE|MATERIALIZED VIEW|VIEW|DICTIONARY) IF NOT EXISTS `otel`\.`{name}`[ \n]")
    found = [s for s in statements if pattern.match(s)]
    assert len(found) == 1, f"{name}: {len(found)} statements"
    return found[0]


def test_every_cluster_statement_runs_on_the_cluster() -> None:
    """DDL names the cluster; a backfill inserts once, into the Distributed table, which spreads the rows."""
    statements = render(cluster="c")
    ddl = [s for s in statements if not s.startswith("INSERT INTO ")]
    assert ddl and all(" ON CLUSTER `c`" in s.split("\n", 1)[0] for s in ddl)
    backfills = [s for s in statements if s.startswith("INSERT INTO ")]
    assert [s.split("\n", 1)[0] for s in backfills] == [
        "INSERT INTO `otel`.`llm_calls_by_cost`", "INSERT INTO `otel`.`llm_usage_daily_user_totals`"]
    assert all("_local`" not in s for s in backfills)


def test_sharded_tables_are_replicated_locals_under_distributed_tables() -> None:
    statements = render(cluster="c")
    for name in SHARDED:
        local = _create(statements, f"{name}_local")
        assert re.search(r"ENGINE = Replicated\w*MergeTree\('/clickhouse/tables/\{shard\}/", local), name
        assert "replicated_deduplication_window = 10000" in local
        assert "non_replicated" not in local
        distributed = _create(statements, name)
        assert f"AS `otel`.`{name}_local`\nENGINE = Distributed('c', 'otel', '{name}_local'," in distributed


def test_reference_tables_replicate_to_every_node_without_a_distributed_table() -> None:
    statements = render(cluster="c")
    for name in EVERY_NODE:
        table = _create(statements, name)
        assert "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/" in table or (
            "ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/" in table
        )
        assert not [s for s in statements if f"`otel`.`{name}_local`" in s]


def test_views_run_on_every_node_and_read_and_write_the_local_tables() -> None:
    statements = render(cluster="c")
    for name in VIEWS:
        view = _create(statements, name)
        assert re.search(r" TO `otel`\.`\w+_local`\n", view), name
        assert re.search(r"FROM `otel`\.`\w+_local`", view), name
    assert "'otel.llm_prices_dict'" in _create(statements, "llm_calls_mv")


def test_the_single_node_rendering_has_no_cluster_parts() -> None:
    text = "\n".join(render())
    assert "ON CLUSTER" not in text and "Replicated" not in text and "Distributed" not in text
    assert "_local" not in text
    assert text.count("non_replicated_deduplication_window = 10000") == len(SHARDED) + len(EVERY_NODE)


def test_ttl_days_override_the_defaults_per_table_and_zero_keeps_forever() -> None:
    statements = render(ttl_days={"otel_traces": 7, "llm_calls": 0})
    assert "TTL toDateTime(Timestamp) + toIntervalDay(7)\n" in _create(statements, "otel_traces")
    assert "TTL" not in _create(statements, "llm_calls")
    hourly_days = DEFAULT_TTL_DAYS["llm_usage_hourly"]
    assert f"TTL Hour + toIntervalDay({hourly_days})\n" in _create(statements, "llm_usage_hourly")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ttl_days": {"otel_spans": 3}}, "unknown tables"),
        ({"ttl_days": {"otel_traces": -1}}, ">= 0"),
        ({"database": "my-db"}, "plain identifier"),
        ({"cluster": ""}, "cluster"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        render(**kwargs)


def test_the_command_line_prints_the_script_with_ttl_overrides(capsys: pytest.CaptureFixture[str]) -> None:
    assert schema_main(["--cluster", "c", "--database", "llm", "--ttl-days", "llm_calls=90"]) == 0
    script = capsys.readouterr().out
    assert script == render_script("llm", cluster="c", ttl_days={"llm_calls": 90})
    assert script.count(";\n\n") == len(render("llm", cluster="c"))
    assert "TTL toDateTime(Timestamp) + toIntervalDay(90)" in script


ROLLUPS = ("llm_calls", "llm_usage_hourly", "llm_usage_daily_user")


def test_version_5_adds_the_1h_column_to_the_locals_first_then_the_distributed_tables() -> None:
    alters = [s for s in render(cluster="c") if " ADD COLUMN " in s and "CacheWrite1hTokens" in s]
    expected = [
        f"ALTER TABLE `otel`.`{name}{suffix}` ON CLUSTER `c` ADD COLUMN IF NOT EXISTS CacheWrite1hTokens"
        for name in ROLLUPS
        for suffix in ("_local", "")
    ]
    assert [s.split(" UInt64")[0].split(" SimpleAggregateFunction")[0] for s in alters] == expected
    assert all(s.endswith(" AFTER `CacheWriteTokens`") for s in alters)


ROLLUP_VIEWS = ["llm_usage_daily_user_mv", "llm_usage_hourly_mv"]


def test_version_5_swaps_the_view_queries_in_place_reading_the_local_tables() -> None:
    statements = render(cluster="c")
    modified: dict[str, str] = {}
    for s in statements:
        if " MODIFY QUERY\n" in s:
            modified.setdefault(s.split("`")[3], s)  # the first MODIFY of each view is version 5's
    # (version 9 also gives the events' view, created by version 8, a new query)
    assert sorted(modified) == ["llm_calls_from_logs_mv", "llm_calls_mv", *ROLLUP_VIEWS]
    calls = modified["llm_calls_mv"]
    assert "AS CacheWrite1hTokens" in calls and "'CacheWrite1hPrice'" in calls
    assert "FROM `otel`.`otel_traces_local`" in calls
    for rollup in ("llm_usage_hourly_mv", "llm_usage_daily_user_mv"):
        assert "sum(CacheWrite1hTokens) AS CacheWrite1hTokens" in modified[rollup]
        assert "FROM `otel`.`llm_calls_local`" in modified[rollup]
    # Every ADD COLUMN comes before the first view that fills the column.
    first_modify = next(i for i, s in enumerate(statements) if " MODIFY QUERY\n" in s)
    assert max(i for i, s in enumerate(statements) if " ADD COLUMN IF NOT EXISTS CacheWrite1h" in s) < first_modify


def test_version_6_adds_pricing_source_before_the_view_that_fills_it() -> None:
    statements = render(cluster="c")
    adds = [i for i, s in enumerate(statements) if " ADD COLUMN IF NOT EXISTS PricingSource " in s]
    last_modify = max(i for i, s in enumerate(statements) if "`llm_calls_mv` ON CLUSTER `c` MODIFY QUERY\n" in s)
    assert len(adds) == 2 and max(adds) < last_modify
    view = statements[last_modify]
    assert "AS PricingSource" in view and "AS SuspectUsage" in view and "AS CacheWrite1hTokens" in view
    assert "FROM `otel`.`otel_traces_local`" in view and "{" not in view


def test_versions_3_and_4_still_render_as_applied_without_the_1h_column() -> None:
    statements = render()
    for view in ("llm_calls_mv", "llm_usage_hourly_mv", "llm_usage_daily_user_mv"):
        created = _create(statements, view)
        assert "CacheWrite1h" not in created, view
        assert "{" not in created and "}" not in created, view  # every sub-fragment was filled in


def test_version_9_adds_its_columns_before_the_views_that_fill_them_and_renders_every_fragment() -> None:
    statements = render(cluster="c")
    adds = [i for i, s in enumerate(statements) if " ADD COLUMN IF NOT EXISTS AdjustedCount " in s
            or " ADD COLUMN IF NOT EXISTS ParentSpanId " in s]
    modifies = [i for i, s in enumerate(statements) if " MODIFY QUERY\n" in s and "AdjustedCount" in s]
    assert len(adds) == 4 and len(modifies) == 4 and max(adds) < min(modifies)
    for i in modifies:
        assert "{" not in statements[i]  # every fragment and name rendered
    index = [s for s in statements if "ADD INDEX IF NOT EXISTS idx_trace_id" in s]
    assert index == [s for s in index if "`llm_calls_local`" in s] and len(index) == 1
