"""The wheel's package list: every package folder is shipped, and the collector installs under its
own import name (a top-level ``collector`` in site-packages would collide with other projects)."""

from __future__ import annotations

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
