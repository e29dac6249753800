"""What a newcomer reads and types first: --help texts, the store flags, and SQL errors."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys

import pytest

from otel_llm.cli import build_parser, main
from otel_llm.cli._common import collector_url
from tests.cli.conftest import Run
from tests.cli.newcomer import one_line


def _parsers(parser: argparse.ArgumentParser, name: str = "otel-llm") -> list[tuple[str, argparse.ArgumentParser]]:
    found = [(name, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                found.extend(_parsers(sub, f"{name} {sub_name}"))
    return found


def test_no_help_text_shows_restructuredtext() -> None:
    parsers = _parsers(build_parser())
    assert len(parsers) > 12  # every command and sub-action
    for name, parser in parsers:
        text = parser.format_help()
        assert "``" not in text and ":class:`" not in text, f"{name} --help:\n{text}"
    top = dict(parsers)["otel-llm top"].format_help()
    assert "- types: call types" in top  # the docstring's list keeps its lines


def test_collector_without_a_scheme_means_http() -> None:
    assert collector_url("127.0.0.1:14318") == "http://127.0.0.1:14318"
    assert collector_url("https://c.example:4318") == "https://c.example:4318"
    with pytest.raises(ValueError, match="expected http"):
        collector_url("ftp://c.example")


def test_a_collector_url_without_scheme_is_reached_over_http(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    assert main(["report", "--collector", f"127.0.0.1:{port}"]) == 2
    line = one_line(capsys.readouterr().err)
    assert f"collector at http://127.0.0.1:{port}/v1/sql unreachable" in line
    assert "unknown url type" not in line


def test_endpoint_and_collector_together_are_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["sql", "SELECT 1", "--endpoint", "chdb:///nowhere", "--collector", "127.0.0.1:1"]) == 2
    line = one_line(capsys.readouterr().err)
    assert line == "otel-llm sql: --endpoint and --collector name two different stores: give one of them"


def test_an_endpoint_flag_beats_the_collector_variable(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_LLM_COLLECTOR_URL", "http://127.0.0.1:1")
    code, out, err = run("sql", "SELECT 42 AS answer", "--format", "csv")
    assert (code, out) == (0, "answer\n42\n"), err


def test_sql_errors_quote_only_what_the_user_wrote(run: Run) -> None:
    for sql in ("SELECT nosuch FROM system.one", "SELEC 1"):
        code, _, err = run("sql", sql)
        assert code == 2
        line = one_line(err)
        assert "SETTINGS readonly" not in line and "FORMAT Native" not in line, line
        assert line.startswith("otel-llm sql: Code: ")


@pytest.mark.parametrize("module", ["otel_llm.schema", "otel_llm.fake_provider", "otel_llm_collector"])
def test_the_other_commands_help_is_plain_text_too(module: str) -> None:
    done = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True, timeout=60,
                          check=True)
    assert done.stdout.startswith("usage: ") and "``" not in done.stdout
