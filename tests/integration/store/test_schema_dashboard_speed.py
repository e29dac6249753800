"""Schema version 10: the structures that keep the dashboard's reads small on a large store.

``llm_calls_by_cost`` holds every call, sorted by cost, and ``llm_usage_daily_user_totals`` the
daily per-user sums without model and feature; views fill both and, on upgrade, a backfill copies
what was stored before (once: an interrupted migration runs it again without counting twice).
Real chdb engine; spans inserted in the otel_traces layout as the exporter writes them.
"""

from __future__ import annotations

import datetime as dt
import uuid

from otel_llm import semconv
from otel_llm.query import ClickHouseSource
from otel_llm.query.reads import costliest_calls, usage_by
from otel_llm.schema import migrate, render
from tests.cli.conftest import Call
from tests.fixtures.store import Store, insert_spans, span_row

NOW = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
SINCE, UNTIL = NOW - dt.timedelta(days=3), NOW + dt.timedelta(hours=1)


def _calls(n: int, start: int = 0) -> list:
    """``n`` calls of distinct costs (one unpriced), spread over two days and three users."""
    calls = []
    for i in range(start, start + n):
        cost = None if i == 3 else f"0.{i + 1:04d}"
        call = Call(NOW - dt.timedelta(hours=i * 5), f"feature_{i % 2}", "gpt-4o", semconv.PROVIDER_OPENAI,
                    f"user_{i % 3}", input=100 + i, output=10, cost=cost, service="api" if i % 4 else "worker")
        calls.append(span_row(call.attributes(), at=call.at.replace(tzinfo=dt.timezone.utc), service=call.service))
    return calls


def _by_cost_rows(store: Store, database: str) -> list[tuple]:
    return store.client.query(
        f"SELECT TraceId, SpanId, CostUSD FROM `{database}`.llm_calls_by_cost ORDER BY TraceId, SpanId").result_rows


def _calls_rows(store: Store, database: str) -> list[tuple]:
    return store.client.query(
        f"SELECT TraceId, SpanId, CostUSD FROM `{database}`.llm_calls ORDER BY TraceId, SpanId").result_rows


def _naive_costliest(store: Store, database: str, limit: int, **where: str) -> list[tuple]:
    """What the read returned before version 10: the whole of llm_calls, sorted."""
    clauses = "".join(f" AND {column} = '{value}'" for column, value in where.items())
    return [tuple(r) for r in store.client.query(
        f"SELECT Timestamp, Feature, Model, UserId, InputTokens, OutputTokens, CostUSD, TraceId"
        f" FROM `{database}`.llm_calls WHERE Timestamp >= %(s)s AND Timestamp < %(u)s{clauses}"
        f" ORDER BY CostUSD DESC, Timestamp LIMIT {limit}", parameters={"s": SINCE, "u": UNTIL}).result_rows]


def _user_totals(store: Store, database: str, table: str) -> list[tuple]:
    return store.client.query(
        f"SELECT ServiceName, UserId, Day, sum(Calls), sum(Errors), sum(UnpricedCalls), sum(InputTokens),"
        f" sum(OutputTokens), sum(CostUSD) FROM `{database}`.{table}"
        f" GROUP BY ServiceName, UserId, Day ORDER BY ServiceName, UserId, Day").result_rows


def _assert_copies_complete(store: Store, database: str, calls: int) -> None:
    assert _by_cost_rows(store, database) == _calls_rows(store, database)
    assert len(_calls_rows(store, database)) == calls
    totals = _user_totals(store, database, "llm_usage_daily_user_totals")
    assert totals == _user_totals(store, database, "llm_usage_daily_user")
    assert sum(row[3] for row in totals) == calls


def test_a_version_8_store_upgrades_through_9_with_its_calls_copied_once(store_client, store: Store) -> None:
    database = f"test_v8_{uuid.uuid4().hex[:8]}"
    old = Store(store_client, database)
    try:
        assert migrate(store_client, database, to_version=8) == [1, 2, 3, 4, 5, 6, 7, 8]
        insert_spans(store_client, database, _calls(12))
        assert migrate(store_client, database) == [9, 10]
        _assert_copies_complete(old, database, 12)  # the backfills copied every call stored before

        for sql in _backfills(database):  # an interrupted migration runs its backfills again...
            store_client.command(sql)
        _assert_copies_complete(old, database, 12)  # ...and they copy nothing twice

        insert_spans(store_client, database, _calls(5, start=12))  # after the upgrade the views fill both
        _assert_copies_complete(old, database, 17)
    finally:
        store_client.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")


def _backfills(database: str) -> list[str]:
    statements = [s for s in render(database) if s.startswith("INSERT INTO ")]
    assert len(statements) == 2
    return statements


def test_costliest_calls_are_those_of_llm_calls_for_every_filter_and_limit(store: Store) -> None:
    insert_spans(store.client, store.database, _calls(20))
    source = ClickHouseSource(store.client)
    for limit in (1, 3, 20, 50):
        for where, filters in (({}, {}), ({"ServiceName": "api"}, {"service": "api"}),
                               ({"Feature": "feature_1"}, {"feature": "feature_1"})):
            got = costliest_calls(source, store.database, SINCE, UNTIL, limit, **filters).rows
            assert got == _naive_costliest(store, store.database, limit, **where), (limit, filters)
    rows = costliest_calls(source, store.database, SINCE, UNTIL, 50).rows
    assert rows[-1][6] is None and all(r[6] is not None for r in rows[:-1])  # unpriced last, cost unknown


def test_spend_per_user_reads_the_totals_and_equals_the_full_rollup(store: Store) -> None:
    insert_spans(store.client, store.database, _calls(20))
    source = ClickHouseSource(store.client)
    recorded: list[str] = []

    class Recording(ClickHouseSource):
        def query(self, sql, parameters=None, *, readonly=False):  # type: ignore[no-untyped-def]
            recorded.append(sql)
            return super().query(sql, parameters, readonly=readonly)

    reading = Recording(store.client)
    by_user = usage_by(reading, store.database, ("user",), SINCE, UNTIL)
    by_user_api = usage_by(reading, store.database, ("user", "day"), SINCE, UNTIL, service="api")
    by_user_model = usage_by(reading, store.database, ("user", "model"), SINCE, UNTIL)
    reads = [sql for sql in recorded if ".llm_usage_" in sql]  # not the probe for other projects' rows
    assert [".llm_usage_daily_user_totals " in sql for sql in reads] == [True, True, False]

    def full(sql: str) -> list[tuple]:
        return source.query(sql.replace(".llm_usage_daily_user_totals ", ".llm_usage_daily_user "),
                            {"since": SINCE, "until": UNTIL, "service": "api"}).rows

    assert by_user.rows == full(reads[0]) and len(by_user.rows) == 3
    assert by_user_api.rows == full(reads[1]) and by_user_api.rows
    assert {r[0] for r in by_user_model.rows} == {r[0] for r in by_user.rows}
