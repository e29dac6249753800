"""Alert rule files as a newcomer writes them: a mistyped path, words where a number goes, a week."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from otel_llm.alerts.rules import RulesError, load_rules, parse_duration, parse_rules
from otel_llm.cli import build_parser, main
from tests.cli.newcomer import one_line


def test_a_named_rules_file_that_is_missing_is_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-such-file.yaml"
    assert main(["alerts", "check", "--rules", str(missing), "--endpoint", "chdb:///nonexistent/never-opened"]) == 2
    line = one_line(capsys.readouterr().err)
    assert str(missing) in line and "no rules file" in line
    with pytest.raises(RulesError):
        load_rules(missing)


def test_malformed_yaml_is_one_line_with_the_line_number(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """PyYAML's own message is four lines with excerpts and carets; the user gets one, with where."""
    rules = tmp_path / "rules.yaml"
    rules.write_text("- name: x\n  kind: [daily_spend\n")
    assert main(["alerts", "check", "--rules", str(rules), "--endpoint", "chdb:///nonexistent/never-opened"]) == 2
    line = one_line(capsys.readouterr().err)
    assert line == (f"otel-llm alerts: bad rules file {rules}: not valid YAML: line 3, column 1: expected ',' or ']',"
                    " but got '<stream end>' (while parsing a flow sequence from line 2)")


def test_without_rules_the_file_in_the_current_directory_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "otel-llm-alerts.yaml").write_text("- name: x\n  kind: daily_spend\n  threshold: lots\n")
    assert main(["alerts", "check", "--endpoint", "chdb:///nonexistent/never-opened"]) == 2
    assert "otel-llm-alerts.yaml" in capsys.readouterr().err


def test_a_threshold_in_words_names_the_field_and_what_to_write() -> None:
    with pytest.raises(RulesError) as bad:
        parse_rules([{"name": "spend", "kind": "daily_spend", "threshold": "five dollars"},
                     {"name": "calls", "kind": "error_rate", "min_calls": "many"},
                     {"name": "budget", "kind": "user_share", "budget_usd": "lots"}])
    message = str(bad.value)
    assert "rule #1 (spend): threshold must be a number, not 'five dollars'" in message
    assert "rule #2 (calls): min_calls must be a whole number, not 'many'" in message
    assert "rule #3 (budget): budget_usd must be a number of USD, not 'lots'" in message
    assert "could not convert" not in message


def test_every_accepted_duration_unit_is_listed_where_a_duration_is_refused() -> None:
    assert parse_duration("1w") == dt.timedelta(days=7)
    assert parse_duration("30m") == dt.timedelta(minutes=30)
    with pytest.raises(RulesError) as bad:
        parse_rules([{"name": "w", "kind": "spend_spike", "window": "1 fortnight"}])
    message = str(bad.value)
    for unit in ("m (minutes)", "h (hours)", "d (days)", "w (weeks)"):
        assert unit in message
    check_help = build_parser()._subparsers._group_actions[0].choices["alerts"]  # type: ignore[union-attr]
    text = check_help._subparsers._group_actions[0].choices["check"].format_help()  # type: ignore[union-attr]
    assert "w (weeks)" in text
