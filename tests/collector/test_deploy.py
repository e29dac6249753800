"""deploy/ cannot start here (no Docker engine): check its wiring, and run every dashboard query.

Each Grafana panel's SQL runs against chdb with the real schema and a few priced, cached, failed
and unpriced calls written by the exporter's writer, with the plugin's macros replaced by the SQL
they expand to. A panel whose SQL names a column the schema does not have fails here, not in a
user's Grafana.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

from otel_llm import semconv
from otel_llm.exporter.table import TraceWriter, spans_to_columns
from otel_llm_collector.config import load_config
from tests.fixtures.store import Store

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "otel-llm.json"
DATASOURCE_UID = "otel-llm-clickhouse"

# What the grafana-clickhouse-datasource macros expand to, for "the last 7 days" and 1-hour steps
# (the range ends a minute ahead: spans written this very second must be inside it).
_MACROS = [
    (
        re.compile(r"\$__timeFilter\((\w+)\)"),
        r"\1 >= toDateTime(now() - INTERVAL 7 DAY) AND \1 <= toDateTime(now() + INTERVAL 1 MINUTE)",
    ),
    (re.compile(r"\$__timeInterval\((\w+)\)"), r"toStartOfInterval(toDateTime(\1), INTERVAL 3600 second)"),
]


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def panels() -> list[dict[str, Any]]:
    return json.loads(DASHBOARD.read_text())["panels"]


def expand(sql: str, database: str) -> str:
    for pattern, replacement in _MACROS:
        sql = pattern.sub(replacement, sql)
    assert "$" not in sql, f"unexpanded macro in {sql}"
    return re.sub(r"\botel\.", f"`{database}`.", sql)


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


def seed(store: Store) -> None:
    """Three cached calls, one rate-limited call, one call nobody can price."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "shop"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("otel_llm")
    base = {semconv.GEN_AI_OPERATION_NAME: "chat", semconv.GEN_AI_PROVIDER_NAME: "openai"}
    for _ in range(3):
        with tracer.start_as_current_span("chat gpt-4o-mini", kind=SpanKind.CLIENT) as span:
            span.set_attributes({**base, semconv.GEN_AI_REQUEST_MODEL: "gpt-4o-mini", semconv.USER_ID: "u1",
                                 semconv.OTEL_LLM_FEATURE: "search", semconv.GEN_AI_USAGE_INPUT_TOKENS: 1000,
                                 semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: 400,
                                 semconv.GEN_AI_USAGE_OUTPUT_TOKENS: 100, semconv.OTEL_LLM_COST_USD: "0.01",
                                 semconv.OTEL_LLM_CACHE_SAVINGS_USD: "0.002"})  # fmt: skip
    with tracer.start_as_current_span("chat gpt-4o", kind=SpanKind.CLIENT) as span:
        span.set_attributes({**base, semconv.GEN_AI_REQUEST_MODEL: "gpt-4o", semconv.USER_ID: "u2",
                             semconv.OTEL_LLM_FEATURE: "chat", semconv.GEN_AI_USAGE_INPUT_TOKENS: 500,
                             semconv.OTEL_LLM_COST_USD: "0.005", semconv.ERROR_TYPE: "RateLimitError"})  # fmt: skip
        span.set_status(Status(StatusCode.ERROR, "429"))
    with tracer.start_as_current_span("chat mystery", kind=SpanKind.CLIENT) as span:
        span.set_attributes({**base, semconv.GEN_AI_REQUEST_MODEL: "mystery-model-9000", semconv.USER_ID: "u1",
                             semconv.OTEL_LLM_FEATURE: "search", semconv.GEN_AI_USAGE_INPUT_TOKENS: 10})  # fmt: skip
    TraceWriter(store.client, store.database).write(spans_to_columns(exporter.get_finished_spans()))


@pytest.fixture
def seeded(store: Store) -> Store:
    seed(store)
    return store


def run_panel(store: Store, title: str) -> list[tuple[Any, ...]]:
    (panel,) = [p for p in panels() if p["title"].startswith(title)]
    return store.client.query(expand(panel["targets"][0]["rawSql"], store.database)).result_rows


def test_every_dashboard_query_runs_on_the_schema_and_returns_rows(seeded: Store) -> None:
    assert len(panels()) >= 10
    for panel in panels():
        for target in panel["targets"]:
            rows = seeded.client.query(expand(target["rawSql"], seeded.database)).result_rows
            assert rows, panel["title"]


def test_dashboard_numbers_match_the_seeded_calls(seeded: Store) -> None:
    assert run_panel(seeded, "Total cost") == [(Decimal("0.035"),)]
    assert run_panel(seeded, "Cache savings (USD)") == [(Decimal("0.006"),)]
    assert run_panel(seeded, "Calls / errors / unpriced") == [(5, 1, 1)]
    by_feature = {feature: cost for _time, feature, cost in run_panel(seeded, "Cost by feature")}
    assert by_feature == {"search": Decimal("0.03"), "chat": Decimal("0.005")}
    assert [row[:2] for row in run_panel(seeded, "Top users by cost")] == [("u1", 4), ("u2", 1)]
    assert run_panel(seeded, "Errors by type") == [("RateLimitError", "openai", "gpt-4o", 1, Decimal("0.005"))]
    unpriced = run_panel(seeded, "Unpriced calls")
    assert [row[:3] for row in unpriced] == [("openai", "mystery-model-9000", 1)]
    per_call = {row[0]: row[2] for row in run_panel(seeded, "Tokens per call")}
    assert per_call["gpt-4o-mini"] == 1000
