"""``otel-llm report``: where the money goes, from the rollup tables.

``--format json`` prints one object per group; its keys are a stable interface for scripts:
the grouping keys (``feature``, ``model``, ``provider``, ``user``, ``service``, ``day``) then
``calls``, ``cost_usd``, ``input_tokens`` (cache included), ``output_tokens`` (reasoning
included), ``cache_read_tokens``, ``cache_write_tokens``, ``reasoning_tokens``,
``cache_hit_rate`` (share of calls that read from the prompt cache), ``cache_savings_usd``, ``errors`` and
``unpriced_calls``. Groups come sorted by cost, most expensive first.

Windows are whole rollup buckets: a bucket counts when it overlaps [since, until), so hours
for the hourly rollup, and days with ``--by user`` (read from the daily per-user rollup).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from otel_llm.cli._common import add_format_option, add_store_options, open_source
from otel_llm.cli._output import render
from otel_llm.cli._time import parse_when
from otel_llm.query import QuerySource, Result

__all__ = ["GROUPINGS", "METRICS", "ReportQuery", "add_parser", "run_report"]

HOURLY = "llm_usage_hourly"
DAILY_USER = "llm_usage_daily_user"
GROUPINGS = ("feature", "model", "provider", "user", "service", "day")
_COLUMN = {"feature": "Feature", "model": "Model", "provider": "Provider", "user": "UserId",
           "service": "ServiceName"}
METRICS = (
    ("calls", "sum(Calls)"),
    ("cost_usd", "sum(CostUSD)"),
    ("input_tokens", "sum(InputTokens)"),
    ("output_tokens", "sum(OutputTokens)"),
    ("cache_read_tokens", "sum(CacheReadTokens)"),
    ("cache_write_tokens", "sum(CacheWriteTokens)"),
    ("reasoning_tokens", "sum(ReasoningTokens)"),
    ("cache_hit_rate", "if(sum(Calls) > 0, sum(CacheHitCalls) / sum(Calls), 0)"),
    ("cache_savings_usd", "sum(CacheSavingsUSD)"),
    ("errors", "sum(Errors)"),
    ("unpriced_calls", "sum(UnpricedCalls)"),
)
_SUMMABLE = [name for name, _ in METRICS if name != "cache_hit_rate"]


@dataclass(frozen=True)
class ReportQuery:
    """What to report; ``sql()`` renders it for one database."""

    by: tuple[str, ...]
    since: dt.datetime
    until: dt.datetime
    service: str | None = None

    @property
    def table(self) -> str:
        return DAILY_USER if "user" in self.by else HOURLY

    def _time_column(self) -> str:
        return "Day" if self.table == DAILY_USER else "toDate(Hour)"

    def _key(self, grouping: str) -> str:
        return self._time_column() if grouping == "day" else _COLUMN[grouping]

    def where(self) -> tuple[str, dict[str, Any]]:
        """Buckets overlapping [since, until), plus the service filter."""
        start = "Day >= toDate({since:DateTime('UTC')})" if self.table == DAILY_USER \
            else "Hour >= toStartOfHour({since:DateTime('UTC')})"
        bucket = "Day" if self.table == DAILY_USER else "Hour"
        clauses = [start, f"{bucket} < {{until:DateTime('UTC')}}"]
        params: dict[str, Any] = {"since": self.since, "until": self.until}
        if self.service is not None:
            clauses.append("ServiceName = {service:String}")
            params["service"] = self.service
        return " AND ".join(clauses), params

    def sql(self, database: str) -> tuple[str, dict[str, Any]]:
        keys = [f"{self._key(g)} AS {g}" for g in self.by]
        metrics = [f"{expr} AS {name}" for name, expr in METRICS]
        where, params = self.where()
        group = ", ".join(self.by)
        return (f"SELECT {', '.join(keys + metrics)} FROM {database}.{self.table} WHERE {where}"
                f" GROUP BY {group} ORDER BY cost_usd DESC, {group}"), params

    def series_sql(self, database: str) -> tuple[str, dict[str, Any]]:
        """Cost per time bucket for each value of the first grouping (the chart's lines)."""
        first = self.by[0]
        daily = self.table == DAILY_USER or (self.until - self.since) > dt.timedelta(days=3)
        bucket = "toDateTime(Day)" if self.table == DAILY_USER else ("toStartOfDay(Hour)" if daily else "Hour")
        key = "''" if first == "day" else self._key(first)
        where, params = self.where()
        return (f"SELECT {key} AS series, {bucket} AS t, sum(CostUSD) AS cost FROM {database}.{self.table}"
                f" WHERE {where} GROUP BY series, t ORDER BY series, t"), params


def run_report(source: QuerySource, query: ReportQuery, database: str) -> Result:
    sql, params = query.sql(database)
    return source.query(sql, params)


def _total_row(result: Result, n_keys: int) -> tuple[Any, ...]:
    """The TOTAL line of the table: sums of the summable metrics, the hit rate over all calls
    (each group's hit calls are its rate times its calls, an integer, so rounding recovers it)."""
    rows = result.dicts()
    totals: dict[str, Any] = {name: sum((Decimal(str(r[name])) for r in rows), Decimal(0)) for name in _SUMMABLE}
    hit_calls = sum(round(float(r["cache_hit_rate"]) * int(r["calls"])) for r in rows)
    totals["cache_hit_rate"] = hit_calls / float(totals["calls"]) if totals["calls"] else 0.0
    values = [totals[name] for name, _ in METRICS]
    return ("TOTAL", *[""] * (n_keys - 1), *values)


# Short headers for the table only (it has to fit a terminal); JSON and CSV keep the stable names.
_TABLE_HEADERS = {
    "input_tokens": "input_tok", "output_tokens": "output_tok", "cache_read_tokens": "cache_read",
    "cache_write_tokens": "cache_write", "reasoning_tokens": "reasoning", "cache_hit_rate": "hit_rate",
    "cache_savings_usd": "saved_usd", "unpriced_calls": "unpriced",
}


def format_report(result: Result, query: ReportQuery, fmt: str) -> str:
    if fmt != "table":
        return render(result.columns, result.rows, fmt)
    headers = [_TABLE_HEADERS.get(c, c) for c in result.columns]
    return render(headers, [*result.rows, _total_row(result, len(query.by))], fmt)


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("report", help="cost, tokens, cache savings and errors by group",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--by", action="append", choices=GROUPINGS,
                        help="group by this (repeatable; default feature)")
    parser.add_argument("--since", default="30d", help="start: an age (7d, 24h, 30m) or an ISO date (default 30d)")
    parser.add_argument("--until", default=None, help="end, exclusive (default now)")
    parser.add_argument("--service", default=None, help="only this service.name")
    parser.add_argument("--chart", default=None, metavar="FILE.png",
                        help="also draw cost over time by the first grouping")
    add_format_option(parser)
    add_store_options(parser)
    parser.set_defaults(func=command)


def query_from_args(args: argparse.Namespace) -> ReportQuery:
    by = tuple(dict.fromkeys(args.by or ["feature"]))
    until = parse_when(args.until) if args.until else dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    return ReportQuery(by, parse_when(args.since), until, args.service)


def command(args: argparse.Namespace) -> int:
    query = query_from_args(args)
    if args.chart:
        from otel_llm.cli.chart import require_matplotlib

        require_matplotlib()  # a missing [chart] extra is said before the query, not after
    with open_source(args) as source:
        result = run_report(source, query, args.database)
        sys.stdout.write(format_report(result, query, args.format))
        if args.chart:
            from otel_llm.cli.chart import draw_cost_chart

            sql, params = query.series_sql(args.database)
            draw_cost_chart(source.query(sql, params), args.chart, query.by[0])
            print(f"chart written to {args.chart}", file=sys.stderr)
    return 0
