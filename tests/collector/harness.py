"""A collector running as a real subprocess, and the few calls tests make to it.

The collector owns its chdb directory, and chdb allows one process per directory, so this test
process never opens it: every read goes through the collector's own SQL endpoint.
"""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]

# Every collector process started, so a failed test cannot leave one running (see conftest.reap).
STARTED: list[subprocess.Popen[str]] = []


@dataclass
class RunningCollector:
    process: subprocess.Popen[str]
    http_port: int
    grpc_port: int
    token: str | None
    log_path: Path
    lines: list[str] = field(default_factory=list)
    tls_ca: Path | None = None  # set when the collector serves TLS with this (self-signed) certificate

    @property
    def url(self) -> str:
        return f"{'https' if self.tls_ca else 'http'}://127.0.0.1:{self.http_port}"

    def _open(self, request: urllib.request.Request) -> Any:
        context = ssl.create_default_context(cafile=str(self.tls_ca)) if self.tls_ca else None
        return urllib.request.urlopen(request, timeout=30, context=context)

    @property
    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def post(self, path: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
        """(status, headers, body) without raising on HTTP errors."""
        request = urllib.request.Request(
            self.url + path, data=body, method="POST", headers={**self.auth_headers, **(headers or {})}
        )
        try:
            with self._open(request) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def get(self, path: str) -> tuple[int, bytes]:
        request = urllib.request.Request(self.url + path, headers=self.auth_headers)
        try:
            with self._open(request) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def sql(self, query: str, **parameters: Any) -> list[list[Any]]:
        body = json.dumps({"query": query, "parameters": parameters}).encode()
        status, _headers, body = self.post("/v1/sql", body, {"Content-Type": "application/json"})
        assert status == 200, body
        return json.loads(body)["rows"]

    def wait_for(self, query: str, expected: Any, timeout: float = 30.0, **parameters: Any) -> Any:
        """Polls a scalar query until it returns ``expected``; returns the last value seen."""
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            value = self.sql(query, **parameters)[0][0]
            if value == expected:
                return value
            time.sleep(0.2)
        return value

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while self.get("/readyz")[0] != 200:
            assert time.monotonic() < deadline, f"collector not ready:\n{self.log()}"
            time.sleep(0.1)

    def wait_metric(self, name: str, at_least: float, timeout: float = 30.0) -> float:
        """Counters move just after the row is visible (commit first, count second): poll."""
        deadline = time.monotonic() + timeout
        while (value := self.metric(name)) < at_least and time.monotonic() < deadline:
            time.sleep(0.1)
        return value

    def wait_drained(self, timeout: float = 60.0) -> float:
        """Waits for an empty spool; returns the requests still in it."""
        deadline = time.monotonic() + timeout
        while (left := self.metric("spool_requests")) > 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        return left

    def metric(self, name: str) -> float:
        _status, body = self.get("/metrics")
        for line in body.decode().splitlines():
            if line.startswith(f"otel_llm_collector_{name} "):
                return float(line.split()[1])
        raise KeyError(name)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout)
        finally:
            if self.process.stdout:
                self.lines += self.process.stdout.read().splitlines()
        return code

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""


def start_collector(
    workdir: Path,
    *args: str,
    token: str | None = None,
    env: dict[str, str] | None = None,
    endpoint: str | None = None,
    wait_ready: bool = True,
    tls: tuple[Path, Path] | None = None,
    prefix: tuple[str, ...] = (),
) -> RunningCollector:
    """Starts ``python -m otel_llm_collector`` on free ports with its spool and chdb under ``workdir``
    (``prefix``: a command to run it under, e.g. ``prlimit``)."""
    workdir.mkdir(parents=True, exist_ok=True)
    command = [
        *prefix,
        sys.executable,
        "-m",
        "otel_llm_collector",
        "--http-port",
        "0",
        "--grpc-port",
        "0",
        "--spool-dir",
        str(workdir / "spool"),
        "--endpoint",
        endpoint or f"chdb://{workdir / 'chdb'}",
        *args,
    ]
    if token:
        command += ["--auth-token", token]
    if tls:
        command += ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])]
    log_path = workdir / f"collector-{time.monotonic_ns()}.log"
    process_env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    process_env.update(env or {})
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=log, text=True, env=process_env)
    STARTED.append(process)
    line = process.stdout.readline() if process.stdout else ""
    if not line:
        process.wait(10)
        raise RuntimeError(f"collector did not start:\n{log_path.read_text()}")
    event = json.loads(line)
    running = RunningCollector(
        process, event["http_port"], event["grpc_port"], token, log_path, [line], tls[0] if tls else None
    )
    if wait_ready:
        running.wait_ready()
    return running
