"""A module of this repository as it was at a git revision, loaded beside this checkout's: the
"before" of a before/after measured in one run."""

from __future__ import annotations

import subprocess
import types
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def module_at(rev: str, path: str) -> types.ModuleType:
    """``path`` (e.g. ``otel_llm/query/advise.py``) at ``rev``, executed as a fresh module."""
    source = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=REPO, check=True, capture_output=True,
                            text=True).stdout
    module = types.ModuleType(f"{Path(path).stem}_at_{rev}")
    exec(compile(source, f"{rev}:{path}", "exec"), module.__dict__)  # our own file, from git
    return module
