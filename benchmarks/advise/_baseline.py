"""This repository's code as it was at a git revision, loaded beside this checkout's: the
"before" of a before/after measured in one run (interleaved, so a loaded machine slows both alike)."""

from __future__ import annotations

import argparse
import atexit
import importlib
import io
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import types
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# An import of the package, at the start of a line: rewritten to the copy's own name.
_IMPORT = re.compile(r"^(\s*)(from|import) otel_llm\b", re.MULTILINE)


def module_at(rev: str, path: str) -> types.ModuleType:
    """``path`` (e.g. ``otel_llm/query/advise.py``) at ``rev``, executed as a fresh module."""
    source = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=REPO, check=True, capture_output=True,
                            text=True).stdout
    module = types.ModuleType(f"{Path(path).stem}_at_{rev}")
    exec(compile(source, f"{rev}:{path}", "exec"), module.__dict__)  # our own file, from git
    return module


def package_at(rev: str) -> str:
    """The ``otel_llm`` package at ``rev``, importable as ``otel_llm_at_<rev>`` (its own imports
    rewritten to that name, so its modules use each other, never this checkout's): a module of it
    is ``importlib.import_module(package_at(rev) + ".instrumentation._fingerprint")``."""
    name = f"otel_llm_at_{rev}"
    if name in sys.modules:
        return name
    archive = subprocess.run(["git", "archive", rev, "otel_llm"], cwd=REPO, check=True, capture_output=True).stdout
    root = Path(tempfile.mkdtemp(prefix="otel_llm_baseline_"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(root, filter="data")
    (root / "otel_llm").rename(root / name)
    for path in (p for p in (root / name).rglob("*.py") if p.is_file()):  # a dangling symlink is skipped
        path.write_text(_IMPORT.sub(rf"\1\2 {name}", path.read_text()))
    sys.path.insert(0, str(root))
    importlib.import_module(name)
    return name


def before_and_after_args(description: str) -> tuple[argparse.Namespace, str]:
    """The before/after benchmarks' options (``--baseline REV``, ``--rounds N``), and the name the
    baseline's whole package is importable under (:func:`package_at`)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--baseline", default="d2703e9", help="git revision to compare with")
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args()
    return args, package_at(args.baseline)
