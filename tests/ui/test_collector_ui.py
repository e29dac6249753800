"""``otel-llm collector --ui``: the dashboard on a real collector process's HTTP port, reading the
collector's own embedded store through its SQL endpoint. The collector's token is the dashboard's
(bearer for scripts, ``?token=`` once then a cookie for a browser), the OTLP and SQL endpoints
keep their bearer check, the same Host check and Content-Security-Policy apply, and Chromium
shows every page without a console error."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from otel_llm.store import connect
from otel_llm.ui.pages import PAGES
from otel_llm.ui.server import ADVICE_LIMITS
from otel_llm_collector.sql import SqlEndpoint
from otel_llm_collector.ui import advice_endpoint, make_dashboard
from tests.collector.conftest import reap  # noqa: F401 (reap: the collector fixture's cleanup)
from tests.collector.harness import REPO, RunningCollector, start_collector
from tests.ui.cdp import browser, chromium_or_skip
from tests.ui.conftest import BusyAdvice, KnownStore, collector_with_calls

UI_TOKEN = "collector-ui-token-0123456789"


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    running = collector_with_calls(tmp_path_factory.mktemp("collector-ui"), "--ui", token=UI_TOKEN)
    yield running
    running.stop()


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _report(collector: RunningCollector) -> Any:
    out = subprocess.run(
        [sys.executable, "-m", "otel_llm.cli", "report", "--since", "24h", "--format", "json",
         "--collector", collector.url],
        env={"PATH": "/usr/bin:/bin", "OTEL_LLM_COLLECTOR_AUTH_TOKEN": UI_TOKEN}, cwd=REPO,
        capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_pages_need_the_collectors_token_and_show_its_store(collector: RunningCollector) -> None:
    bearer = {"Authorization": f"Bearer {UI_TOKEN}"}
    assert _get(f"{collector.url}/overview")[0] == 401
    assert _get(f"{collector.url}/api/overview", {"Authorization": "Bearer wrong-token-0123456789"})[0] == 401
    status, headers, body = _get(f"{collector.url}/api/overview?range=24h", bearer)
    assert status == 200 and "script-src 'self'" in headers["Content-Security-Policy"]
    totals = json.loads(body)["data"]["totals"]
    (expected,) = _report(collector)
    assert (totals["calls"], totals["cost_usd"], totals["errors"]) == (expected["calls"], expected["cost_usd"],
                                                                        expected["errors"]) == (4, 1.0, 2)
    for page in PAGES:
        status, _, body = _get(f"{collector.url}/api/{page}?range=24h", bearer)
        assert status == 200, body
    assert _get(f"{collector.url}/static/ui.css")[0] == 200  # assets carry no data
    status, headers, _ = _get(f"{collector.url}/users?token={UI_TOKEN}")  # urllib follows the redirect...
    assert status == 401  # ...without the cookie, which a browser keeps (below)
    assert collector.post("/v1/sql", b'{"query": "SELECT 1"}', {"Authorization": ""})[0] == 401  # unchanged


def test_a_write_is_refused(collector: RunningCollector) -> None:
    request = urllib.request.Request(f"{collector.url}/overview", data=b"x", method="POST",
                                     headers={"Authorization": f"Bearer {UI_TOKEN}"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 405


async def test_chromium_opens_every_page_with_the_token_once(
    collector: RunningCollector, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
) -> None:
    chromium = chromium_or_skip()
    shots = tmp_path_factory.getbasetemp() / "ui-shots"
    shots.mkdir(exist_ok=True)
    async with browser(chromium, tmp_path / "profile") as page:
        await page.goto(f"{collector.url}/overview?range=24h&refresh=0&token={UI_TOKEN}")
        assert "token" not in await page.evaluate("location.search")  # traded for the cookie
        assert await page.evaluate("document.querySelector('#totals [data-metric=calls]').dataset.value") == "4"
        await page.screenshot(shots / "collector-overview.png")
        for name in PAGES:
            await page.goto(f"{collector.url}/{name}?range=24h&refresh=0")
            assert (await page.evaluate("document.querySelector('main h1').textContent")).startswith(PAGES[name])
        assert page.problems() == []


def test_without_a_token_only_the_loopback_and_localhost(tmp_path: Path) -> None:
    refused = subprocess.run(
        [sys.executable, "-m", "otel_llm_collector", "--ui", "--host", "0.0.0.0", "--spool-dir", str(tmp_path / "s"),
         "--endpoint", f"chdb://{tmp_path / 'chdb'}"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2
    assert refused.stdout.strip().startswith("otel-llm collector: --ui: --host 0.0.0.0 serves the dashboard to other")
    assert "Traceback" not in refused.stdout + refused.stderr
    running = start_collector(tmp_path / "open", "--ui")
    try:
        assert _get(f"{running.url}/api/alerts")[0] == 200
        assert _get(f"{running.url}/api/alerts", {"Host": "rebound.example:4318"})[0] == 403
    finally:
        running.stop()


def test_the_ui_setting_from_flag_environment_and_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from otel_llm_collector.config import ConfigError, load_config

    assert (load_config([]).ui, load_config(["--ui"]).ui) == (False, True)
    monkeypatch.setenv("OTEL_LLM_COLLECTOR_UI", "true")
    assert load_config([]).ui is True
    monkeypatch.delenv("OTEL_LLM_COLLECTOR_UI")
    settings = tmp_path / "collector.yaml"
    settings.write_text("ui: true\n")
    assert load_config(["--config", str(settings)]).ui is True
    settings.write_text("ui: sure\n")
    with pytest.raises(ConfigError, match="ui: expected true or false, got 'sure'"):
        load_config(["--config", str(settings)])
    with pytest.raises(ConfigError, match="--ui: --auth-token: at least 16"):  # the cookie must carry it
        load_config(["--ui", "--auth-token", "short"])


class _SlowAdviceEndpoint(SqlEndpoint):
    """An endpoint whose savings reads are each held up by a busy query (:class:`BusyAdvice`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.busy = BusyAdvice()

    def run(self, query: str, parameters: Any = None) -> bytes:
        self.busy.before(lambda busy_sql: super(_SlowAdviceEndpoint, self).run(busy_sql))
        return super().run(query, parameters)


@pytest.mark.parametrize("own_endpoint", [True, False], ids=["advice_on_its_own_endpoint", "one_shared_endpoint"])
def test_pages_do_not_wait_behind_the_advice_computation(known: KnownStore, store_dsn: str, own_endpoint: bool) -> None:
    """The collector's wiring (``advice_endpoint``, a session of its own) lets the overview answer
    while an advise read runs; with the pages' endpoint shared (the control) it cannot."""
    session = partial(connect, store_dsn)
    slow = _SlowAdviceEndpoint(session, max_rows=10_000, timeout=60)
    pages = SqlEndpoint(session, max_rows=10_000, timeout=60) if own_endpoint else slow
    dashboard = make_dashboard(pages, slow, known.store.database, "127.0.0.1", None)
    host = {"Host": "127.0.0.1:4318"}
    try:
        assert dashboard.respond("GET", f"/savings?{known.window}", host).status == 200  # queues the computation
        assert slow.busy.started.wait(60)
        reply = dashboard.respond("GET", f"/overview?{known.window}", host)
        answered = time.monotonic()
        assert reply.status == 200 and b"Spend" in reply.body
        assert slow.busy.answered_first(answered) is own_endpoint
    finally:
        dashboard.advice.close()
        for endpoint in {id(e): e for e in (pages, slow)}.values():
            endpoint.cancel()
            endpoint.close()


def test_the_advice_endpoint_runs_read_only_under_the_advice_limits(store_dsn: str) -> None:
    endpoint = advice_endpoint(partial(connect, store_dsn), max_rows=100)
    try:
        body = json.loads(endpoint.run(
            "SELECT getSetting('max_execution_time'), getSetting('max_memory_usage'), getSetting('readonly')"))
    finally:
        endpoint.close()
    limits = [float(value) for value in body["rows"][0]]
    assert limits == [ADVICE_LIMITS["max_execution_time"], ADVICE_LIMITS["max_memory_usage"], 1]
