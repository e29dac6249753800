"""The import graph of the shipped code, read from the source with ``ast``: imports point down the
layers of ARCHITECTURE.md, the collector uses only public modules of otel_llm, and no two modules
import each other, directly or around a circle, counting imports inside functions and
``if TYPE_CHECKING:`` blocks too (a type-only circle is still a circle in the design).

Layers, bottom up (a module may import its own layer and those below):

0. core: semconv, usage (and its plausibility check, other providers' readers), pricing, tokens,
   context, the env and interval-log helpers, the extras' install lines, the package root
1. instrumentation
2. storage: exporter, schema, store
3. query, and reconcile (provider exports held against what the query layer reads)
4. alerts, budget, advise (the findings of otel-llm advise; alerts use them), the dashboard (ui)
5. the CLI

Two services stand beside the layers: the collector (``otel_llm_collector``) builds on layers up
to the dashboard's (through public modules only: ``collector --ui`` serves the dashboard), and
the fake provider (a test tool) on core only. Of the library, only the CLI imports either of them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# (folder, import name): the collector folder installs as otel_llm_collector (package-dir).
PACKAGES = ((ROOT / "otel_llm", "otel_llm"), (ROOT / "collector", "otel_llm_collector"))

CORE = ("otel_llm", "otel_llm.semconv", "otel_llm.usage", "otel_llm.usage_check", "otel_llm.provider_usage",
        "otel_llm.pricing", "otel_llm.tokens", "otel_llm.context", "otel_llm._env", "otel_llm.env",
        "otel_llm.log_interval", "otel_llm.extras", "otel_llm.yaml_errors")
LAYERS: tuple[tuple[str, ...], ...] = (
    CORE,
    ("otel_llm.instrumentation",),
    ("otel_llm.exporter", "otel_llm.schema", "otel_llm.store"),
    ("otel_llm.query", "otel_llm.reconcile"),
    ("otel_llm.alerts", "otel_llm.budget", "otel_llm.advise", "otel_llm.ui"),
    ("otel_llm.cli",),
)
CLI_LAYER = len(LAYERS) - 1
# Services beside the layers: (package, the highest layer it may import).
SERVICES = {"otel_llm_collector": 4, "otel_llm.fake_provider": 0}


def _module_names() -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for folder, name in PACKAGES:
        for path in folder.rglob("*.py"):
            parts = [name, *path.relative_to(folder).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


MODULES = _module_names()


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def _imports(module: str) -> Iterator[str]:
    """Every module of ours that ``module`` imports, wherever the import statement sits."""
    tree = ast.parse(MODULES[module].read_text(), filename=str(MODULES[module]))
    package = module if _is_package(module) else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from pkg import sub`` imports the submodule when there is one, else a name of pkg.
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:  # ``import a.b.c`` where c is a name: a.b
                target = target.rpartition(".")[0]
            if target and target != module:
                yield target


GRAPH = {module: set(_imports(module)) for module in MODULES}


def _owner(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def layer_of(module: str) -> int | None:
    """The layer index; the root package ``otel_llm`` matches only itself, not its subpackages."""
    for index, prefixes in enumerate(LAYERS):
        if module in prefixes or _owner(module, tuple(p for p in prefixes if p != "otel_llm")):
            return index
    return None


def service_of(module: str) -> str | None:
    return next((service for service in SERVICES if _owner(module, (service,))), None)


def test_every_shipped_module_has_a_place() -> None:
    homeless = sorted(m for m in MODULES if layer_of(m) is None and service_of(m) is None)
    assert homeless == [], "give these a layer in this test and in ARCHITECTURE.md"


def test_the_parser_sees_known_edges() -> None:
    """Guards the test itself: edges of each kind (a from-import of a submodule, a deferred
    import inside a function, a type-only import) are all found."""
    assert "otel_llm.instrumentation._observers" in GRAPH["otel_llm.instrumentation._wrapping"]
    assert "otel_llm.exporter.table" in GRAPH["otel_llm_collector.convert"]
    assert "otel_llm.pricing" in GRAPH["otel_llm.instrumentation._lifecycle"]  # imported inside a method
    assert "otel_llm.pricing" in GRAPH["otel_llm.budget._estimate"]  # TYPE_CHECKING and deferred
    assert "otel_llm_collector" in GRAPH["otel_llm.cli.collector"]


def _wrong_way(module: str, target: str) -> bool:
    here, service = layer_of(module), service_of(module)
    target_service = service_of(target)
    if target_service is not None and target_service != service:
        return here != CLI_LAYER  # a service is started by the CLI, never imported by the library
    if target_service is not None:
        return False  # inside one service
    there = layer_of(target)
    assert there is not None, target
    ceiling = SERVICES[service] if service is not None else here
    assert ceiling is not None, module
    return there > ceiling


def test_imports_point_down_the_layers() -> None:
    upward = sorted(f"{m} -> {t}" for m, targets in GRAPH.items() for t in targets if _wrong_way(m, t))
    assert upward == []


@pytest.mark.parametrize(
    ("module", "target", "wrong"),
    [
        ("otel_llm.instrumentation._wrapping", "otel_llm.budget", True),
        ("otel_llm.budget._budget", "otel_llm.instrumentation", False),
        ("otel_llm.query.sources", "otel_llm.cli._common", True),
        ("otel_llm.budget._refresh", "otel_llm_collector.config", True),
        ("otel_llm.cli.collector", "otel_llm_collector", False),
        ("otel_llm_collector.drain", "otel_llm.exporter.table", False),
        ("otel_llm_collector.drain", "otel_llm.cli.report", True),
        ("otel_llm.fake_provider._server", "otel_llm.store", True),
    ],
)
def test_the_rule_tells_down_from_up(module: str, target: str, wrong: bool) -> None:
    assert _wrong_way(module, target) is wrong


def test_the_collector_uses_only_public_modules_of_otel_llm() -> None:
    private = [
        f"{m} -> {t}"
        for m, targets in GRAPH.items() if service_of(m) == "otel_llm_collector"
        for t in targets if t.startswith("otel_llm.") and any(part.startswith("_") for part in t.split("."))
    ]
    assert private == []


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(GRAPH):
        if start in index:
            continue
        work = [(start, iter(sorted(GRAPH[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(GRAPH[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycle() -> None:
    assert _cycles() == []


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"a"}, "c": {"a"}}, [["a", "b"]]),
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
    ],
)
def test_the_cycle_finder_finds_circles(graph: dict[str, set[str]], expected: list[list[str]],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(f"{__name__}.GRAPH", graph)
    assert _cycles() == expected


def test_instrumenting_both_sdks_loads_nothing_above_the_instrumentation() -> None:
    """At run time too: a fresh interpreter that instruments both SDKs has loaded no budget,
    exporter, query, collector or CLI module (the budget reaches the calls as an observer)."""
    import json
    import subprocess
    import sys

    script = (
        "import json, sys\n"
        "from otel_llm.instrumentation.anthropic import AnthropicInstrumentor\n"
        "from otel_llm.instrumentation.openai import OpenAIInstrumentor\n"
        "OpenAIInstrumentor().instrument(); AnthropicInstrumentor().instrument()\n"
        "print(json.dumps(sorted({'.'.join(m.split('.')[:2]) for m in sys.modules if m.startswith('otel_llm')})))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    loaded = set(json.loads(done.stdout))
    assert "otel_llm.instrumentation" in loaded
    above = {"otel_llm.budget", "otel_llm.exporter", "otel_llm.query", "otel_llm.cli", "otel_llm.alerts"}
    assert loaded & (above | {"otel_llm_collector"}) == set()
