"""The public surface is what it claims (httpx-style): each public module declares exactly its
names in ``__all__``, defines them, documents them in its docstring, and the collector imports
from otel_llm only names some public module declares."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PUBLIC = {
    # What an app needs: the exporter, its settings and counters, and its constructor's seams.
    "otel_llm.exporter": [
        "ClickHouseLogExporter", "ClickHouseSpanExporter", "ExportStats", "ExporterConfig", "ExporterSettings",
        "RetryPolicy", "Sink", "Waiter", "open_sink",
    ],
    # What another writer of otel_traces and otel_logs (the collector) builds on.
    "otel_llm.exporter.table": [
        "COLUMN_NAMES", "SPAN_KIND_NAMES", "STATUS_CODE_NAMES", "TraceColumns", "TraceWriter", "is_retryable",
        "spans_to_columns", "stringify_attributes", "stringify_value",
        "LOGS_TABLE", "LOG_COLUMN_NAMES", "LogColumns", "TRACES_TABLE",
    ],
    "otel_llm.env": ["env_bool", "env_choice", "env_float", "env_int", "env_str"],
    "otel_llm.instrumentation": ["CallObserver", "add_call_observer", "call_observers", "remove_call_observer"],
}


@pytest.mark.parametrize(("module_name", "names"), PUBLIC.items())
def test_public_surface_is_what_it_claims(module_name: str, names: list[str]) -> None:
    module = importlib.import_module(module_name)
    assert sorted(module.__all__) == sorted(names)
    assert [name for name in names if not hasattr(module, name)] == []
    doc = module.__doc__ or ""
    assert [name for name in names if name not in doc] == [], "document every public name in the module docstring"


def test_star_import_gives_exactly_the_declared_names() -> None:
    namespace: dict[str, object] = {}
    exec("from otel_llm.exporter import *", namespace)  # what a user's star import sees
    assert sorted(k for k in namespace if k != "__builtins__") == sorted(PUBLIC["otel_llm.exporter"])


def _collector_imports() -> list[tuple[str, str]]:
    found = []
    for path in sorted((ROOT / "collector").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("otel_llm."):
                found += [(node.module, alias.name) for alias in node.names]  # type: ignore[misc]
    return found


def test_the_collector_imports_only_declared_public_names() -> None:
    imports = _collector_imports()
    assert ("otel_llm.exporter.table", "TraceWriter") in imports  # the parse sees the collector's imports
    undeclared = [
        f"{module}.{name}" for module, name in imports
        if name not in getattr(importlib.import_module(module), "__all__", ())
    ]
    assert undeclared == []
