"""``otel-llm doctor``: one line per check, OK / FIX (with the fix) / SKIP; exit 0 only when
nothing needs fixing. Run against the real store, the installed SDKs and entry points."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from otel_llm.schema import MIGRATIONS, sync_prices
from tests.cli.conftest import Run
from tests.cli.newcomer import otel_llm, shell_env

CHECKS = ("sdk openai", "sdk anthropic", "sdk google-genai", "exporter clickhouse", "configurator", "traces exporter",
          "metrics exporter", "store schema", "store prices", "price book", "tiktoken o200k_base",
          "tiktoken cl100k_base", "collector")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _lines(out: str) -> dict[str, tuple[str, str]]:
    """{check name: (status, detail)}; every line is one check."""
    found = {}
    for line in out.splitlines():
        status, rest = line.split(" ", 1)
        name, detail = rest.strip().split(": ", 1)
        assert status in ("OK", "FIX", "SKIP"), line
        found[name] = (status, detail)
    return found


def test_a_good_setup_is_all_ok_and_exit_0(store: Any, run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    from otel_llm.pricing import default_price_book

    client, database = store
    sync_prices(client, database, default_price_book())
    for name in ("OTEL_LLM_COLLECTOR_URL", "OTEL_LLM_COLLECTOR_CONFIG", "OTEL_LLM_PRICES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp,clickhouse")
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "none")
    code, out, err = run("doctor")
    checks = _lines(out)
    assert code == 0, out
    assert list(checks) == list(CHECKS) and len(out.splitlines()) <= 24  # one screen
    assert {status for status, _ in checks.values()} <= {"OK", "SKIP"}
    assert checks["store schema"] == ("OK", f"version {MIGRATIONS[-1].version}, 0 calls recorded")
    assert checks["sdk openai"][1].split(",")[0][0].isdigit()  # the installed version
    assert checks["collector"][0] == "SKIP" and "all good" in err


def test_a_broken_setup_names_each_fix_and_exits_1(tmp_path: Path) -> None:
    """Offline without TIKTOKEN_CACHE_DIR, a collector that is not running, OTLP with nothing
    listening, spans not sent to the store, an unusable store path, a bad price file."""
    (tmp_path / "afile").write_text("")
    (tmp_path / "prices.yaml").write_text("models: [not, a, mapping]\n")
    closed = f"http://127.0.0.1:{_closed_port()}"
    env = shell_env(HTTPS_PROXY=closed, HTTP_PROXY=closed, TMPDIR=str(tmp_path), OTEL_TRACES_EXPORTER="otlp",
                    OTEL_EXPORTER_OTLP_ENDPOINT=closed, OTEL_LLM_COLLECTOR_URL=closed.removeprefix("http://"),
                    OTEL_LLM_PRICES=str(tmp_path / "prices.yaml"))
    env.pop("TIKTOKEN_CACHE_DIR", None)
    done = otel_llm("doctor", "--endpoint", f"chdb://{tmp_path}/afile/store", env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    checks = _lines(done.stdout)
    fixes = {name: detail for name, (status, detail) in checks.items() if status == "FIX"}
    assert "add clickhouse (OTEL_TRACES_EXPORTER=otlp,clickhouse)" in fixes["traces exporter"]
    assert "set OTEL_METRICS_EXPORTER=none" in fixes["metrics exporter"]
    assert f"{tmp_path}/afile/store cannot be created" in fixes["store"]
    assert "OTEL_LLM_PRICES=" in fixes["price overrides"]
    assert "set TIKTOKEN_CACHE_DIR" in fixes["tiktoken o200k_base"]
    assert f"not answering at {closed}" in fixes["collector"] and "otel-llm collector" in fixes["collector"]
    assert checks["sdk openai"][0] == "OK"
