"""The DSN client: one resolution order, credentials from the environment, no password in logs.

The HTTP cases talk to a tiny local server that records what clickhouse-connect sends; it answers
500, so connect() raises after the first request, which is all these tests need to see.
"""

from __future__ import annotations

import base64
import http.server
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError

from otel_llm import semconv
from otel_llm.store import connect, dictionary_credentials, redact_dsn, resolve_dsn
from tests.fixtures.store import query_in_subprocess


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[dict[str, str]]
    release: threading.Event

    def _answer(self) -> None:
        self.seen.append({k.lower(): v for k, v in self.headers.items()})
        self.release.wait(10)  # blocks only while a test wants the client to time out
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[tuple[str, list[dict[str, str]], threading.Event]]:
    seen: list[dict[str, str]] = []
    release = threading.Event()
    release.set()
    handler = type("Handler", (_Recorder,), {"seen": seen, "release": release})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen, release
    release.set()
    server.shutdown()
    server.server_close()


def _credentials(headers: dict[str, str]) -> tuple[str, str]:
    if "authorization" in headers:
        user, _, password = base64.b64decode(headers["authorization"].split()[1]).decode().partition(":")
        return user, password
    return headers.get("x-clickhouse-user", ""), headers.get("x-clickhouse-key", "")


def test_the_argument_wins_then_the_variable_then_the_user_data_dir(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.delenv(semconv.ENV_CLICKHOUSE_ENDPOINT, raising=False)
    assert resolve_dsn() == f"chdb://{tmp_path / 'otel-llm'}"
    monkeypatch.setenv(semconv.ENV_CLICKHOUSE_ENDPOINT, "https://h:8443")
    assert resolve_dsn() == "https://h:8443"
    assert resolve_dsn("chdb:///data") == "chdb:///data"


def test_an_unsupported_scheme_is_refused_without_echoing_the_password(monkeypatch) -> None:
    monkeypatch.setenv(semconv.ENV_CLICKHOUSE_ENDPOINT, "tcp://bob:hunter2@h:9000")
    with pytest.raises(ValueError, match=semconv.ENV_CLICKHOUSE_ENDPOINT) as raised:
        resolve_dsn()
    assert "hunter2" not in str(raised.value)


@pytest.mark.parametrize(
    ("dsn", "shown"),
    [
        ("https://bob:p%40ss@h:8443/db", "https://bob:***@h:8443/db"),
        ("http://h:8123/?password=x&compress=1", "http://h:8123/?password=***&compress=1"),
        ("http://bob@h:8123", "http://bob@h:8123"),
        ("chdb:///var/lib/otel", "chdb:///var/lib/otel"),
    ],
)
def test_redact_dsn_hides_passwords_only(dsn: str, shown: str) -> None:
    assert redact_dsn(dsn) == shown


def test_credentials_come_from_the_environment_and_never_reach_a_log(
    http_server, monkeypatch, caplog: pytest.LogCaptureFixture
) -> None:
    url, seen, _ = http_server
    monkeypatch.setenv(semconv.ENV_CLICKHOUSE_USERNAME, "otel_writer")
    monkeypatch.setenv(semconv.ENV_CLICKHOUSE_PASSWORD, "s3cret-from-env")
    caplog.set_level(logging.DEBUG)

    with pytest.raises(DatabaseError):
        connect(url)

    assert seen and _credentials(seen[0]) == ("otel_writer", "s3cret-from-env")
    assert "s3cret" not in caplog.text


def test_a_password_in_the_dsn_is_used_and_redacted_in_logs(http_server, monkeypatch, caplog) -> None:
    url, seen, _ = http_server
    monkeypatch.delenv(semconv.ENV_CLICKHOUSE_USERNAME, raising=False)
    monkeypatch.delenv(semconv.ENV_CLICKHOUSE_PASSWORD, raising=False)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(DatabaseError):
        connect(url.replace("http://", "http://dsn_user:dsn-pass@"))
    assert _credentials(seen[0]) == ("dsn_user", "dsn-pass")
    assert "dsn-pass" not in caplog.text and "dsn_user:***@" in caplog.text


@pytest.mark.parametrize(
    ("dsn", "env", "expected"),
    [
        ("chdb:///data", {semconv.ENV_CLICKHOUSE_USERNAME: "u", semconv.ENV_CLICKHOUSE_PASSWORD: "p"}, None),
        ("http://h:8123", {}, None),
        ("http://dsn_user:p%40ss@h:8123", {}, ("dsn_user", "p@ss")),
        ("http://dsn_user:dsn-pass@h:8123", {semconv.ENV_CLICKHOUSE_USERNAME: "env_user"}, ("env_user", "dsn-pass")),
        ("http://h:8123", {semconv.ENV_CLICKHOUSE_USERNAME: "u"}, ("u", "")),  # a user without a password
        ("http://h:8123", {semconv.ENV_CLICKHOUSE_PASSWORD: "pw"}, ("default", "pw")),  # as clickhouse-connect logs in
        ("http://:pw@h:8123", {}, ("default", "pw")),
    ],
)
def test_the_price_dictionary_reads_with_the_stores_own_credentials(
    monkeypatch, dsn: str, env: dict[str, str], expected: tuple[str, str] | None
) -> None:
    for name in (semconv.ENV_CLICKHOUSE_USERNAME, semconv.ENV_CLICKHOUSE_PASSWORD):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert dictionary_credentials(dsn) == expected


def test_the_timeout_is_applied(http_server) -> None:
    url, _, release = http_server
    release.clear()  # the server now holds every request until the test ends
    with pytest.raises(OperationalError, match=r"(?i)timed? ?out"):
        connect(url, timeout_s=0.5)  # rounded up to 1 s, well before the server's 10 s


def test_a_bad_compression_argument_is_refused() -> None:
    with pytest.raises(ValueError, match="compression"):
        connect("http://127.0.0.1:9", compression="snappy")


def test_the_embedded_store_creates_its_missing_directory(tmp_path: Path) -> None:
    # Another chdb path cannot be opened in this process while the session's is open.
    target = tmp_path / "not" / "yet" / "there"
    assert query_in_subprocess(f"chdb://{target}", "SELECT 41 + 1") == [[42]]
    assert target.is_dir()
