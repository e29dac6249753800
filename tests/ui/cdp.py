"""Headless Chromium driven over the Chrome DevTools Protocol (its websocket, through aiohttp).

Debian's ``chromium`` package, nothing downloaded: the browser is started with
``--remote-debugging-port=0``, prints the websocket it listens on, and each :class:`Page` talks to
one tab. Console messages, log entries and uncaught exceptions are collected as they arrive, so a
test can assert that a page produced none.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

_LISTENING = re.compile(r"DevTools listening on (ws://\S+)")
_PROBLEM_EVENTS = ("Runtime.consoleAPICalled", "Runtime.exceptionThrown", "Log.entryAdded")


def chromium_or_skip() -> str:
    """The browser's path. Missing: a failure in CI (env CI set), so CI cannot skip these tests
    silently; a skip elsewhere."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        message = "chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}: CI must install it (.ci/run does)")
        pytest.skip(message)
    return path


class Page:
    """One tab: send a command and get its result; events are kept in ``events``."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.events: list[dict[str, Any]] = []
        self._next = 0

    async def _receive(self, timeout: float) -> dict[str, Any]:
        message = await asyncio.wait_for(self.ws.receive(), timeout)
        if message.type != aiohttp.WSMsgType.TEXT:
            raise RuntimeError(f"devtools connection closed: {message.type}")
        return json.loads(message.data)

    async def send(self, method: str, timeout: float = 60.0, **params: Any) -> dict[str, Any]:
        self._next += 1
        ident = self._next
        await self.ws.send_str(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = await self._receive(timeout)
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    async def wait_for(self, event: str, timeout: float = 60.0) -> dict[str, Any]:
        for index, seen in enumerate(self.events):
            if seen.get("method") == event:
                return self.events.pop(index)
        while True:
            message = await self._receive(timeout)
            if message.get("method") == event:
                return message
            self.events.append(message)

    async def goto(self, url: str) -> None:
        self.events = [e for e in self.events if e.get("method") in _PROBLEM_EVENTS]
        await self.send("Page.navigate", url=url)
        await self.wait_for("Page.loadEventFired")

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def screenshot(self, path: Path) -> Path:
        shot = await self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def problems(self) -> list[str]:
        """Console errors and warnings, log errors and warnings, uncaught exceptions, so far."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(f"exception: {params['exceptionDetails'].get('text')}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning", "assert"):
                found.append(f"console.{params['type']}: {params.get('args')}")
            elif method == "Log.entryAdded" and params["entry"].get("level") in ("error", "warning"):
                entry = params["entry"]
                found.append(f"log {entry['level']}: {entry.get('text')} {entry.get('url')}")
        return found


@asynccontextmanager
async def browser(path: str, profile: Path) -> AsyncIterator[Page]:
    """A fresh headless Chromium with one tab, 1366x900 (a laptop screen)."""
    process = subprocess.Popen(
        [path, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
         "--disable-extensions", "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
         f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        browser_ws = await asyncio.wait_for(asyncio.to_thread(_listening_url, process), 60)
        async with aiohttp.ClientSession() as session, session.ws_connect(browser_ws, max_msg_size=0) as root_ws:
            root = Page(root_ws)
            target = await root.send("Target.createTarget", url="about:blank")
            page_ws = browser_ws.split("/devtools/")[0] + f"/devtools/page/{target['targetId']}"
            async with session.ws_connect(page_ws, max_msg_size=0) as ws:
                page = Page(ws)
                for domain in ("Page", "Runtime", "Log"):
                    await page.send(f"{domain}.enable")
                await page.send("Emulation.setDeviceMetricsOverride", width=1366, height=900,
                                deviceScaleFactor=1, mobile=False)
                yield page
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _listening_url(process: subprocess.Popen[str]) -> str:
    assert process.stderr is not None
    for line in process.stderr:
        match = _LISTENING.search(line)
        if match:  # keep reading its log, or a full pipe would stall the browser
            threading.Thread(target=process.stderr.read, daemon=True).start()
            return match.group(1)
    raise RuntimeError(f"chromium exited ({process.wait()}) before opening its devtools port")
