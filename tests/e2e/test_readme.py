"""The README's quick start and "Use it in your app", executed as written.

The code blocks are read from README.md, so editing the README changes what runs here. The
only substitutions are the ones a test must make: the fake provider's base URL and key in the
environment (no API key, no network), a temporary data directory (``XDG_DATA_HOME``, which moves
the default store), and the tiktoken cache of this machine. ``pip install`` is not run (the
suite's environment is that install); its extras are checked against the installed package's metadata instead.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from otel_llm.fake_provider import FakeProvider

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent


def section(title: str) -> str:
    """The text of one ``## title`` section, up to the next ``## `` heading (subsections excluded)."""
    start = README.index(f"\n## {title}\n")
    rest = README[start + 1:]
    end = re.search(r"\n##?#? ", rest[3:])
    return rest[:end.start() + 3] if end else rest


def blocks(text: str, lang: str) -> list[str]:
    """The fenced code blocks of ``text`` whose info string is ``lang`` ("" for a bare fence)."""
    found, current, info = [], None, ""
    for line in text.splitlines(keepends=True):
        if current is None and line.startswith("```"):
            current, info = [], line[3:].strip()
        elif current is not None and line.rstrip() == "```":
            if info == lang:
                found.append("".join(current))
            current = None
        elif current is not None:
            current.append(line)
    return found


def commands(block: str) -> list[str]:
    """Shell lines of a bash block, comments and continuations resolved."""
    joined = block.replace("\\\n", " ")
    return [line.split("  #")[0].strip() for line in joined.splitlines() if line.strip() and not line.startswith("#")]


def user_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A user's shell: the venv's commands on PATH, none of the suite's OTEL_ settings, a temporary
    data home, this machine's tiktoken cache."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OPENAI_", "ANTHROPIC_"))}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", XDG_DATA_HOME=str(tmp_path / "data"), **extra)
    return env


def sh(line: str, tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", line], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180,
                          check=False)


def _table(stdout: str, title: str) -> str:
    """One report table of the demo's output (between its ``== title ==`` line and a blank line)."""
    after = stdout.split(f"== {title}", 1)[1].split("\n", 1)[1]
    return after.split("\n\n", 1)[0].strip("\n")


def test_quick_start_make_demo_prints_the_table_the_readme_shows(tmp_path: Path) -> None:
    quick = section("Quick start")
    [bash] = blocks(quick, "bash")
    assert "make demo" in commands(bash)
    recipe = subprocess.run(["make", "-n", "-s", "demo"], cwd=REPO, capture_output=True, text=True, check=True)
    demo_line = recipe.stdout.strip().splitlines()[-1]  # what make demo runs once .venv exists
    argv = shlex.split(demo_line)
    assert Path(argv[0]).name == "otel-llm" and argv[1:] == ["demo"], demo_line
    [shown] = blocks(quick, "")
    env = user_env(tmp_path)
    first = sh("otel-llm demo", tmp_path, env)
    assert first.returncode == 0, first.stderr
    assert _table(first.stdout, "cost by feature") == shown.strip("\n")
    assert f"{tmp_path}/data/otel-llm" in first.stderr  # "the data lands in ~/.local/share/otel-llm"
    assert "Traceback" not in first.stderr and "already holds" not in first.stderr

    again = sh("otel-llm demo", tmp_path, env)  # "Run it again and it adds to the same store (36, then 72"
    assert "already holds 36 calls from earlier demo runs" in again.stderr and "otel-llm demo --fresh" in again.stderr
    assert _table(again.stdout, "cost by feature").splitlines()[-1].split()[:2] == ["TOTAL", "72"]
    fresh = sh("otel-llm demo --fresh", tmp_path, env)
    assert _table(fresh.stdout, "cost by feature") == shown.strip("\n")


@pytest.fixture
def app(tmp_path: Path) -> tuple[Path, list[str], str]:
    """(folder with the README's app.py, its bash lines, the launcher-free setup block)."""
    use = section("Use it in your app")
    app_py, setup = blocks(use, "python")
    (tmp_path / "app.py").write_text(app_py)
    [bash] = blocks(use, "bash")
    return tmp_path, commands(bash), setup


def test_the_install_line_names_real_extras(app: tuple[Path, list[str], str]) -> None:
    _, lines, _ = app
    install = lines[0]
    assert install.startswith("pip install ")
    extras = metadata.metadata("otel-llm").get_all("Provides-Extra") or []
    named = re.findall(r"otel-llm\[(\w+)\]", install) + re.findall(r"\[(\w+)\] for", install)
    assert named and all(name in extras for name in named), named
    for package in shlex.split(install.split("#")[0])[2:]:
        if not package.startswith("otel-llm"):
            subprocess.run([sys.executable, "-m", "pip", "show", "-q", package], check=True, capture_output=True)


def test_use_it_in_your_app_as_written(app: tuple[Path, list[str], str]) -> None:
    """The app runs under opentelemetry-instrument with the README's variables, prints its reply
    and nothing else (no export errors, no traceback), and the report shows its call priced;
    then the launcher-free setup, pasted before the same app, adds a second call."""
    folder, lines, setup = app
    run_app, report = lines[1], lines[2]
    assert "opentelemetry-instrument python app.py" in run_app and report.startswith("otel-llm report")
    with FakeProvider() as fake:
        env = user_env(folder, OPENAI_BASE_URL=fake.openai_base_url, OPENAI_API_KEY="test-key")
        done = sh(run_app, folder, env)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() and done.stderr == "", done.stderr
        reported = sh(report, folder, env)
        assert reported.returncode == 0, reported.stderr
        row = next(line.split() for line in reported.stdout.splitlines() if line.startswith("document_analysis"))
        assert row[1] == "1" and float(row[2]) > 0, reported.stdout  # one call, priced

        (folder / "in_code.py").write_text(setup + "\n" + (folder / "app.py").read_text())
        done = subprocess.run([sys.executable, "in_code.py"], cwd=folder, env=env, capture_output=True, text=True,
                              timeout=180, check=False)
        assert done.returncode == 0 and done.stderr == "", done.stderr
        reported = sh(report, folder, env)
        row = next(line.split() for line in reported.stdout.splitlines() if line.startswith("document_analysis"))
        assert row[1] == "2", reported.stdout
