"""A store path that cannot be used, a store nothing was written to yet, and a relative chdb path:
each one line from the CLI (report, demo) and a path-naming log line from an app's exporter."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from otel_llm.cli import main
from otel_llm.store import StorePathError, connect, resolve_dsn
from tests.cli.newcomer import one_line, otel_llm


@pytest.fixture
def blocked(tmp_path: Path) -> str:
    """A store path under a regular file: it can never be a directory."""
    (tmp_path / "afile").write_text("not a directory")
    return str(tmp_path / "afile" / "store")


@pytest.mark.parametrize("path", ["AFILE", "/proc/otel-llm-test/store", "/proc"])
def test_report_on_an_unusable_store_path_is_one_line_naming_it(
    path: str, blocked: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = blocked if path == "AFILE" else path
    assert main(["report", "--endpoint", f"chdb://{path}"]) == 2
    out, err = capsys.readouterr()
    line = one_line(err)
    assert line.startswith("otel-llm report: the embedded store directory ") and path in line
    assert out == ""


def test_demo_on_an_unusable_data_dir_is_one_line(blocked: str) -> None:
    done = otel_llm("demo", "--data-dir", blocked, "--rounds", "1")
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.startswith("otel-llm demo: the embedded store")]
    assert len(errors) == 1 and blocked in errors[0]
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_an_apps_exporter_names_the_path_it_cannot_use(blocked: str, caplog: pytest.LogCaptureFixture) -> None:
    """The exporter opens the store lazily on its own thread and logs what stopped it: the path
    must be in that line (it said only NotADirectoryError before)."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    from otel_llm.exporter import ClickHouseSpanExporter

    with pytest.raises(StorePathError, match="afile/store"):
        connect(f"chdb://{blocked}")
    exporter = ClickHouseSpanExporter(endpoint=f"chdb://{blocked}")
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with caplog.at_level(logging.WARNING):
        provider.get_tracer("t").start_span("chat gpt-4o").end()
        exporter.force_flush()
        provider.shutdown()
    assert any(blocked in r.getMessage() and "cannot be created" in r.getMessage() for r in caplog.records), \
        [r.getMessage() for r in caplog.records]


def test_a_store_with_no_data_yet_says_so(tmp_path: Path) -> None:
    """A directory that does not exist is not created by a read (a mistyped path would leave an
    empty store behind); an empty existing one says the same."""
    store = tmp_path / "fresh"
    for command in (["report"], ["top"], ["report", "--by", "user"]):
        done = otel_llm(*command, "--endpoint", f"chdb://{store}")
        assert done.returncode == 2
        line = one_line(done.stderr)
        assert f"no calls recorded in chdb://{store} (database otel) yet" in line, line
        assert "UNKNOWN_DATABASE" not in line
        assert not store.exists()
    store.mkdir()
    done = otel_llm("report", "--endpoint", f"chdb://{store}")
    assert done.returncode == 2 and f"no calls recorded in chdb://{store} (database otel) yet" in one_line(done.stderr)


def test_a_relative_chdb_path_is_resolved_against_the_current_directory(tmp_path: Path) -> None:
    assert resolve_dsn("chdb://data/otel") == f"chdb://{Path.cwd() / 'data' / 'otel'}"
    assert resolve_dsn("chdb:///abs/dir") == "chdb:///abs/dir"
    done = otel_llm("report", "--endpoint", "chdb://data/otel", cwd=tmp_path)
    assert f"no calls recorded in chdb://{tmp_path / 'data' / 'otel'} " in one_line(done.stderr)
    assert not (tmp_path / "data").exists()  # a read creates nothing
