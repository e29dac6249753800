"""The dashboard in headless Chromium (Debian's package, over the DevTools protocol): every page
loads without a console error or exception, the numbers on the page are the CLI's, the filter
form changes them, markup in the data stays text, dark mode applies, the keyboard reaches the
content, and ``<main>`` refreshes from the JSON endpoint without a reload. Every page passes the
WCAG contrast checks of ``a11y.js`` in light and dark mode, and every element the Tab key reaches
shows a focus outline that contrasts with its surroundings. Screenshots of each page (light and
dark) are written under the test's tmp dir (``ui-shots``) to be looked at."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from otel_llm.ui import DashboardServer
from otel_llm.ui.pages import PAGES
from tests.cli.conftest import Call
from tests.ui.cdp import Page, browser, chromium_or_skip
from tests.ui.conftest import HOSTILE_FEATURE, KnownStore, cli_json, insert_known, insert_savings, wait_for_advice

_ROWS = """[...document.querySelectorAll('#%s tbody tr')].map(tr => [
  ...[...tr.querySelectorAll('th')].map(th => th.dataset.value),
  ...[...tr.querySelectorAll('td')].map(td => td.dataset.value)])"""
_TOTAL_CALLS = "document.querySelector('#totals [data-metric=calls]').dataset.value"
_A11Y = (Path(__file__).parent / "a11y.js").read_text()
_FOCUSABLE = ("document.querySelectorAll('a[href], button, select, input, summary, "
              "[tabindex]:not([tabindex=\"-1\"])').length")


@pytest.fixture
def chromium() -> str:
    return chromium_or_skip()


@pytest.fixture
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ui-shots", numbered=False) if not (
        tmp_path_factory.getbasetemp() / "ui-shots").exists() else tmp_path_factory.getbasetemp() / "ui-shots"


def _number(text: str | None) -> float | None:
    return None if text in (None, "null") else float(text)


@pytest.mark.totals
async def test_pages_load_clean_and_show_the_cli_numbers(
    dashboard: DashboardServer, known: KnownStore, store_dsn: str, capsys: pytest.CaptureFixture[str],
    chromium: str, tmp_path: Path, shots: Path,
) -> None:
    async with browser(chromium, tmp_path / "profile") as page:
        for name in PAGES:
            await page.goto(f"{dashboard.url}{name}?{known.window}&refresh=0")
            assert (await page.evaluate("document.querySelector('main h1').textContent")).startswith(PAGES[name])
            await page.screenshot(shots / f"{name}.png")
        await page.send("Emulation.setEmulatedMedia", features=[{"name": "prefers-color-scheme", "value": "dark"}])
        for name in PAGES:
            await page.goto(f"{dashboard.url}{name}?{known.window}&refresh=0")
            await page.screenshot(shots / f"{name}-dark.png")
        assert await page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(18, 20, 23)"
        assert page.problems() == []
        assert not [e for e in page.events if e.get("method") == "Page.javascriptDialogOpening"]

        await page.goto(f"{dashboard.url}overview?{known.window}&refresh=0")
        shown = await page.evaluate(_ROWS % "by-feature")
        expected = cli_json(known, store_dsn, capsys, "report", "--by", "feature")
        columns = ["calls", "cost_usd", "input_tokens", "output_tokens", "cache_hit_rate", "cache_savings_usd",
                   "errors", "unpriced_calls"]
        assert [[row[0], *map(_number, row[1:])] for row in shown] == [
            [r["feature"], *(r[c] for c in columns)] for r in expected]
        assert HOSTILE_FEATURE in [row[0] for row in shown]  # shown as text, not run

        await page.goto(f"{dashboard.url}users?{known.window}&refresh=0")
        users = await page.evaluate(_ROWS % "users")
        by_user = cli_json(known, store_dsn, capsys, "report", "--by", "user")
        assert [(u[0], _number(u[1]), _number(u[2])) for u in users] == [
            (r["user"], r["calls"], r["cost_usd"]) for r in by_user]

        await page.goto(f"{dashboard.url}calls?{known.window}&refresh=0")
        types = await page.evaluate(_ROWS % "types")
        top = cli_json(known, store_dsn, capsys, "top", "types")["types"]
        assert [(t[0], t[1], _number(t[3]), _number(t[4])) for t in types] == [
            (r["feature"], r["model"], r["calls"], r["cost_usd"]) for r in top]
        unpriced = [t for t in types if t[1] == "mystery-model"]
        assert unpriced and unpriced[0][4] == "null"
        text = await page.evaluate("document.querySelector('#types').innerText")
        assert "mystery-model\tchat\t1\t-\t-" in text  # unknown cost is "-", never $0
        links = await page.evaluate("[...document.querySelectorAll('#calls a')].map(a => a.href)")
        assert links and all(link.startswith("http://localhost:16686/trace/") for link in links)
        assert page.problems() == []


async def test_savings_page_shows_what_advise_prints_and_links_to_the_calls(
    dashboard: DashboardServer, known: KnownStore, store_dsn: str, capsys: pytest.CaptureFixture[str],
    chromium: str, tmp_path: Path, shots: Path,
) -> None:
    insert_savings(known.store, known.until)
    expected = cli_json(known, store_dsn, capsys, "advise")
    assert wait_for_advice(dashboard, known.window)["advice"] == expected  # computed off the request path
    async with browser(chromium, tmp_path / "profile") as page:
        await page.goto(f"{dashboard.url}savings?{known.window}&refresh=0")
        await page.screenshot(shots / "savings-findings.png")
        total = await page.evaluate("document.querySelector('[data-metric=total_usd_per_month]').dataset.value")
        assert total == expected["total_usd_per_month"]
        rows = await page.evaluate(_ROWS % "findings")
        assert [(r[0], r[1], r[2]) for r in rows] == [
            (f["feature"], f["model"], f["saving_usd_per_month"]) for f in expected["findings"]]
        assert {f["kind"] for f in expected["findings"]} >= {"repeated_requests", "batch_api"}
        formulas = await page.evaluate("[...document.querySelectorAll('.how .formula')].map(p => p.textContent)")
        assert [text.split(" = ", 1)[1] for text in formulas] == [f["formula"] for f in expected["findings"]]
        await page.evaluate("document.querySelector('#findings a[href^=\"/calls\"]').click()")
        await page.wait_for("Page.loadEventFired")
        assert "/calls" in await page.evaluate("location.pathname")
        assert "feature=" in await page.evaluate("location.search")
        await page.send("Emulation.setEmulatedMedia", features=[{"name": "prefers-color-scheme", "value": "dark"}])
        await page.goto(f"{dashboard.url}savings?{known.window}&refresh=0")
        await page.screenshot(shots / "savings-findings-dark.png")
        await page.goto(f"{dashboard.url}savings?range=90d&refresh=0")  # a window never asked for: not computed yet
        state = await page.evaluate("document.getElementById('advice-state').textContent")
        assert state.startswith("Computing savings… (reload to see it")  # refresh=0: no auto-refresh
        await page.screenshot(shots / "savings-computing-dark.png")
        assert page.problems() == []


@pytest.mark.totals
async def test_filter_form_and_keyboard(dashboard: DashboardServer, known: KnownStore, chromium: str,
                                        tmp_path: Path) -> None:
    async with browser(chromium, tmp_path / "profile") as page:
        await page.goto(f"{dashboard.url}overview?{known.window}&refresh=0")
        assert await page.evaluate(_TOTAL_CALLS) == "8"
        await _press(page, "Tab")
        assert await page.evaluate("document.activeElement.textContent") == "Skip to content"
        labelled = await page.evaluate(
            "[...document.querySelectorAll('select')].every(s => document.querySelector(`label[for=${s.id}]`))")
        assert labelled
        await page.evaluate("document.getElementById('f-service').value = 'worker'")
        await page.evaluate("document.querySelector('.filters button').click()")
        await page.wait_for("Page.loadEventFired")
        assert "service=worker" in await page.evaluate("location.search")
        assert await page.evaluate(_TOTAL_CALLS) == "2"
        await page.evaluate("document.getElementById('f-environment').value = 'staging'")
        await page.evaluate("document.getElementById('f-service').value = ''")
        await page.evaluate("document.querySelector('.filters button').click()")
        await page.wait_for("Page.loadEventFired")
        assert await page.evaluate(_TOTAL_CALLS) == "2"
        assert await page.evaluate("document.querySelector('#totals [data-metric=cost_usd]').textContent") == "$0.10"
        assert page.problems() == []


@pytest.mark.totals
async def test_main_refreshes_without_a_reload(dashboard: DashboardServer, known: KnownStore, chromium: str,
                                               tmp_path: Path, store_dsn: str) -> None:
    async with browser(chromium, tmp_path / "profile") as page:
        await page.goto(f"{dashboard.url}overview?{known.window}&refresh=5")
        await page.evaluate("window.sameDocument = true")
        late = Call(known.until - dt.timedelta(minutes=30), "chat", cost="0.5")
        insert_known(known.store, store_dsn, [(late, "prod")])
        for _ in range(40):
            if await page.evaluate(_TOTAL_CALLS) == "9":
                break
            await asyncio.sleep(0.5)
        assert await page.evaluate(_TOTAL_CALLS) == "9"
        assert await page.evaluate("window.sameDocument") is True
        assert (await page.evaluate("document.getElementById('refreshed').textContent")).startswith("Updated")
        assert page.problems() == []


async def test_every_page_has_readable_contrast_and_a_visible_focus_in_light_and_dark(
    dashboard: DashboardServer, known: KnownStore, chromium: str, tmp_path: Path, shots: Path,
) -> None:
    insert_savings(known.store, known.until)
    assert wait_for_advice(dashboard, known.window)["advice"]  # the savings page with its findings table
    failures: list[tuple[str, str, object]] = []
    async with browser(chromium, tmp_path / "profile") as page:
        for scheme in ("light", "dark"):
            await page.send("Emulation.setEmulatedMedia", features=[{"name": "prefers-color-scheme", "value": scheme}])
            for name in (*PAGES, "no-such-page"):  # and the error page
                await page.goto(f"{dashboard.url}{name}?{known.window}&refresh=0")
                await page.evaluate(_A11Y)
                texts = await page.evaluate("a11y.texts()")
                assert texts["checked"] > (10 if name in PAGES else 1), name
                failures += [(scheme, name, f) for f in texts["failures"]]
                stops = 0
                for _ in range(await page.evaluate(_FOCUSABLE) + 1):  # past the last stop focus leaves the page
                    await _press(page, "Tab")
                    focus = await page.evaluate("a11y.focused()")
                    if focus is None:
                        break
                    stops += 1
                    if not (focus["shown"] and focus["width"] >= 2 and focus["ratio"] >= 3):
                        failures.append((scheme, name, {"focus": focus}))
                assert stops >= (6 if name in PAGES else 1), name  # the skip link, the navigation's five pages
                await page.screenshot(shots / f"{name}-{scheme}-focus.png")
        # The checks can fail: grey text on white, and a link whose focus outline is removed (set
        # through the CSSOM: the page's Content-Security-Policy ignores inline style attributes).
        await page.evaluate("""(() => { const main = document.querySelector('main');
            const p = main.appendChild(document.createElement('p')); p.textContent = 'faint';
            Object.assign(p.style, {color: '#aaa', background: '#fff'});
            const a = main.appendChild(document.createElement('a'));
            Object.assign(a, {id: 'bare', href: '#', textContent: 'bare'}); a.style.outline = 'none'; })()""")
        assert [f["text"] for f in await page.evaluate("a11y.texts().failures")] == ["faint"]
        await page.evaluate("document.getElementById('bare').focus()")
        assert (await page.evaluate("a11y.focused()"))["width"] == 0
        assert [p for p in page.problems() if "/no-such-page?" not in p] == []  # its 404 is logged
    assert failures == [], "\n".join(map(str, failures))


async def _press(page: Page, key: str) -> None:
    for kind in ("keyDown", "keyUp"):
        await page.send("Input.dispatchKeyEvent", type=kind, key=key, code=key, windowsVirtualKeyCode=9)
