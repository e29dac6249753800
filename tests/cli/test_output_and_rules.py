"""Pure pieces of the CLI: output formats, time parsing, alert rules files."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from otel_llm.alerts.rules import DEFAULT_RULES, KINDS, RulesError, load_rules, parse_rules
from otel_llm.cli import main
from otel_llm.cli._output import render
from otel_llm.cli._time import parse_when

COLUMNS = ["feature", "day", "calls", "cost_usd"]
ROWS = [("search", dt.date(2026, 11, 1), 3, Decimal("0.001234567")), ("chat", dt.date(2026, 11, 2), 10, Decimal(0))]


def test_json_keeps_numbers_exact_and_dates_iso() -> None:
    assert json.loads(render(COLUMNS, ROWS, "json")) == [
        {"feature": "search", "day": "2026-11-01", "calls": 3, "cost_usd": 0.001234567},
        {"feature": "chat", "day": "2026-11-02", "calls": 10, "cost_usd": 0.0},
    ]


def test_csv_and_table_layouts() -> None:
    assert render(COLUMNS, ROWS, "csv") == (
        "feature,day,calls,cost_usd\nsearch,2026-11-01,3,0.001234567\nchat,2026-11-02,10,0.0\n")
    table = render(COLUMNS, ROWS, "table").splitlines()
    assert table[0].split() == COLUMNS
    assert table[2].split() == ["search", "2026-11-01", "3", "0.001234567"]
    assert table[3].split() == ["chat", "2026-11-02", "10", "0"]
    # numbers are right-aligned: the last characters of every cost cell line up
    assert len(table[2]) == len(table[3])
    with pytest.raises(ValueError):
        render(COLUMNS, ROWS, "xml")


def test_parse_when_relative_and_iso() -> None:
    now = dt.datetime(2026, 11, 23, 12, 30, 15, 999, tzinfo=dt.timezone.utc)
    assert parse_when("24h", now) == dt.datetime(2026, 11, 22, 12, 30, 15)
    assert parse_when("7d", now) == dt.datetime(2026, 11, 16, 12, 30, 15)
    assert parse_when("30m", now) == dt.datetime(2026, 11, 23, 12, 0, 15)
    assert parse_when("2026-11-01", now) == dt.datetime(2026, 11, 1)
    assert parse_when("2026-11-01T10:00:00+02:00", now) == dt.datetime(2026, 11, 1, 8)
    with pytest.raises(ValueError):
        parse_when("last tuesday", now)


def test_rules_parse_with_kind_defaults() -> None:
    rules = parse_rules([
        {"name": "spike", "kind": "spend_spike", "by": "feature"},
        {"name": "big", "kind": "daily_spend", "threshold": 50, "service": "api", "window": "24h"},
    ])
    assert rules[0].threshold == 2.0
    assert rules[0].window == dt.timedelta(hours=1)
    assert rules[0].baseline == dt.timedelta(days=7)
    assert rules[1].threshold == 50.0 and rules[1].service == "api"
    assert rules[1].window == dt.timedelta(days=1)


def test_rules_errors_are_all_reported_at_once() -> None:
    with pytest.raises(RulesError) as bad:
        parse_rules([
            {"name": "a", "kind": "nope"},
            {"name": "b", "kind": "error_rate", "treshold": 0.1},
            {"name": "c", "kind": "daily_spend", "window": "soon"},
            {"name": "d", "kind": "spend_spike", "by": "colour"},
            {"name": "d", "kind": "daily_spend"},
            {"name": "d", "kind": "daily_spend"},
            "not a mapping",
        ])
    message = str(bad.value)
    for expected in ("kind must be one of", "unknown field(s) treshold", "window must be a number and a unit",
                     "by must be one of", "duplicate rule name 'd'", "rule #7"):
        assert expected in message
    with pytest.raises(RulesError):
        parse_rules({"not": "a list"})


def test_no_rules_file_gives_defaults_covering_every_kind() -> None:
    rules = load_rules(None)
    assert rules == list(DEFAULT_RULES)
    assert {r.kind for r in rules} == set(KINDS)
    assert next(r for r in rules if r.kind == "spend_spike").threshold == 2.0
    assert next(r for r in rules if r.kind == "error_rate").threshold == 0.05
    assert next(r for r in rules if r.kind == "user_share").threshold == 0.01


def test_bad_rules_file_exits_2_before_touching_the_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("- name: x\n  kind: daily_spend\n  threshold: lots\n")
    code = main(["alerts", "check", "--rules", str(rules), "--endpoint", "chdb:///nonexistent/never-opened"])
    assert code == 2
    assert "bad rules file" in capsys.readouterr().err
    rules.write_text("- [unclosed\n")
    assert main(["alerts", "check", "--rules", str(rules)]) == 2
