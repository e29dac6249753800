"""Settings resolve flag > environment > YAML file > default, in one place."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from otel_llm import semconv
from otel_llm_collector.config import CollectorConfig, ConfigError, load_config
from tests.collector.harness import start_collector


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in dir(semconv):
        if name.startswith("ENV_COLLECTOR_"):
            monkeypatch.delenv(getattr(semconv, name), raising=False)


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "collector.yaml"
    path.write_text(text)
    return str(path)


def test_defaults_bind_loopback_and_share_the_cli_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(semconv.ENV_CLICKHOUSE_ENDPOINT, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    config = load_config([])
    assert (config.host, config.http_port, config.grpc_port) == ("127.0.0.1", 4318, 4317)
    assert config.dsn == f"chdb://{tmp_path / 'otel-llm'}"  # what the exporter and `otel-llm report` open
    assert config.spool == tmp_path / "otel-llm-collector" / "spool"
    assert config.auth_token is None and config.forward == ()
    monkeypatch.setenv(semconv.ENV_CLICKHOUSE_ENDPOINT, "http://ch:8123")
    assert load_config([]).dsn == "http://ch:8123"
    assert load_config(["--endpoint", "chdb:///x"]).dsn == "chdb:///x"


def test_unsupported_dsn_stops_the_start() -> None:
    with pytest.raises(ConfigError, match="Unsupported ClickHouse DSN"):
        load_config(["--endpoint", "postgres://db/x"])


def test_flag_beats_env_beats_file_beats_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "http_port: 1001\ngrpc_port: 2001\ndatabase: from_file\nsql_timeout: 3\n")
    monkeypatch.setenv(semconv.ENV_COLLECTOR_HTTP_PORT, "1002")
    monkeypatch.setenv(semconv.ENV_COLLECTOR_GRPC_PORT, "2002")
    config = load_config(["--config", path, "--http-port", "1003"])
    assert config.http_port == 1003  # flag
    assert config.grpc_port == 2002  # env over file
    assert config.database == "from_file"  # file over default
    assert config.sql_timeout == 3.0
    assert config.max_body_bytes == CollectorConfig.max_body_bytes  # default


def test_config_file_can_come_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(semconv.ENV_COLLECTOR_CONFIG, write(tmp_path, "forward: [http://a:4318, http://b:4318]\n"))
    assert load_config([]).forward == ("http://a:4318", "http://b:4318")


def test_forward_is_repeatable_as_a_flag_and_a_comma_list_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(semconv.ENV_COLLECTOR_FORWARD, "http://env-a:4318, http://env-b:4318")
    assert load_config([]).forward == ("http://env-a:4318", "http://env-b:4318")
    assert load_config(["--forward", "http://x", "--forward", "http://y"]).forward == ("http://x", "http://y")


def test_bad_env_value_falls_back_and_says_why(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(semconv.ENV_COLLECTOR_HTTP_PORT, "eighty")
    with caplog.at_level(logging.WARNING):
        assert load_config([]).http_port == 4318
    assert semconv.ENV_COLLECTOR_HTTP_PORT in caplog.text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("http_prot: 1\n", "unknown settings"),
        ("- a list\n", "mapping"),
        ("http_port: [1]\n", "http_port"),
        ("spool_max_bytes: 0\n", "positive"),
        ("tls_cert: /a.pem\n", "go together"),
    ],
)
def test_bad_file_stops_the_start_with_a_clear_message(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(["--config", write(tmp_path, text)])


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(["--config", str(tmp_path / "absent.yaml")])


def test_token_never_shows_in_the_config_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(semconv.ENV_COLLECTOR_AUTH_TOKEN, "s3cret-token")
    config = load_config([])
    assert config.auth_token == "s3cret-token"
    assert "s3cret" not in repr(config)


def test_credentials_never_reach_the_log(tmp_path: Path) -> None:
    running = start_collector(
        tmp_path, endpoint="http://alice:pa55word@127.0.0.1:9/", token="t0ken-xyz", wait_ready=False
    )
    try:
        deadline = time.monotonic() + 30
        while running.metric("clickhouse_errors_total") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert running.metric("clickhouse_errors_total") >= 2  # it tried, and logged why
    finally:
        running.stop()
    log = running.log()
    assert "ClickHouse unavailable" in log and "127.0.0.1" in log
    assert "pa55word" not in log and "t0ken-xyz" not in log


def test_the_sql_endpoint_dsn_is_a_flag_an_env_var_or_a_yaml_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ["--endpoint", "http://writer:w@ch:8123"]
    assert load_config(store).sql_dsn == "http://writer:w@ch:8123"  # default: the store's DSN, as before
    path = write(tmp_path, "sql_endpoint_dsn: http://file:f@ch:8123\n")
    assert load_config([*store, "--config", path]).sql_dsn == "http://file:f@ch:8123"
    monkeypatch.setenv(semconv.ENV_COLLECTOR_SQL_ENDPOINT_DSN, "http://env:e@ch:8123")
    assert load_config([*store, "--config", path]).sql_dsn == "http://env:e@ch:8123"
    config = load_config([*store, "--sql-endpoint-dsn", "http://reader:s3cret@ch:8123"])
    assert config.sql_dsn == "http://reader:s3cret@ch:8123" and config.dsn == "http://writer:w@ch:8123"
    assert "s3cret" not in repr(config)


def test_a_chdb_sql_endpoint_dsn_beside_another_store_stops_the_start() -> None:
    with pytest.raises(ConfigError, match="names a ClickHouse server user"):
        load_config(["--endpoint", "chdb:///a", "--sql-endpoint-dsn", "chdb:///b"])
    with pytest.raises(ConfigError, match="Unsupported ClickHouse DSN"):
        load_config(["--sql-endpoint-dsn", "postgres://db/x"])
