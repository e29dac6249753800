"""The provisioned Grafana dashboard (``deploy/grafana/dashboards/otel-llm.json``), rendered from the
named reads, so its panels ask the store exactly what ``otel-llm report``/``top`` and the dashboard
of ``otel-llm ui`` ask, with the same count-once resolution and the same weighting::

    python -m otel_llm.query.grafana > deploy/grafana/dashboards/otel-llm.json

Each panel calls a read of ``reads`` with a source that runs nothing and keeps the SQL the read
built; the read's two bound parameters, the window's ``since`` and ``until``, become the
grafana-clickhouse-datasource's macros for the dashboard's time range (``$__fromTime``,
``$__toTime``). A dashboard cannot first probe the window for other projects' rows, as the CLI
does to skip the resolution when there are none, so its panels always resolve: correct either way,
at the cost of one more scan of the window's ``llm_calls`` per panel. tests/query/test_grafana.py
checks that the committed file is this module's output and runs every panel's SQL on chdb.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from otel_llm.query.reads import REPORT_METRICS, costliest_calls, top_call_types, usage_by, usage_series
from otel_llm.query.sources import QuerySource, Result

__all__ = ["DATABASE", "DATASOURCE", "PANELS", "Panel", "dashboard", "main", "panel_sql"]

DATABASE = "otel"  # the provisioned datasource's defaultDatabase (deploy/grafana/provisioning)
DATASOURCE = {"type": "grafana-clickhouse-datasource", "uid": "otel-llm-clickhouse"}
# The reads bind the window as {since:DateTime('UTC')} and {until:DateTime('UTC')}; in Grafana they
# are the time picker's range (the plugin expands $__fromTime to toDateTime(<unix seconds>)).
_MACROS = {"since": "toDateTime($__fromTime, 'UTC')", "until": "toDateTime($__toTime, 'UTC')"}
_PARAMETER = re.compile(r"\{(\w+):[^{}]+\}")
# Any window: the reads put only placeholders into the SQL. One day, so a series read picks hours.
_SINCE = dt.datetime(2000, 1, 1)
_UNTIL = _SINCE + dt.timedelta(days=1)
_USER_METRICS = ("calls", "cost_usd", "input_tokens", "output_tokens", "unpriced_calls")

Read = Callable[[QuerySource, dt.datetime, dt.datetime], Result]


@dataclass(frozen=True)
class Panel:
    """One panel: what it shows (``kind``: stat, table or timeseries), where (x, y, w, h on
    Grafana's 24-column grid), its unit, and the named read it runs."""

    title: str
    kind: Literal["stat", "table", "timeseries"]
    grid: tuple[int, int, int, int]
    read: Read
    unit: str | None = None
    description: str = ""


PANELS: tuple[Panel, ...] = (
    Panel("Total cost (USD)", "stat", (0, 0, 6, 4), unit="currencyUSD",
          description="Priced calls only; an all-unpriced window shows no value, never $0 (otel-llm report).",
          read=lambda s, a, b: usage_by(s, DATABASE, (), a, b, metrics=("cost_usd",))),
    Panel("Cache savings (USD)", "stat", (6, 0, 6, 4), unit="currencyUSD",
          read=lambda s, a, b: usage_by(s, DATABASE, (), a, b, metrics=("cache_savings_usd",))),
    Panel("Calls / errors / unpriced", "stat", (12, 0, 12, 4),
          read=lambda s, a, b: usage_by(s, DATABASE, (), a, b, metrics=("calls", "errors", "unpriced_calls"))),
    Panel("Cost by feature", "timeseries", (0, 4, 12, 8), unit="currencyUSD",
          read=lambda s, a, b: usage_series(s, DATABASE, "feature", a, b)),
    Panel("Cost by model", "timeseries", (12, 4, 12, 8), unit="currencyUSD",
          read=lambda s, a, b: usage_series(s, DATABASE, "model", a, b)),
    Panel("Cost by provider", "timeseries", (0, 12, 12, 8), unit="currencyUSD",
          read=lambda s, a, b: usage_series(s, DATABASE, "provider", a, b)),
    Panel("Calls and errors per hour", "timeseries", (12, 12, 12, 8),
          read=lambda s, a, b: usage_by(s, DATABASE, ("hour",), a, b, metrics=("calls", "errors"))),
    Panel("Cache hit rate per hour (share of calls)", "timeseries", (0, 20, 12, 8), unit="percentunit",
          read=lambda s, a, b: usage_by(s, DATABASE, ("hour",), a, b, metrics=("cache_hit_rate",))),
    Panel("Top users by cost (whole UTC days)", "table", (12, 20, 12, 8),
          read=lambda s, a, b: usage_by(s, DATABASE, ("user",), a, b, metrics=_USER_METRICS, limit=20)),
    Panel("Spend by feature (otel-llm report --by feature)", "table", (0, 28, 24, 8),
          read=lambda s, a, b: usage_by(s, DATABASE, ("feature",), a, b, metrics=REPORT_METRICS)),
    Panel("Spend and cache savings by model (otel-llm report --by model)", "table", (0, 36, 24, 8),
          read=lambda s, a, b: usage_by(s, DATABASE, ("model",), a, b, metrics=REPORT_METRICS)),
    Panel("Call types by cost (otel-llm top types)", "table", (0, 44, 12, 8),
          read=lambda s, a, b: top_call_types(s, DATABASE, a, b)),
    Panel("Most expensive calls (otel-llm top calls)", "table", (12, 44, 12, 8),
          read=lambda s, a, b: costliest_calls(s, DATABASE, a, b, 50)),
    Panel("Unpriced calls by model (add prices with otel-llm prices)", "table", (0, 52, 24, 8),
          read=lambda s, a, b: usage_by(s, DATABASE, ("provider", "model"), a, b,
                                        metrics=("unpriced_calls", "calls", "input_tokens", "output_tokens"))),
)


class _Capture:
    """A source that runs nothing and keeps the last SQL it was given: the read's own statement
    (it comes after the count-once probe, which is answered "there are other projects' rows", so
    the read resolves, as a dashboard that cannot probe must)."""

    def __init__(self) -> None:
        self.sql = ""
        self.parameters: dict[str, Any] = {}

    def query(self, sql: str, parameters: Mapping[str, Any] | None = None, *, readonly: bool = False) -> Result:
        self.sql, self.parameters = sql, dict(parameters or {})
        return Result(["found"], [(1,)])


def panel_sql(panel: Panel) -> str:
    """The panel's read as SQL with the dashboard's time range macros in place of its parameters."""
    capture = _Capture()
    panel.read(capture, _SINCE, _UNTIL)
    unknown = set(capture.parameters) - set(_MACROS)
    if unknown:  # a filter the dashboard has no variable for would be left unbound
        raise ValueError(f"panel {panel.title!r}: parameters {sorted(unknown)} have no Grafana macro")
    return _PARAMETER.sub(lambda m: _MACROS[m.group(1)], capture.sql)


def _panel(number: int, panel: Panel) -> dict[str, Any]:
    x, y, w, h = panel.grid
    series = panel.kind == "timeseries"
    rendered: dict[str, Any] = {
        "id": number, "type": panel.kind, "title": panel.title, "datasource": DATASOURCE,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "fieldConfig": {"defaults": {"unit": panel.unit} if panel.unit else {}, "overrides": []},
        "targets": [{"refId": "A", "datasource": DATASOURCE, "editorType": "sql",
                     "queryType": "timeseries" if series else "table", "format": 0 if series else 1,
                     "rawSql": panel_sql(panel)}],
    }
    if panel.description:
        rendered["description"] = panel.description
    return rendered


def dashboard() -> dict[str, Any]:
    """The whole dashboard JSON as Grafana provisions it."""
    return {
        "uid": "otel-llm-cost", "title": "otel-llm: LLM cost and usage", "tags": ["otel-llm", "llm", "cost"],
        "description": "Generated by python -m otel_llm.query.grafana from otel-llm's named reads; edit those.",
        "timezone": "utc", "schemaVersion": 39, "version": 1, "editable": True, "refresh": "1m",
        "time": {"from": "now-7d", "to": "now"}, "templating": {"list": []},
        "panels": [_panel(number, panel) for number, panel in enumerate(PANELS, start=1)],
    }


def main() -> None:
    """Prints the dashboard JSON (what deploy/grafana/dashboards/otel-llm.json holds)."""
    sys.stdout.write(json.dumps(dashboard(), indent=2) + "\n")


if __name__ == "__main__":
    main()
