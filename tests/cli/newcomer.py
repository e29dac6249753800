"""Running ``otel-llm`` as a new user would: in a subprocess, from a shell-like environment, with
an optional module hidden when a test needs the "extra not installed" case."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Installed before anything else runs: imports of the named top-level modules fail as they do when
# the package is not installed (a ModuleNotFoundError naming the module).
_HIDE = """
import sys
from importlib.abc import MetaPathFinder

class _Hidden(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {hidden!r} or name in {hidden!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, _Hidden())
"""
_MAIN = "from otel_llm.cli import main\nsys.exit(main(sys.argv[1:]))\n"


def shell_env(**extra: str) -> dict[str, str]:
    """The environment minus every OTEL_ variable (the test run's own settings), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(extra)
    return env


def otel_llm(*argv: str, hide: Sequence[str] = (), cwd: Path | None = None, env: dict[str, str] | None = None,
             timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``otel-llm ARGV`` in a fresh interpreter; ``hide`` names modules that are not installed."""
    command = [sys.executable, "-c", _HIDE.format(hidden=set(hide)) + _MAIN, *argv] if hide \
        else [sys.executable, "-m", "otel_llm.cli", *argv]
    return subprocess.run(command, cwd=cwd or REPO, env=env or shell_env(), capture_output=True, text=True,
                          timeout=timeout, check=False)


def python_without(code: str, hide: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """``python -c CODE`` in a fresh interpreter where the ``hide`` modules are not installed."""
    return subprocess.run([sys.executable, "-c", _HIDE.format(hidden=set(hide)) + code], cwd=REPO, env=shell_env(),
                          capture_output=True, text=True, timeout=120, check=False)


def one_line(text: str) -> str:
    """The stream holds exactly one line, no traceback: that line."""
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]
