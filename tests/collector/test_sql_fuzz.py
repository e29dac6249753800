"""Hypothesis against the SQL endpoint of a real collector: no write, no file, no network, no stall.

Queries are built from the pieces that fooled text checks before: comments (line, block, nested,
unclosed), strings and quoted identifiers holding separators, unicode, statement separators,
write and DDL statements, file/URL/remote table functions, ``file()``, INTO OUTFILE and SETTINGS
clauses that would lift the limits. Whatever the answer (200 for a harmless read), the store's
tables and row counts, the session's settings, a canary file and a canary HTTP server prove that
nothing escaped, and ``/healthz`` polled all along proves nothing stalled.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.collector.harness import RunningCollector
from tests.collector.sql_hostile import SETTINGS_SNAPSHOT, STORE_SNAPSHOT, Canary, ask, watching_health

EXAMPLES = 400


def _pieces(canary: str, written: Path) -> list[str]:
    return [
        "SELECT 1",
        "SELECT count() FROM otel_traces",
        "WITH 1 AS x SELECT x",
        "(SELECT 1)",
        "SHOW TABLES",
        "EXPLAIN SELECT 1",
        "SELECT 1 UNION ALL SELECT 2",
        "SHOW COLUMNS FROM otel_traces",
        "TRUNCATE TABLE otel.otel_traces",
        "DROP TABLE otel.otel_traces",
        "DROP DATABASE otel",
        "INSERT INTO otel.otel_traces (SpanName) VALUES ('fuzz')",
        "CREATE TABLE otel.fuzz (a Int8) ENGINE = Memory",
        "ALTER TABLE otel.otel_traces DELETE WHERE 1",
        "SET readonly = 0",
        "SET max_result_rows = 0",
        "RENAME TABLE otel.otel_traces TO otel.gone",
        "DETACH TABLE otel.otel_traces",
        "OPTIMIZE TABLE otel.otel_traces",
        "SYSTEM DROP MARK CACHE",
        "KILL QUERY WHERE 1",
        "GRANT ALL ON *.* TO default",
        f"INSERT INTO FUNCTION file('{written}', 'CSV', 'a String') VALUES ('x')",
        f"SELECT * FROM url('{canary}/f', 'CSVWithNames')",
        f"DESC url('{canary}/f', 'CSVWithNames')",
        f"SELECT 'x' INTO OUTFILE '{written}'",
        f"SELECT 'x' INTO OUTFILE '{written}' AND STDOUT",
        "SELECT file('/etc/passwd')",
        "SELECT * FROM file('/etc/passwd', 'LineAsString')",
        "SELECT * FROM remote('127.0.0.1:1', system.one)",
        "SELECT * FROM executable('id', 'LineAsString', 'x String')",
        f"SELECT * FROM s3('{canary}/b/k', 'CSV')",
        "SELECT 1 SETTINGS readonly = 0",
        "SELECT 1 SETTINGS max_execution_time = 0, max_result_rows = 0",
        "SELECT 1 FORMAT TSV",
        "SELECT sleep(0.01)",
    ]


_NOISE = [
    ";",
    " ; ",
    ";;",
    "\n",
    "\t",
    " ",
    "-- c\n",
    "-- ; DROP TABLE otel.otel_traces\n",
    "/* ; */",
    "/* /* nested */ */",
    "/*",
    "*/",
    "'",
    "';'",
    '"',
    "`;`",
    '"x;y"',
    "'\\';'",
    "$$;$$",
    "#;\n",
    "/**/" * 30,
    "\u00a0",
    "\u2028",
    "\u037e",
    "\uff53\uff45\uff4c\uff45\uff43\uff54",
    "é",
    "😀",
    "\x00",
    "{x:String}",
    "%(x)s",
    "%s",
    "(",
    ")",
    ",",
    "UNION ALL",
    "FROM",
]


def test_no_query_writes_reads_files_reaches_the_network_or_stalls(
    sql_store: RunningCollector, canary: Canary, tmp_path: Path
) -> None:
    store = sql_store
    written = tmp_path / "fuzz-written.txt"
    pieces = _pieces(canary.url, written)
    fragment = st.one_of(st.sampled_from(pieces), st.sampled_from(_NOISE), st.text(max_size=12))
    queries = st.one_of(
        st.lists(fragment, min_size=1, max_size=8).map("".join),
        st.tuples(st.sampled_from(pieces), st.sampled_from(_NOISE), st.sampled_from(pieces)).map(" ".join),
    )
    values = st.integers() | st.text(max_size=8)
    parameters = st.one_of(st.none(), st.dictionaries(st.sampled_from(["x", "y", "s"]), values))
    store_before = store.sql(STORE_SNAPSHOT)
    settings_before = store.sql(SETTINGS_SNAPSHOT)
    tried: list[str] = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(query=queries, params=parameters)
    def one(query: str, params: dict | None) -> None:
        tried.append(query)
        answer = ask(store, query, params)
        assert answer.status in (200, 400, 403), (query, answer)
        if answer.status != 200:
            message = answer.document["error"]
            assert "\n" not in message and "Traceback" not in message, (query, message)
        assert answer.seconds < 5, (query, answer.seconds)

    with watching_health(store) as health:
        one()
    assert len(tried) >= EXAMPLES
    assert store.sql(STORE_SNAPSHOT) == store_before
    assert store.sql(SETTINGS_SNAPSHOT) == settings_before
    assert canary.hits == []
    assert not written.exists()
    assert health.answers > 0 and health.slowest < 2, health.slowest
    assert store.get("/readyz")[0] == 200
    assert "Traceback" not in store.log()
    print(f"\n{len(tried)} fuzzed queries, slowest /healthz {health.slowest * 1000:.0f} ms")
