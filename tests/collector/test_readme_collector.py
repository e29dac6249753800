"""The README's collector lines, run as written (issue 16): the collector command and both ways
of pointing an app at it, with only hosts, ports and paths substituted; the spans must land in
the collector's chdb store. ``pip install`` is the one line not run (this environment has it)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from otel_llm.fake_provider import FakeProvider
from tests.collector.harness import REPO, STARTED, RunningCollector

_BIN = Path(sys.executable).parent
_TOKEN = "readme-token-7"
_LLM_SPANS = "SELECT count() FROM otel_traces WHERE SpanAttributes['gen_ai.provider.name'] != ''"
_HINT = "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf"


def _section_commands() -> list[list[str]]:
    """Each bash block of the README's collector section as its commands (continuations joined,
    comments dropped)."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("\n## The collector\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, re.S)
    return [
        [line for line in block.replace("\\\n", " ").splitlines() if line.strip() and not line.startswith("#")]
        for block in blocks
    ]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(**extra: str) -> dict[str, str]:
    """This environment's tools first on PATH (``otel-llm``, ``opentelemetry-instrument``,
    ``python``), no OTEL_ settings of the test runner's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OPENAI_", "ANTHROPIC_"))}
    return {**env, "PATH": f"{_BIN}{os.pathsep}{env.get('PATH', '')}", "TOKEN": _TOKEN, **extra}


@pytest.fixture
def readme_collector(tmp_path: Path) -> Iterator[RunningCollector]:
    install, command = _section_commands()[0]
    assert install == 'pip install "otel-llm[collector]"'
    command = (
        command.replace("/var/lib/otel-llm-spool", str(tmp_path / "spool"))
        .replace("/var/lib/otel-llm", str(tmp_path / "chdb"))
        .replace("jaeger:4318", f"127.0.0.1:{_free_port()}")  # a forward target that is not there
    )
    log_path = tmp_path / "collector.log"
    # The README's ports (4318, 4317) may be taken on a test machine: free ones through the
    # collector's own variables, which the command line does not override.
    env = _env(OTEL_LLM_COLLECTOR_HTTP_PORT="0", OTEL_LLM_COLLECTOR_GRPC_PORT="0")
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            ["bash", "-c", f"exec {command}"], stdout=subprocess.PIPE, stderr=log, text=True, env=env
        )
    STARTED.append(process)
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line, log_path.read_text()
    ports = json.loads(line)
    collector = RunningCollector(process, ports["http_port"], ports["grpc_port"], _TOKEN, log_path, [line])
    collector.wait_ready()
    yield collector
    collector.stop()


def _run_app(command: str, collector: RunningCollector, workdir: Path, provider: FakeProvider) -> str:
    """Runs an app line in ``workdir`` (holding the example app as ``app.py``); returns its stderr."""
    command = command.replace("collector:4317", f"127.0.0.1:{collector.grpc_port}").replace(
        "collector:4318", f"127.0.0.1:{collector.http_port}"
    )
    env = _env(OPENAI_BASE_URL=provider.openai_base_url, ANTHROPIC_BASE_URL=provider.anthropic_base_url)
    done = subprocess.run(
        ["bash", "-c", command], cwd=workdir, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr


def test_the_readme_collector_lines_land_every_span_in_chdb_over_grpc_and_http(
    readme_collector: RunningCollector, fake_provider: FakeProvider, tmp_path: Path
) -> None:
    shutil.copy(REPO / "examples" / "app.py", tmp_path / "app.py")
    app_lines = _section_commands()[1]
    assert len(app_lines) == 2 and ":4317" in app_lines[0] and ":4318" in app_lines[1]
    assert all(line.endswith("opentelemetry-instrument python app.py") for line in app_lines)

    stored = 0
    for line in app_lines:
        errors = _run_app(line, readme_collector, tmp_path, fake_provider)
        assert "Failed to export" not in errors and "Traceback" not in errors, errors[-3000:]
        if stored == 0:  # the first run tells how many LLM spans the app makes
            deadline = time.monotonic() + 60
            while (stored := readme_collector.sql(_LLM_SPANS)[0][0]) == 0 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert stored > 0, readme_collector.log()
            per_run = stored
        else:
            assert readme_collector.wait_for(_LLM_SPANS, 2 * per_run) == 2 * per_run
    assert readme_collector.wait_for("SELECT count() FROM llm_calls", 2 * per_run) == 2 * per_run


def test_the_old_readme_line_fails_fast_with_the_fix_in_both_logs(
    readme_collector: RunningCollector, fake_provider: FakeProvider, tmp_path: Path
) -> None:
    """The line the README used to give (gRPC to the HTTP port): spans were lost after a ~20 s
    stall, and the collector logged a 10-line traceback per attempt. Still lost (the app asked for
    the wrong port), but the app's exporter now says what to change, at once, and does not retry."""
    shutil.copy(REPO / "examples" / "app.py", tmp_path / "app.py")
    old = (
        'OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318 OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer%20$TOKEN" '
        "OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none opentelemetry-instrument python app.py"
    )
    started = time.monotonic()
    errors = _run_app(old, readme_collector, tmp_path, fake_provider)
    assert time.monotonic() - started < 60
    assert "StatusCode.UNIMPLEMENTED" in errors and _HINT in errors, errors[-3000:]
    log = readme_collector.log()
    assert "Traceback" not in log and "BadHttpMessage" not in log
    assert len([line for line in log.splitlines() if _HINT in line]) == 1, log
