"""The connection cap and read deadlines are settings like any other: flag, env, YAML, checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from otel_llm import semconv
from otel_llm_collector.config import CollectorConfig, ConfigError, load_config
from tests.collector.test_config import clean_env, write  # noqa: F401 - the autouse fixture


def test_limits_come_from_flag_env_and_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "max_connections: 50\nheader_timeout: 3\nbody_timeout: 4\n")
    monkeypatch.setenv(semconv.ENV_COLLECTOR_HEADER_TIMEOUT, "5")
    config = load_config(["--config", path, "--body-timeout", "6"])
    assert (config.max_connections, config.header_timeout, config.body_timeout) == (50, 5.0, 6.0)
    monkeypatch.delenv(semconv.ENV_COLLECTOR_HEADER_TIMEOUT)
    defaults = load_config([])
    assert (defaults.max_connections, defaults.header_timeout, defaults.body_timeout) == (1024, 10.0, 30.0)


@pytest.mark.parametrize("flag", ["--max-connections", "--header-timeout", "--body-timeout"])
def test_a_limit_that_would_refuse_everything_stops_the_start(flag: str) -> None:
    with pytest.raises(ConfigError, match="must be positive"):
        load_config([flag, "0"])


def test_help_says_what_each_limit_does(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        load_config(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "longest-idle connection is closed to make room" in text
    assert semconv.ENV_COLLECTOR_MAX_CONNECTIONS in text and semconv.ENV_COLLECTOR_BODY_TIMEOUT in text
    assert CollectorConfig.header_timeout == 10.0
