"""The README's "Find savings" section, executed as written in a user's shell (see test_readme.py)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e.test_readme import blocks, commands, section, sh, user_env

_SINCE = re.compile(r"since \d{4}-\d\d-\d\d \d\d:\d\d UTC")


def test_find_savings_prints_the_findings_the_readme_shows(tmp_path: Path) -> None:
    text = section("Find savings")
    [bash] = blocks(text, "bash")
    [shown] = blocks(text, "")
    env = user_env(tmp_path)
    *setup, advise_line = commands(bash)
    for line in setup:
        done = sh(line, tmp_path, env)
        assert done.returncode == 0, done.stderr
    result = sh(advise_line, tmp_path, env)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    printed = result.stdout.split("\n\nHow each was computed:", 1)[0]
    # The window's start is the only part that depends on the day the test runs.
    assert _SINCE.sub("since DATE", printed.strip("\n")) == _SINCE.sub("since DATE", shown.strip("\n"))
    assert "How each was computed:" in result.stdout
    assert (tmp_path / "data" / "otel-llm-fingerprint.key").stat().st_mode & 0o077 == 0
