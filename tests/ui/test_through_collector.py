"""The dashboard reading through a running collector (``otel-llm ui --collector URL``): the collector
owns the embedded store, and every read of every page passes its read-only SQL endpoint's checks."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from otel_llm.query import CollectorSource
from otel_llm.ui import Settings, make_server
from otel_llm.ui.pages import PAGES
from tests.collector.conftest import TOKEN, reap  # noqa: F401 (reap: the collector fixture's cleanup)
from tests.collector.harness import RunningCollector
from tests.ui.conftest import collector_with_calls


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    running = collector_with_calls(tmp_path_factory.mktemp("ui-collector"), token=TOKEN)
    yield running
    running.stop()


def test_every_page_reads_through_the_collector(collector: RunningCollector) -> None:
    source = CollectorSource(collector.url, token=TOKEN)
    server = make_server(source, Settings(database="otel"), port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for page in PAGES:
            with urllib.request.urlopen(f"{server.url}api/{page}?range=24h", timeout=60) as response:
                assert response.status == 200
                payload = json.loads(response.read())
        with urllib.request.urlopen(f"{server.url}api/overview?range=24h", timeout=60) as response:
            totals = json.loads(response.read())["data"]["totals"]
        assert (totals["calls"], totals["cost_usd"], totals["errors"]) == (4, 1.0, 2)
        assert payload["page"] == "alerts"
    finally:
        server.shutdown()
        server.server_close()


def test_cli_names_the_collector(collector: RunningCollector, tmp_path: Path) -> None:
    """``otel-llm ui --collector URL`` starts on the collector's data (token from the environment)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "otel_llm.cli", "ui", "--collector", collector.url, "--port", "0"],
        env={"PATH": "/usr/bin:/bin", "OTEL_LLM_COLLECTOR_AUTH_TOKEN": TOKEN}, cwd=tmp_path,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        url = process.stderr.readline().split("dashboard on ")[1].split(" ")[0]
        with urllib.request.urlopen(url + "api/users?range=24h", timeout=60) as response:
            assert json.loads(response.read())["page"] == "users"
    finally:
        process.terminate()
        assert process.wait(30) == 0
