"""Building the exporter: from the environment alone (as opentelemetry-instrument does), or from code."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import entry_points
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanContext

from otel_llm import semconv
from otel_llm.exporter import ClickHouseSpanExporter

ALL_VARIABLES = (
    semconv.ENV_CLICKHOUSE_ENDPOINT,
    semconv.ENV_CLICKHOUSE_DATABASE,
    semconv.ENV_CLICKHOUSE_USERNAME,
    semconv.ENV_CLICKHOUSE_PASSWORD,
    semconv.ENV_CLICKHOUSE_CREATE_SCHEMA,
    semconv.ENV_CLICKHOUSE_TTL_DAYS,
    semconv.ENV_CLICKHOUSE_TIMEOUT,
    semconv.ENV_CLICKHOUSE_COMPRESSION,
    semconv.ENV_CLICKHOUSE_BUFFER_SPANS,
    semconv.ENV_CLICKHOUSE_SHUTDOWN_TIMEOUT,
)


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[pytest.MonkeyPatch]:
    for name in ALL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))  # the embedded default lands in the test's dir
    yield monkeypatch


@pytest.fixture
def built() -> Iterator[list[ClickHouseSpanExporter]]:
    exporters: list[ClickHouseSpanExporter] = []
    yield exporters
    for exporter in exporters:
        exporter.shutdown(timeout_millis=1_000)


def test_the_entry_point_builds_the_exporter_from_the_environment_alone(
    environment: pytest.MonkeyPatch, built: list[ClickHouseSpanExporter]
) -> None:
    environment.setenv(semconv.ENV_CLICKHOUSE_ENDPOINT, "https://ingest:secret@ch.example.com:8443")
    environment.setenv(semconv.ENV_CLICKHOUSE_DATABASE, "telemetry")
    environment.setenv(semconv.ENV_CLICKHOUSE_CREATE_SCHEMA, "true")
    environment.setenv(semconv.ENV_CLICKHOUSE_TTL_DAYS, "7")
    environment.setenv(semconv.ENV_CLICKHOUSE_BUFFER_SPANS, "2000")
    environment.setenv(semconv.ENV_CLICKHOUSE_SHUTDOWN_TIMEOUT, "2.5")
    (entry,) = [e for e in entry_points(group="opentelemetry_traces_exporter") if e.name == "clickhouse"]
    exporter = entry.load()()  # no arguments, as the SDK's configurator calls it
    built.append(exporter)

    config = exporter.config
    assert isinstance(exporter, ClickHouseSpanExporter)
    assert (config.endpoint, config.database, config.create_schema) == (
        "https://ingest:secret@ch.example.com:8443",
        "telemetry",
        True,
    )
    assert config.schema_ttl_days == {"otel_traces": 7, "otel_traces_trace_id_ts": 7, "otel_logs": 7}
    assert (config.max_buffered_spans, config.max_batch_spans, config.shutdown_timeout_s) == (2000, 2000, 2.5)
    assert "secret" not in repr(config)


def test_defaults_are_an_embedded_store_with_its_schema(
    environment: pytest.MonkeyPatch, tmp_path: Any, built: list[ClickHouseSpanExporter]
) -> None:
    exporter = ClickHouseSpanExporter()
    built.append(exporter)
    config = exporter.config
    assert config.endpoint == f"chdb://{tmp_path / 'otel-llm'}"
    assert (config.database, config.create_schema, config.ttl_days) == ("otel", True, None)
    assert (config.max_buffered_spans, config.max_batch_spans, config.max_batch_age_s) == (100_000, 50_000, 1.0)
    assert config.shutdown_timeout_s == 5.0
    assert exporter.stats().received_spans == 0  # and nothing was opened: no spans yet


def test_a_server_endpoint_does_not_create_the_schema_unless_asked(
    environment: pytest.MonkeyPatch, built: list[ClickHouseSpanExporter]
) -> None:
    built.append(ClickHouseSpanExporter(endpoint="http://localhost:8123"))
    built.append(ClickHouseSpanExporter(endpoint="http://localhost:8123", create_schema=True))
    assert [e.config.create_schema for e in built] == [False, True]


def test_bad_environment_values_fall_back_and_say_why(
    environment: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, built: list[ClickHouseSpanExporter]
) -> None:
    environment.setenv(semconv.ENV_CLICKHOUSE_BUFFER_SPANS, "lots")
    environment.setenv(semconv.ENV_CLICKHOUSE_TTL_DAYS, "-3")
    environment.setenv(semconv.ENV_CLICKHOUSE_CREATE_SCHEMA, "perhaps")
    environment.setenv(semconv.ENV_CLICKHOUSE_SHUTDOWN_TIMEOUT, "-1")
    with caplog.at_level(logging.WARNING):
        exporter = ClickHouseSpanExporter()
    built.append(exporter)
    config = exporter.config
    assert (config.max_buffered_spans, config.ttl_days, config.create_schema, config.shutdown_timeout_s) == (
        100_000,
        None,
        True,
        5.0,
    )
    for name in (
        semconv.ENV_CLICKHOUSE_BUFFER_SPANS,
        semconv.ENV_CLICKHOUSE_TTL_DAYS,
        semconv.ENV_CLICKHOUSE_CREATE_SCHEMA,
        semconv.ENV_CLICKHOUSE_SHUTDOWN_TIMEOUT,
    ):
        assert name in caplog.text


def test_an_unusable_endpoint_variable_is_logged_and_its_spans_rejected_not_raised(
    environment: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, built: list[ClickHouseSpanExporter]
) -> None:
    environment.setenv(semconv.ENV_CLICKHOUSE_ENDPOINT, "mysql://user:hunter2@db")
    with caplog.at_level(logging.WARNING):
        exporter = ClickHouseSpanExporter()  # the app must still start
        built.append(exporter)
        exporter.export([ReadableSpan("op", SpanContext(1, 2, is_remote=False), start_time=1, end_time=2)])
        assert exporter.force_flush(5_000)
    assert exporter.stats().rejected_spans == 1
    assert "Unsupported ClickHouse DSN" in (exporter.stats().last_error or "")
    assert semconv.ENV_CLICKHOUSE_ENDPOINT in caplog.text
    assert "hunter2" not in caplog.text


@pytest.mark.parametrize(
    "arguments",
    [
        {"endpoint": "mysql://db"},
        {"database": ""},
        {"timeout_s": 0},
        {"compression": "snappy"},
        {"max_buffered_spans": 0},
        {"max_batch_spans": -1},
        {"max_batch_age_s": -1.0},
        {"ttl_days": -1},
        {"ttl_days": True},
        {"shutdown_timeout_s": -0.5},
        {"shutdown_timeout_s": float("nan")},
        {"shutdown_timeout_s": float("inf")},
    ],
)
def test_bad_arguments_raise_at_once(environment: pytest.MonkeyPatch, arguments: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        ClickHouseSpanExporter(**arguments)


def test_arguments_win_over_the_environment(
    environment: pytest.MonkeyPatch, built: list[ClickHouseSpanExporter]
) -> None:
    environment.setenv(semconv.ENV_CLICKHOUSE_DATABASE, "from_env")
    environment.setenv(semconv.ENV_CLICKHOUSE_BUFFER_SPANS, "5")
    exporter = ClickHouseSpanExporter(endpoint="http://h:8123", database="from_code", max_buffered_spans=9, ttl_days=0)
    built.append(exporter)
    assert (exporter.config.database, exporter.config.max_buffered_spans, exporter.config.ttl_days) == (
        "from_code",
        9,
        0,
    )


def test_a_misspelt_setting_is_refused_by_name(environment: pytest.MonkeyPatch) -> None:
    with pytest.raises(TypeError, match="max_buffer_spans"):
        ClickHouseSpanExporter(max_buffer_spans=10)  # type: ignore[call-arg]


def test_building_the_exporter_imports_no_driver_and_opens_nothing(tmp_path: Any) -> None:
    # In a fresh interpreter: this test process has long imported clickhouse-connect and chdb.
    script = (
        "import sys\n"
        "import otel_llm.exporter as e\n"
        f"exporter = e.ClickHouseSpanExporter(endpoint='chdb://{tmp_path / 'never'}')\n"
        "assert set(e.__all__) <= set(dir(e)), 'a public name is missing'\n"
        "print(sorted(m for m in ('chdb', 'clickhouse_connect') if m in sys.modules))\n"
        "exporter.shutdown()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "[]"
    assert not (tmp_path / "never").exists()  # the store opens on the first insert, not before
