"""deploy/ cannot start here (no Docker engine): check its wiring.

The Grafana dashboard's panels are generated from the named reads (``otel_llm.query.grafana``);
tests/query/test_grafana.py runs every panel's SQL on chdb and compares it with the CLI's numbers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from otel_llm_collector.config import load_config

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "otel-llm.json"
DATASOURCE_UID = "otel-llm-clickhouse"


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def panels() -> list[dict[str, Any]]:
    return json.loads(DASHBOARD.read_text())["panels"]


def test_compose_wires_collector_to_clickhouse_and_jaeger() -> None:
    services = compose()["services"]
    assert set(services) == {"clickhouse", "collector", "jaeger", "grafana"}
    collector = services["collector"]
    env = collector["environment"]
    assert env["OTEL_LLM_COLLECTOR_ENDPOINT"] == "http://clickhouse:8123"
    assert env["OTEL_LLM_COLLECTOR_FORWARD"] == "http://jaeger:4318"
    assert env["OTEL_LLM_COLLECTOR_HOST"] == "0.0.0.0"  # reachable from other containers
    assert env["OTEL_EXPORTER_CLICKHOUSE_USERNAME"] == services["clickhouse"]["environment"]["CLICKHOUSE_USER"]
    assert env["OTEL_EXPORTER_CLICKHOUSE_PASSWORD"] == services["clickhouse"]["environment"]["CLICKHOUSE_PASSWORD"]
    assert collector["ports"] == ["127.0.0.1:4317:4317", "127.0.0.1:4318:4318"]
    assert collector["depends_on"]["clickhouse"]["condition"] == "service_healthy"
    assert "jaeger" in collector["depends_on"]
    spool_volume, mount = collector["volumes"][0].split(":")
    assert env["OTEL_LLM_COLLECTOR_SPOOL_DIR"].startswith(mount + "/")
    assert spool_volume in compose()["volumes"]
    assert collector["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert services["jaeger"]["environment"]["COLLECTOR_OTLP_ENABLED"] == "true"
    for name, service in services.items():  # nothing published beyond this machine by default
        assert all(str(p).startswith("127.0.0.1:") for p in service.get("ports", [])), name


def test_compose_env_is_a_valid_collector_config(monkeypatch: pytest.MonkeyPatch) -> None:
    env = compose()["services"]["collector"]["environment"]
    for key, value in env.items():
        if key.startswith("OTEL_LLM_COLLECTOR_"):
            monkeypatch.setenv(key, re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(value)))
    config = load_config([])
    assert config.forward == ("http://jaeger:4318",)
    assert config.dsn == "http://clickhouse:8123"
    assert config.spool_max_bytes == 2 << 30
    assert config.auth_token is None  # the compose default leaves auth off until a token is set


def test_grafana_provisioning_matches_the_dashboard() -> None:
    grafana = compose()["services"]["grafana"]
    assert grafana["environment"]["GF_INSTALL_PLUGINS"] == "grafana-clickhouse-datasource"
    mounts = {v.split(":")[1]: v.split(":")[0] for v in grafana["volumes"] if v.startswith("./")}
    assert (DEPLOY / mounts["/etc/grafana/provisioning"].removeprefix("./")).is_dir()
    datasource = yaml.safe_load((DEPLOY / "grafana/provisioning/datasources/clickhouse.yaml").read_text())
    (source,) = datasource["datasources"]
    assert (source["uid"], source["type"]) == (DATASOURCE_UID, "grafana-clickhouse-datasource")
    assert source["jsonData"]["host"] == "clickhouse"
    provider = yaml.safe_load((DEPLOY / "grafana/provisioning/dashboards/otel-llm.yaml").read_text())
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    assert mounts["/var/lib/grafana/dashboards"] == "./grafana/dashboards"
    for panel in panels():
        assert panel["datasource"]["uid"] == DATASOURCE_UID
        assert all(t["datasource"]["uid"] == DATASOURCE_UID and t["rawSql"] for t in panel["targets"])


def test_dockerfile_runs_the_collector_on_all_interfaces_with_a_spool_volume() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["python", "-m", "otel_llm_collector"]' in text
    assert "OTEL_LLM_COLLECTOR_HOST=0.0.0.0" in text
    assert "EXPOSE 4317 4318" in text
    assert "USER otel-llm" in text
    assert 'CMD ["python", "-m", "otel_llm_collector.healthcheck"]' in text  # follows the port and TLS settings


def test_otelcol_contrib_config_writes_otel_traces_and_forwards() -> None:
    config = yaml.safe_load((DEPLOY / "otelcol-contrib.yaml").read_text())
    exporter = config["exporters"]["clickhouse"]
    assert (exporter["database"], exporter["traces_table_name"]) == ("otel", "otel_traces")
    pipeline = config["service"]["pipelines"]["traces"]
    assert pipeline["receivers"] == ["otlp"]
    assert set(pipeline["exporters"]) == {"clickhouse", "otlphttp/jaeger"}
    assert all(p in config["processors"] for p in pipeline["processors"])
