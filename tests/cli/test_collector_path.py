"""Queries through a running collector (``--collector URL``), started by ``otel-llm collector``.

The collector owns the chdb directory, so this process never opens it: the store is filled by
one subprocess before the collector starts, and every read goes through the collector's SQL
endpoint, exactly what a laptop running the collector does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from otel_llm import semconv
from otel_llm.cli import main
from tests.cli.conftest import as_json
from tests.fixtures.sampling import SAMPLER_ENV

REPO = Path(__file__).resolve().parents[2]
TOKEN = "cli-test-token"
FILL = """
import datetime as dt, sys
from otel_llm.schema import migrate
from otel_llm.store import connect
from tests.cli.conftest import Call, insert_calls
client = connect(sys.argv[1])
migrate(client, "otel")
at = dt.datetime(2026, 11, 20, 10)
insert_calls(client, "otel", [Call(at, "chat", cost="0.125", cache_read=40), Call(at, "search", cost="0.5"),
                             Call(at, "search", cost="0.25", error=True)])
client.close()
"""


def _ready(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(url + "/readyz", headers={"Authorization": f"Bearer {TOKEN}"})
            with urllib.request.urlopen(request, timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise AssertionError("collector not ready")


def filled_collector(work: Path, fill: str) -> Iterator[tuple[str, str]]:
    """A collector process owning a chdb store that ``fill`` (a script taking the DSN) filled first:
    yields (its URL, the DSN) once it is ready, and stops it after."""
    dsn = f"chdb://{work / 'chdb'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    # The fill is the app side: it keeps the suite's trace sampler (tests.fixtures.sampling).
    app_env = {**env, **{k: v for k, v in os.environ.items() if k.startswith(SAMPLER_ENV)}}
    subprocess.run([sys.executable, "-c", fill, dsn], cwd=REPO, env=app_env, check=True, timeout=120)
    process = subprocess.Popen(
        [sys.executable, "-m", "otel_llm.cli", "collector", "--endpoint", dsn, "--database", "otel",
         "--http-port", "0", "--grpc-port", "0", "--spool-dir", str(work / "spool"), "--auth-token", TOKEN],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        event = json.loads(process.stdout.readline())
        url = f"http://127.0.0.1:{event['http_port']}"
        _ready(url, time.monotonic() + 60)
        yield url, dsn
    finally:
        process.terminate()
        process.wait(30)


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(collector URL, the chdb DSN it owns)."""
    yield from filled_collector(tmp_path_factory.mktemp("cli-collector"), FILL)


@pytest.mark.totals
def test_report_through_the_collector_matches_the_store(
    collector: tuple[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    collector_url, _ = collector
    monkeypatch.setenv(semconv.ENV_COLLECTOR_AUTH_TOKEN, TOKEN)
    code = main(["report", "--collector", collector_url, "--format", "json", "--since", "2026-11-20",
                 "--until", "2026-11-21"])
    assert code == 0
    rows = as_json(capsys.readouterr().out)
    assert [(r["feature"], r["calls"], r["cost_usd"], r["errors"], r["cache_hit_rate"]) for r in rows] == [
        ("search", 2, 0.75, 1, 0.0), ("chat", 1, 0.125, 0, 1.0)]


def test_the_collectors_config_file_is_enough_to_find_it(
    collector: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    collector_url, _ = collector
    for name in (semconv.ENV_COLLECTOR_URL, semconv.ENV_COLLECTOR_AUTH_TOKEN, semconv.ENV_CLICKHOUSE_ENDPOINT):
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "collector.yaml"
    port = collector_url.rsplit(":", 1)[1]
    config.write_text(f"host: 0.0.0.0\nhttp_port: {port}\nauth_token: {TOKEN}\n")
    monkeypatch.setenv(semconv.ENV_COLLECTOR_CONFIG, str(config))
    assert main(["sql", "SELECT count() AS n FROM otel.llm_calls", "--format", "csv"]) == 0
    assert capsys.readouterr().out == "n\n3\n"
    config.write_text(f"http_port: {port}\n")  # no token in the file: the collector refuses
    assert main(["sql", "SELECT 1"]) == 2
    assert "401" in capsys.readouterr().err


def test_sql_through_the_collector_is_read_only_and_needs_the_token(
    collector: tuple[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    collector_url, _ = collector
    monkeypatch.setenv(semconv.ENV_COLLECTOR_URL, collector_url)
    monkeypatch.setenv(semconv.ENV_COLLECTOR_AUTH_TOKEN, TOKEN)
    assert main(["sql", "SELECT count() AS n FROM otel.llm_calls", "--format", "csv"]) == 0
    assert capsys.readouterr().out == "n\n3\n"
    assert main(["sql", "DROP TABLE otel.llm_calls"]) == 2
    assert "403" in capsys.readouterr().err
    outfile = Path(collector[1].removeprefix("chdb://")).parent / "written.txt"
    for query in ("SELECT 1; TRUNCATE TABLE otel.otel_traces; SELECT 1", f"SELECT 'x' INTO OUTFILE '{outfile}'",
                  "SELECT 1; SELECT file('/etc/hostname')", "SELEC 1"):
        assert main(["sql", query]) == 2
        err = capsys.readouterr().err
        assert err.startswith("otel-llm sql: collector answered 4") and err.count("\n") == 1, err
        assert "parseQueryToJSON" not in err
    assert not outfile.exists()
    assert main(["sql", "SELECT count() AS n FROM otel.llm_calls", "--format", "csv"]) == 0
    assert capsys.readouterr().out == "n\n3\n"
    monkeypatch.setenv(semconv.ENV_COLLECTOR_AUTH_TOKEN, "wrong")
    assert main(["sql", "SELECT 1"]) == 2
    assert "401" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("command", "advice"),
    [(["report"], "--collector"), (["prices", "sync"], "stop it first"), (["migrate"], "stop it first")],
)
def test_opening_the_collectors_directory_says_the_way_around(
    collector: tuple[str, str], command: list[str], advice: str
) -> None:
    """Reads go through the collector's SQL endpoint; writes cannot (it is read-only)."""
    _, dsn = collector
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    done = subprocess.run([sys.executable, "-m", "otel_llm.cli", *command, "--endpoint", dsn], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "open in another process" in done.stderr and advice in done.stderr
    assert "Traceback" not in done.stderr
