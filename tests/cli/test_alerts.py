"""``otel-llm alerts check``: rules fire on crafted anomalies, stay quiet on flat data, and notify."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Call, Run, insert_calls

NOW = dt.datetime(2026, 11, 20, 12, 30)
HOUR = dt.timedelta(hours=1)
pytestmark = pytest.mark.totals
RULES = """
- {name: big-day, kind: daily_spend, threshold: 10}
- {name: chat-spike, kind: spend_spike, by: feature}
- {name: cache-drop, kind: cache_hit_drop, by: feature, threshold: 0.3}
- {name: whale, kind: user_share, budget_usd: 100}
- {name: pricey-call, kind: request_cost, threshold: 1}
- {name: retry-storm, kind: error_rate}
- {name: unpriced, kind: unpriced_model}
"""


def flat_week() -> list[Call]:
    """A week of identical hours before NOW, and the current hour alike: nothing to alert on."""
    start = NOW.replace(minute=0) - 168 * HOUR
    return [Call(start + h * HOUR + dt.timedelta(minutes=m), feature, user=f"user{m}", input=1000, output=10,
                 cache_read=500 if m == 5 else 0, cost="0.01")
            for h in range(169) for feature in ("chat", "search") for m in (5, 10)]


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(RULES)
    return path


def check(run: Run, rules: Path | None, *extra: str) -> tuple[int, list[str]]:
    named = ["--rules", str(rules)] if rules is not None else []
    code, out, _ = run("alerts", "check", *named, "--at", NOW.isoformat(), *extra)
    return code, out.splitlines()


def test_flat_data_stays_quiet(store: Any, run: Run, rules: Path) -> None:
    insert_calls(*store, flat_week())
    assert check(run, rules) == (0, [])


def test_spend_spike_fires_for_the_spiking_feature_only(store: Any, run: Run, rules: Path) -> None:
    insert_calls(*store, [*flat_week(), Call(NOW, "chat", cost="0.05")])  # chat hour: 0.07 vs 0.02
    code, lines = check(run, rules)
    assert code == 1
    assert len(lines) == 1 and lines[0].startswith("ALERT chat-spike [spend_spike] chat=3.5")
    assert "search" not in lines[0]


def test_cache_hit_drop(store: Any, run: Run, rules: Path) -> None:
    calls = [c for c in flat_week() if not (c.at >= NOW.replace(minute=0) and c.feature == "search")]
    calls += [Call(NOW, "search", user="user5", input=1000, output=10, cost="0.01")] * 2  # no cache reads
    insert_calls(*store, calls)
    code, lines = check(run, rules)
    assert code == 1
    assert lines == ["ALERT cache-drop [cache_hit_drop] search=0.5 (threshold 0.3)"]


def test_user_share_request_cost_error_rate_unpriced_daily_spend(store: Any, run: Run, rules: Path) -> None:
    insert_calls(*store, [
        *flat_week(),
        Call(NOW, "chat", user="whale", cost="1.5"),  # one pricey call: > $1 of a $100 budget, > $1 per call
        *[Call(NOW, "search", user="user5", cost="0", input=0, output=0, error=True)] * 3,
        Call(NOW, "chat", "mystery-model", user="user5", cost=None),
        *[Call(NOW - 2 * HOUR, "chat", user="user10", cost="1")] * 9,  # today: 9 + 1.5 + 0.04/h -> > $10
    ])
    code, lines = check(run, rules)
    assert code == 1
    fired = {line.split()[1]: line for line in lines}
    # The failed calls read no cache, so this hour's hit rate also fell: cache-drop fires as well.
    assert set(fired) == {"big-day", "chat-spike", "cache-drop", "whale", "pricey-call", "retry-storm", "unpriced"}
    assert "whale=0.015" in fired["whale"]
    assert "user10=0.09" in fired["whale"]  # $9 of $100
    assert " 1.5 " in fired["pricey-call"]
    assert " 0.333333 " in fired["retry-storm"]  # no `by`: 3 errors in this hour's 9 calls
    assert "openai/mystery-model=1" in fired["unpriced"]


class _Hook(http.server.BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append({"type": self.headers["Content-Type"], "body": json.loads(body)})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []
    handler = type("Hook", (_Hook,), {"received": received})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()
    server.server_close()


def test_webhook_gets_a_json_post_only_when_rules_fire(
    store: Any, run: Run, rules: Path, webhook: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = webhook
    insert_calls(*store, flat_week())
    assert check(run, rules, "--webhook", url)[0] == 0
    assert received == []
    insert_calls(*store, [Call(NOW, "chat", cost="0.05")])
    assert check(run, rules, "--webhook", url)[0] == 1
    assert len(received) == 1
    body = received[0]["body"]
    assert received[0]["type"] == "application/json"
    assert body["source"] == "otel-llm"
    assert [a["name"] for a in body["alerts"]] == ["chat-spike"]
    assert body["alerts"][0]["groups"] == {"chat": 3.5}
    assert body["text"].startswith("ALERT chat-spike")


def test_watch_repeats_and_a_dead_webhook_does_not_hide_the_alert(store: Any, run: Run, rules: Path) -> None:
    insert_calls(*store, [*flat_week(), Call(NOW, "chat", cost="0.05")])
    code, lines = check(run, rules, "--watch", "1m", "--count", "1", "--webhook", "http://127.0.0.1:9/none")
    assert code == 1
    assert lines[0].startswith("ALERT chat-spike")


def test_no_rules_file_uses_defaults(
    store: Any, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no otel-llm-alerts.yaml here
    insert_calls(*store, [*flat_week(), Call(NOW, "chat", "mystery-model", cost=None)])
    code, lines = check(run, None)
    assert code == 1
    assert [line.split()[1] for line in lines] == ["unpriced-model"]
