"""What the SQL security tests share: a store with known content, watchers for the ways a query
could escape (a canary HTTP server, a canary file path), and the proof that nothing changed."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.collector.harness import RunningCollector

# Every object the store holds, with its row count where it has rows: a write, a DROP, a
# TRUNCATE or a CREATE anywhere changes this.
STORE_SNAPSHOT = (
    "SELECT database, name, engine, total_rows FROM system.tables "
    "WHERE database NOT IN ('system', 'information_schema', 'INFORMATION_SCHEMA') ORDER BY database, name"
)
SETTINGS_SNAPSHOT = "SELECT getSetting('readonly'), getSetting('max_result_rows'), getSetting('max_execution_time')"


class Canary:
    """A local HTTP server that counts every request: any hit means a query reached the network."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"name,secret\nx,canary-reply\n")

            do_POST = do_HEAD = do_GET

            def log_message(self, *_args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Answer:
    status: int
    document: dict[str, Any]
    seconds: float


def ask(collector: RunningCollector, query: str, parameters: dict[str, Any] | None = None) -> Answer:
    body = {"query": query, **({"parameters": parameters} if parameters is not None else {})}
    return ask_raw(collector, json.dumps(body).encode())


def ask_raw(collector: RunningCollector, body: bytes) -> Answer:
    started = time.monotonic()
    status, _headers, answer = collector.post("/v1/sql", body, {"Content-Type": "application/json"})
    seconds = time.monotonic() - started
    return Answer(status, json.loads(answer), seconds)


def assert_clean_refusal(answer: Answer, *statuses: int) -> str:
    """A refusal is one JSON line naming the problem: no traceback, never a 500."""
    assert answer.status in statuses, answer
    message = answer.document["error"]
    assert isinstance(message, str) and message and "\n" not in message and "Traceback" not in message, message
    return message


@dataclass
class HealthWatch:
    """Polls ``/healthz`` on its own thread; the slowest answer shows whether anything stalled the collector."""

    collector: RunningCollector
    slowest: float = 0.0
    answers: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def _poll(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            status, _body = self.collector.get("/healthz")
            assert status == 200
            self.slowest = max(self.slowest, time.monotonic() - started)
            self.answers += 1
            self._stop.wait(0.05)


@contextmanager
def watching_health(collector: RunningCollector) -> Iterator[HealthWatch]:
    watch = HealthWatch(collector)
    thread = threading.Thread(target=watch._poll, daemon=True)
    thread.start()
    try:
        yield watch
    finally:
        watch._stop.set()
        thread.join(30)


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")
