"""An optional part used without its extra: one line naming the ``pip install``, exit 2.

The modules are hidden from a fresh interpreter (an import hook raising ModuleNotFoundError, as a
missing package does), not uninstalled, so the suite's own environment stays whole.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.newcomer import one_line, otel_llm, python_without


@pytest.mark.parametrize(("hidden", "argv", "extra"), [
    ("aiohttp", ["collector"], 'pip install "otel-llm[collector]"'),
    ("grpc", ["collector", "--grpc-port", "0"], 'pip install "otel-llm[collector]"'),
    ("chdb", ["report", "--endpoint", "chdb://{tmp}/store"], 'pip install "otel-llm[embedded]"'),
    ("clickhouse_connect", ["report", "--endpoint", "chdb://{tmp}/store"], 'pip install "otel-llm[embedded]"'),
])
def test_a_missing_extra_is_one_line_naming_it(hidden: str, argv: list[str], extra: str, tmp_path: Path) -> None:
    done = otel_llm(*[a.format(tmp=tmp_path) for a in argv], hide=[hidden])
    assert done.returncode == 2
    line = one_line(done.stderr)
    assert line == f"otel-llm {argv[0]}: {hidden} is not installed: {extra}" or line.startswith(
        f"otel-llm {argv[0]}: {hidden} is not installed: {extra} (or"), line


def test_a_missing_module_of_our_own_keeps_its_traceback() -> None:
    """Only the extras' modules are turned into an install line: our own bug must stay visible."""
    done = otel_llm("report", "--endpoint", "chdb:///nonexistent/x", hide=["otel_llm.query"])
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "ModuleNotFoundError" in done.stderr


@pytest.mark.parametrize(("hidden", "extra"), [("clickhouse_connect", "embedded"), ("chdb", "embedded")])
def test_an_apps_exporter_without_the_extra_logs_which_to_install(hidden: str, extra: str, tmp_path: Path) -> None:
    """OTEL_TRACES_EXPORTER=clickhouse after a plain ``pip install otel-llm``: the app keeps
    running and its log names the extra, not only the driver's ImportError."""
    app = f"""
import logging
logging.basicConfig(format="%(message)s")
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from otel_llm.exporter import ClickHouseSpanExporter
exporter = ClickHouseSpanExporter(endpoint="chdb://{tmp_path}/store")
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
provider.get_tracer("app").start_span("chat gpt-4o").end()
exporter.force_flush()
provider.shutdown()
print("app finished")
"""
    done = python_without(app, [hidden])
    assert done.returncode == 0 and done.stdout == "app finished\n", done.stderr
    assert f'{hidden} is not installed: pip install "otel-llm[{extra}]"' in done.stderr, done.stderr


@pytest.mark.parametrize("hidden", ["aiohttp", "grpc"])
def test_the_collector_module_without_its_extra_is_one_line(hidden: str) -> None:
    """``python -m otel_llm_collector`` is the Docker image's entry point: without the extra it
    prints the same line as ``otel-llm collector``, not a ModuleNotFoundError traceback."""
    done = python_without("import runpy\nrunpy.run_module('otel_llm_collector', run_name='__main__')\n",
                          hide=[hidden])
    assert done.returncode == 2, done.stderr
    assert one_line(done.stderr) == f'otel-llm collector: {hidden} is not installed: pip install "otel-llm[collector]"'
