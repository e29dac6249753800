"""The wheel's package list: every package folder is shipped, and the collector installs under its
own import name (a top-level ``collector`` in site-packages would collide with other projects)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import tomllib
from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[2]


def _setuptools() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_package_folder_is_listed() -> None:
    listed = set(_setuptools()["packages"])
    found = set(find_packages(str(ROOT), include=["otel_llm", "otel_llm.*"]))
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
    assert "otel_llm_collector" in listed


def test_the_collector_folder_installs_as_otel_llm_collector() -> None:
    config = _setuptools()
    assert config["package-dir"] == {"otel_llm_collector": "collector"}
    assert "collector" not in config["packages"]
    import otel_llm_collector

    assert Path(otel_llm_collector.__file__).resolve().parent == ROOT / "collector"


def test_the_data_folders_are_packages_with_their_data() -> None:
    """Every folder holding shipped files is listed as a package (else setuptools warns
    "otel_llm.schema.sql is absent from the packages configuration" and may stop shipping it)."""
    listed = set(_setuptools()["packages"])
    data_folders = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "otel_llm").rglob("*")
                    if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts}
    assert data_folders <= listed, f"add to [tool.setuptools] packages: {sorted(data_folders - listed)}"


def test_the_wheel_builds_without_warnings_and_ships_every_data_file(tmp_path: Path) -> None:
    """``pip wheel`` from a copy of the tree (the build leaves build/ behind): no setuptools
    warning about the package configuration, and every .sql/.json/static file is in the wheel."""
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".venv*", ".git", "__pycache__", "build", "*.egg-info",
                                                                 ".otel-llm-data", "benchmarks", "tests"))
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "-w", str(tmp_path / "dist"),
                           str(source)], capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    output = done.stdout + done.stderr
    assert "BuildBackendWarning" not in output and "absent from the packages" not in output
    [wheel] = (tmp_path / "dist").glob("otel_llm-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    data = {p.relative_to(ROOT).as_posix() for p in (ROOT / "otel_llm").rglob("*")
            if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts}
    assert data and data <= shipped, sorted(data - shipped)
    assert "otel_llm_collector/__main__.py" in shipped
