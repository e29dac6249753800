"""The README's Dashboard commands, run as written in a user's shell: the demo, then ``otel-llm ui``
serving its data. The one substitution: ``--port 0`` (a free port, so a parallel run or a
dashboard already open on 8321 cannot collide with the test)."""

from __future__ import annotations

import re
import subprocess
import urllib.request
from pathlib import Path

from tests.e2e.test_readme import blocks, commands, section, sh, user_env


def test_readme_dashboard_commands_serve_the_demo_data(tmp_path: Path) -> None:
    [bash] = blocks(section("Dashboard"), "bash")
    demo, ui = commands(bash)
    assert (demo, ui) == ("otel-llm demo", "otel-llm ui")
    env = user_env(tmp_path)
    done = sh(demo, tmp_path, env)
    assert done.returncode == 0, done.stderr
    assert "See it in your browser: otel-llm ui --endpoint chdb://" in done.stderr
    server = subprocess.Popen(["bash", "-c", f"exec {ui} --port 0"], cwd=tmp_path, env=env, text=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert server.stderr is not None
        line = server.stderr.readline()
        url = re.search(r"dashboard on (http://127\.0\.0\.1:\d+/)", line)
        assert url, line
        for page in ("", "users", "calls", "savings", "alerts"):
            with urllib.request.urlopen(url.group(1) + page, timeout=60) as response:
                body = response.read().decode()
                assert response.status == 200
        with urllib.request.urlopen(url.group(1) + "overview?range=24h", timeout=60) as response:
            body = response.read().decode()
        assert "document_analysis" in body and "support_chat" in body
    finally:
        server.terminate()
        assert server.wait(30) == 0  # SIGTERM stops it cleanly
