"""The SQL endpoint connects with its own DSN (``--sql-endpoint-dsn``), not the writer's.

No ClickHouse server runs here, so the endpoint's DSN points at a small HTTP server that records
who connects and answers like a server refusing the user: the test observes the user and
password the endpoint sent, while the store (chdb, written with the writer's DSN) keeps working.
Whether a real server accepts the README's read-only profile with the endpoint's settings is not
tested here.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.collector.harness import start_collector
from tests.collector.test_refusals import PROTOBUF, good_span, request_with


class _Observer(BaseHTTPRequestHandler):
    seen: list[str] = []

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        user = self.headers.get("X-ClickHouse-User") or ""
        auth = self.headers.get("Authorization") or ""
        if auth.startswith("Basic "):
            user = base64.b64decode(auth[6:]).decode()
        self.seen.append(user)
        body = b"Code: 516. DB::Exception: reader: Authentication failed. (AUTHENTICATION_FAILED)"
        self.send_response(500)
        self.send_header("X-ClickHouse-Exception-Code", "516")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def observer() -> Iterator[tuple[int, list[str]]]:
    seen: list[str] = []
    handler = type("Handler", (_Observer,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], seen
    server.shutdown()
    server.server_close()


def test_the_sql_endpoint_connects_as_its_own_user(tmp_path: Path, observer: tuple[int, list[str]]) -> None:
    port, seen = observer
    collector = start_collector(tmp_path, "--sql-endpoint-dsn", f"http://otel_llm_reader:r3ader@127.0.0.1:{port}/")
    try:
        status, _headers, body = collector.post("/v1/traces", request_with(good_span("stored")).SerializeToString(),
                                                PROTOBUF)
        assert status == 200, body
        assert collector.wait_metric("spans_written_total", 1) == 1  # the writer's DSN: the chdb store
        query = json.dumps({"query": "SELECT count() FROM otel_traces"}).encode()
        status, _headers, body = collector.post("/v1/sql", query, {"Content-Type": "application/json"})
        assert status != 200  # not answered from the writer's store
        assert "\n" not in json.loads(body)["error"]
        assert seen and set(seen) == {"otel_llm_reader:r3ader"}, seen
    finally:
        collector.stop()
    assert "r3ader" not in collector.log()
