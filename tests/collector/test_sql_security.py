"""Issue 17's findings against the SQL endpoint, each replayed on a real collector over real HTTP.

Every test proves the query did not run (not only that it was refused): the store's tables and
row counts are unchanged, the canary file does not exist, the canary HTTP server saw no request.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter

from otel_llm.query import CollectorSource, QueryError
from otel_llm_collector.config import CollectorConfig
from otel_llm_collector.sql import SqlEndpoint
from tests.collector.conftest import TOKEN, emit, unique_service, wait_until
from tests.collector.harness import RunningCollector, start_collector
from tests.collector.sql_hostile import (
    SETTINGS_SNAPSHOT,
    STORE_SNAPSHOT,
    Canary,
    ask,
    ask_raw,
    assert_clean_refusal,
    rss_bytes,
    watching_health,
)


@pytest.fixture(scope="module")
def store(sql_store: RunningCollector) -> RunningCollector:
    return sql_store


@pytest.fixture
def unchanged(store: RunningCollector, canary: Canary, tmp_path: Path) -> Iterator[Path]:
    """Yields a path no query may create; afterwards asserts the store, the session and the network untouched."""
    before = _settled_snapshot(store)
    settings = store.sql(SETTINGS_SNAPSHOT)
    hits = len(canary.hits)
    written = tmp_path / "written.txt"
    yield written
    assert store.sql(STORE_SNAPSHOT) == before
    assert store.sql(SETTINGS_SNAPSHOT) == settings
    assert canary.hits[hits:] == []
    assert not written.exists()
    assert store.get("/readyz")[0] == 200


def _settled_snapshot(store: RunningCollector) -> list[list[object]]:
    """The store's tables and row counts once two reads agree: spans an earlier test of this module
    sent may still be draining (and a view's target counts its rows a moment later), which is not
    a write of the query under test."""
    previous = store.sql(STORE_SNAPSHOT)
    for _ in range(50):
        time.sleep(0.2)
        current = store.sql(STORE_SNAPSHOT)
        if current == previous:
            return current
        previous = current
    return previous


# -- 1: several statements in one query ------------------------------------------------------------


@pytest.mark.parametrize(
    "second",
    [
        "TRUNCATE TABLE otel.otel_traces",
        "DROP TABLE otel.otel_traces",
        "CREATE TABLE otel.evil (a Int32) ENGINE = Memory",
        "INSERT INTO otel.otel_traces (SpanName) VALUES ('evil')",
        "SET readonly = 0",
        "SELECT * FROM url('{canary}/x', 'LineAsString')",
        "SELECT sum(number) FROM numbers(1e12)",  # escaped the time limit as a middle statement
    ],
)
@pytest.mark.parametrize("separator", [";", " ; ", ";\n-- c\n", "/* a */;/* b */"])
def test_several_statements_are_refused_before_any_runs(
    store: RunningCollector, canary: Canary, unchanged: Path, second: str, separator: str
) -> None:
    query = separator.join(["SELECT 1", second.format(canary=canary.url), "SELECT 1"])
    answer = ask(store, query)
    message = assert_clean_refusal(answer, 400)
    assert "Multi-statements are not allowed" in message
    assert "parseQueryToJSON" not in message and "In scope" not in message  # the user's query, not our wrapper
    assert answer.seconds < 5


def test_a_trailing_semicolon_is_still_one_statement(store: RunningCollector) -> None:
    assert store.sql("SELECT 1;") == [[1]]


def test_new_spans_still_land_after_the_hostile_queries(store: RunningCollector) -> None:
    service = unique_service("after")
    emit(HttpExporter(endpoint=store.url + "/v1/traces", headers=store.auth_headers), service, 3)
    assert store.wait_for("SELECT count() FROM otel_traces WHERE ServiceName = {s:String}", 3, s=service) == 3


# -- 2, 4: no file and no network, in any position -------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "SELECT file('/etc/passwd')",
        "SELECT FILE('/proc/self/cmdline')",  # holds the token
        "SELECT arrayMap(p -> file(p), ['/etc/passwd'])",
        "SELECT length(file('/etc/passwd')) FROM numbers(1)",
        "SELECT * FROM (SELECT file('/etc/passwd') AS f)",
        "WITH file('/etc/passwd') AS f SELECT f",
        "SELECT * FROM file('/etc/passwd', 'LineAsString')",
        "SELECT 1 WHERE 1 IN (SELECT 1 FROM file('/etc/passwd', 'LineAsString'))",
        "SELECT * FROM url('{canary}/u', 'CSVWithNames')",
        "SELECT * FROM URL('{canary}/u', 'CSVWithNames')",
        "SELECT 1 FROM numbers(1) AS a JOIN url('{canary}/j', 'CSVWithNames') AS b ON 1",
        "EXPLAIN SELECT * FROM url('{canary}/e', 'CSVWithNames')",
        "EXPLAIN ESTIMATE SELECT * FROM url('{canary}/e', 'CSVWithNames')",
        "DESC url('{canary}/d', 'CSVWithNames')",
        "DESCRIBE TABLE url('{canary}/d', 'CSVWithNames')",
        "SELECT * FROM remote('127.0.0.1:1', system.one)",
        "SELECT * FROM s3('{canary}/bucket/x.csv', 'CSV')",
        "SELECT * FROM hdfs('hdfs://127.0.0.1:1/x', 'CSV')",
        "SELECT * FROM mysql('127.0.0.1:1', 'd', 't', 'u', 'p')",
        "SELECT * FROM postgresql('127.0.0.1:1', 'd', 't', 'u', 'p')",
        "SELECT * FROM executable('cat /etc/passwd', 'LineAsString', 'x String')",
        "SELECT * FROM dictionary('otel.llm_prices_dict')",
        "SELECT * FROM cluster('default', system.one)",
        "SELECT * FROM view(SELECT file('/etc/passwd'))",
        "SELECT logTrace('written to the server log')",
        "SELECT aiGenerate('hello')",
        "EXISTS TABLE otel.otel_traces",
        "SHOW CREATE TABLE otel.otel_traces",
        "EXPLAIN TABLE OVERRIDE mysql('127.0.0.1:1', 'd', 't', 'u', 'p') PARTITION BY x",
        "EXPLAIN AST DROP TABLE otel.otel_traces",
    ],
)
def test_files_urls_and_remote_sources_are_refused_before_anything_runs(
    store: RunningCollector, canary: Canary, unchanged: Path, query: str
) -> None:
    answer = ask(store, query.format(canary=canary.url))
    assert_clean_refusal(answer, 403)
    text = json.dumps(answer.document)
    assert "root:" not in text and TOKEN not in text and "canary-reply" not in text


# -- 3: INTO OUTFILE, in every form ----------------------------------------------------------------


@pytest.mark.parametrize(
    "clause",
    ["", " APPEND", " TRUNCATE", " COMPRESSION 'gzip'", " AND STDOUT", " APPEND AND STDOUT"],
)
def test_into_outfile_never_runs(store: RunningCollector, unchanged: Path, clause: str) -> None:
    answer = ask(store, f"SELECT 'x' INTO OUTFILE '{unchanged}'{clause}")
    assert "INTO OUTFILE" in assert_clean_refusal(answer, 403)


def test_ddl_writes_and_setting_changes_are_refused(store: RunningCollector, unchanged: Path) -> None:
    for query in (
        "INSERT INTO otel.otel_traces (SpanName) VALUES ('x')",
        f"INSERT INTO FUNCTION file('{unchanged}', 'CSV', 'a String') VALUES ('x')",
        "CREATE TABLE otel.evil (a Int32) ENGINE = Memory",
        "ALTER TABLE otel.otel_traces DELETE WHERE 1",
        "SET readonly = 0",
        "SELECT 1 SETTINGS readonly = 0",
        "SELECT 1 SETTINGS max_result_rows = 0",
        "SELECT 1 SETTINGS max_execution_time = 0",
        "KILL QUERY WHERE 1",
        "SYSTEM SHUTDOWN",
        f"BACKUP TABLE otel.otel_traces TO File('{unchanged}')",
    ):
        assert_clean_refusal(ask(store, query), 403)


# -- 5: inputs that made the old first-word regex backtrack ----------------------------------------


@pytest.mark.parametrize("repeat", [26, 40, 5000])
def test_comment_runs_are_answered_at_once_and_never_stall_the_collector(store: RunningCollector, repeat: int) -> None:
    with watching_health(store) as health:
        answer = ask(store, "/**/" * repeat + "!")
    assert_clean_refusal(answer, 400)
    assert answer.seconds < 2  # the old check took 12.4 s at 26 and doubled with each extra comment
    assert health.slowest < 2


def test_comments_and_strings_do_not_hide_a_statement(store: RunningCollector, unchanged: Path) -> None:
    hidden = "/* ; DROP TABLE otel.otel_traces */ SELECT ';DROP TABLE x' -- ; TRUNCATE\n"
    assert store.sql(hidden) == [[";DROP TABLE x"]]
    assert_clean_refusal(ask(store, "SELECT 1 /* unclosed ; DROP TABLE otel.otel_traces"), 400)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT " + "(" * 30000 + "1" + ")" * 30000,
        "SELECT " + "tuple(" * 400 + "1" + ")" * 400,  # parses, deeper than Python's JSON reader goes
        "SELECT " + "+".join(["1"] * 10000),
        "SELECT " + "-" * 60000 + "1",
        "SELECT 1" + " " * 70000,
    ],
)
def test_deep_and_long_queries_are_refused_at_once(store: RunningCollector, unchanged: Path, query: str) -> None:
    answer = ask(store, query)
    assert_clean_refusal(answer, 400, 403)
    assert answer.seconds < 2
    assert "Traceback" not in store.log()


# -- 8: result size --------------------------------------------------------------------------------


def test_a_huge_result_is_refused_without_ballooning_memory(store: RunningCollector) -> None:
    pid = store.process.pid
    before = rss_bytes(pid)
    for query in (
        "SELECT repeat('a', 1000000) FROM numbers(400)",  # 400 MB: one block, over the memory limit
        "SELECT repeat('a', 100000) FROM numbers(400)",  # 40 MB: over the engine's result bytes
        "SELECT repeat(char(1), 1000000) FROM numbers(12)",  # 12 MB, six times that as escaped JSON
    ):
        answer = ask(store, query)
        message = assert_clean_refusal(answer, 400)
        assert any(word in message for word in ("MEMORY_LIMIT", "max bytes", "bytes of JSON")), message
    # issue 17: 500 MB -> 1.9 GB. What a refused query used is returned within a second or two
    # (chdb's allocator is tuned to give pages back after one second, see collector/memory.py).
    assert wait_until(lambda: rss_bytes(pid) - before < 150 << 20, timeout=10), rss_bytes(pid) - before
    assert store.sql("SELECT count() FROM numbers(10)") == [[10]]


def test_result_rows_are_limited_by_the_engine(store: RunningCollector) -> None:
    answer = ask(store, "SELECT number FROM system.numbers LIMIT 200000")
    assert "max rows" in assert_clean_refusal(answer, 400)


# -- 11: request shapes ----------------------------------------------------------------------------


def test_parameters_the_query_does_not_use_are_a_clean_400(store: RunningCollector) -> None:
    message = assert_clean_refusal(ask(store, "SELECT '100%'", {"x": 1}), 400)
    assert "not used" in message
    assert ask(store, "SELECT '100%'").document["rows"] == [["100%"]]
    assert_clean_refusal(ask(store, "SELECT { x : UInt8 }", {"x": 1}), 400)  # would be %-formatted client-side
    assert ask(store, "SELECT {x:String}", {"x": "a'; DROP TABLE t --"}).document["rows"] == [["a'; DROP TABLE t --"]]


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 200_000,
        b'{"query": ' + b"[" * 200_000,
        b"{" * 100_000,
        b"\xff\xfe",
        b"null",
        b"[]",
        b'{"query": "x", "parameters": []}',
    ],
)
def test_malformed_bodies_are_a_clean_400(store: RunningCollector, body: bytes) -> None:
    assert_clean_refusal(ask_raw(store, body), 400)
    assert "Traceback" not in store.log()


def test_an_empty_result_keeps_its_columns_without_a_second_query(store: RunningCollector) -> None:
    answer = ask(store, "SELECT SpanName, Duration FROM otel_traces WHERE 0")
    types = ["LowCardinality(String)", "UInt64"]
    assert answer.document == {"columns": ["SpanName", "Duration"], "types": types, "rows": []}


# -- 9: SIGTERM cancels a running query ------------------------------------------------------------


def test_sigterm_cancels_a_running_query_within_the_grace(tmp_path: Path) -> None:
    running = start_collector(tmp_path / "c", "--sql-timeout", "300", "--shutdown-grace", "3")
    answers: list[tuple[int, bytes]] = []

    def report() -> None:
        body = json.dumps({"query": "SELECT sum(sipHash64(number)) FROM numbers(1e13)"}).encode()
        try:
            status, _headers, answer = running.post("/v1/sql", body, {"Content-Type": "application/json"})
            answers.append((status, answer))
        except OSError as exc:  # the server closed the connection while stopping
            answers.append((0, str(exc).encode()))

    thread = threading.Thread(target=report)
    thread.start()
    time.sleep(2)  # the query is running (minutes of work)
    started = time.monotonic()
    assert running.stop(signal.SIGTERM, timeout=60) == 0
    took = time.monotonic() - started
    thread.join(30)
    assert took < 3 + 5, f"SIGTERM took {took:.1f} s with a 3 s grace"  # issue 17: 87.6 s
    assert answers and answers[0][0] in (0, 503), answers
    assert "Traceback" not in running.log()


# -- README: what the section promises --------------------------------------------------------------

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_reader_sql() -> list[str]:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"### Security of the SQL endpoint\n.*?```sql\n(.*?)```", text, re.S)
    assert block, "README lost its read-only user SQL"
    return [line.rstrip(";") for line in block.group(1).splitlines() if line.strip()]


def test_the_readme_reader_user_sql_is_valid_clickhouse_sql(store: RunningCollector) -> None:
    statements = _readme_reader_sql()
    assert len(statements) == 3
    for statement in statements:  # ClickHouse's own parser, through the endpoint (formatQuery only parses)
        assert store.sql("SELECT formatQuery({q:String}) != ''", q=statement) == [[1]]


def test_the_readme_reader_profile_admits_every_setting_the_endpoint_sets() -> None:
    """A ``readonly = 1`` profile makes clickhouse-connect refuse a setting the endpoint sets unless
    the profile already holds that value (the client then skips it) or marks it
    CHANGEABLE_IN_READONLY with a MAX the collector's defaults fit under. No server runs here: this
    checks the README's SQL against the endpoint's settings, not a server's answer to them."""
    profile = _readme_reader_sql()[0]
    elements = {}
    for item in profile.rsplit(" SETTINGS ", 1)[1].split(", "):
        name, _, rest = item.partition(" = ")
        value, *constraint = rest.split(" ")
        elements[name] = (value.strip("'"), constraint)
    endpoint = SqlEndpoint(
        lambda: None, max_rows=CollectorConfig.sql_max_rows, timeout=CollectorConfig.sql_timeout  # type: ignore[arg-type,return-value]
    )
    for name, value in endpoint._session_settings:
        assert name in elements, f"README profile lacks {name}"
        fixed, constraint = elements[name]
        if constraint:
            assert constraint[0] == "MAX" and constraint[2] == "CHANGEABLE_IN_READONLY", (name, constraint)
            assert float(value) <= float(constraint[1]), (name, value, constraint)
        else:
            assert fixed == str(value), (name, fixed, value)


def test_the_embedded_engine_has_no_user_management_as_the_readme_says(tmp_path: Path) -> None:
    statement = _readme_reader_sql()[1]
    script = "import sys, chdb\ntry:\n chdb.connect(sys.argv[1]).query(sys.argv[2])\nexcept Exception as e:\n print(e)"
    command = [sys.executable, "-c", script, str(tmp_path / "chdb"), statement]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert "ACCESS_DENIED" in done.stdout, done


def test_the_allowed_table_functions_answer(store: RunningCollector) -> None:
    assert store.sql("SELECT count() FROM numbers(3)") == [[3]]
    assert store.sql("SELECT count() FROM generate_series(1, 4)") == [[4]]
    assert store.sql("SELECT * FROM values('a UInt8', 7)") == [[7]]
    assert store.sql("SELECT count() FROM null('a UInt8')") == [[0]]
    assert store.sql("SHOW COLUMNS FROM otel_traces LIKE 'SpanName'")[0][0] == "SpanName"


# -- the client side: CollectorSource ---------------------------------------------------------------


def test_collector_source_gets_exact_types_back_and_one_line_errors(store: RunningCollector) -> None:
    source = CollectorSource(store.url, token=TOKEN)
    result = source.query(
        "SELECT toDateTime64('2024-01-02 03:04:05.123456789', 9) AS ns,"
        " toDateTime64('2024-01-02 03:04:05.1', 1, 'UTC') AS zoned, toDecimal64('0.1', 9) * 3 AS money,"
        " toUInt64(18446744073709551615) AS big, toDate('2024-02-29') AS d"
    )
    assert result.dicts() == [
        {
            "ns": dt.datetime(2024, 1, 2, 3, 4, 5, 123456),
            "zoned": dt.datetime(2024, 1, 2, 3, 4, 5, 100000, tzinfo=dt.timezone.utc),
            "money": Decimal("0.300000000"),
            "big": 18446744073709551615,
            "d": dt.date(2024, 2, 29),
        }
    ]
    with pytest.raises(QueryError) as refused:
        source.query("SELECT 1; DROP TABLE otel.otel_traces")
    assert str(refused.value).startswith("collector answered 400: ") and "\n" not in str(refused.value)
    with pytest.raises(QueryError) as syntax:
        source.query("SELEC 1")
    assert str(syntax.value).startswith("collector answered 400: Code: 62. DB::Exception: Syntax error: failed at")
    assert "parseQueryToJSON" not in str(syntax.value) and "In scope" not in str(syntax.value)
