"""``otel-llm demo``: the whole pipeline in a minute, with no API key and no network.

Starts the local fake OpenAI/Anthropic server, instruments both SDKs with a TracerProvider that
exports to ClickHouse (the embedded chdb store in ``--data-dir``), runs the example app a few
rounds (two features, two users, both SDKs, cached prompts, a stream, a retried failure), flushes,
and prints the report from the rollups, exactly as ``otel-llm report`` would.

Running it again adds to the same store, and says so; ``--fresh`` first deletes the demo's own
rows (service otel-llm-demo) and nothing else: the default store is also where your apps' calls go.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import io
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from otel_llm.cli import report
from otel_llm.query import ClickHouseSource, check_identifier, connect_store

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

__all__ = ["add_parser", "run_demo"]

# A link to examples/app.py in the source tree; building a wheel copies the file in, so the demo
# runs from a plain `pip install` too, while the example stays one file people can read.
_APP = Path(__file__).with_name("demo_app.py")
_SERVICE = "otel-llm-demo"
_DEMO_GROUPINGS = (("feature",), ("model",), ("user",))


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("demo", help="run the example app against a local fake provider and report",
                                 description=__doc__)
    parser.add_argument("--data-dir", default=None,
                        help="embedded store directory (default: the embedded default, ~/.local/share/otel-llm)")
    parser.add_argument("--database", default="otel", help="database name (default otel)")
    parser.add_argument("--rounds", type=int, default=3, help="how many times to run the example app (default 3)")
    parser.add_argument("--fresh", action="store_true",
                        help=f"delete the calls of earlier demo runs (service {_SERVICE} only) before this one")
    parser.add_argument("--format", choices=("table", "json"), default="table",
                        help="table, or one JSON object {feature: [...], model: [...], user: [...]} of report rows")
    parser.set_defaults(func=command)


def _load_app() -> ModuleType:
    """examples/app.py is the documented example, kept as a plain script; load it by path."""
    if not _APP.exists():
        raise ValueError(f"the example app {_APP} is missing from this installation")
    spec = importlib.util.spec_from_file_location("otel_llm_demo_app", _APP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def _progress(done: int, total: int) -> None:
    width = 30
    filled = width * done // total
    print(f"\r  [{'#' * filled}{'.' * (width - filled)}] round {done}/{total}", end="", file=sys.stderr, flush=True)


def run_demo(dsn: str, database: str, rounds: int, progress: Callable[[int, int], None] = _progress) -> None:
    """Run the example app ``rounds`` times under instrumentation, everything flushed to ``dsn``."""
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from otel_llm.exporter import ClickHouseLogExporter, ClickHouseSpanExporter
    from otel_llm.fake_provider import FakeProvider
    from otel_llm.instrumentation.anthropic import AnthropicInstrumentor
    from otel_llm.instrumentation.openai import OpenAIInstrumentor

    app = _load_app()
    resource = Resource.create({"service.name": _SERVICE})
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(BatchSpanProcessor(ClickHouseSpanExporter(endpoint=dsn, database=database)))
    # The calls a sampler in the environment (OTEL_TRACES_SAMPLER) drops arrive as usage events.
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(
        BatchLogRecordProcessor(ClickHouseLogExporter(endpoint=dsn, database=database))
    )
    meter_provider = MeterProvider(resource=resource)
    instrumentors = (OpenAIInstrumentor(), AnthropicInstrumentor())
    for instrumentor in instrumentors:
        instrumentor.instrument(
            tracer_provider=tracer_provider, meter_provider=meter_provider, logger_provider=logger_provider
        )
    try:
        with FakeProvider() as fake, _environment({
            "OPENAI_BASE_URL": fake.openai_base_url, "ANTHROPIC_BASE_URL": fake.anthropic_base_url,
            "OPENAI_API_KEY": "demo-key", "ANTHROPIC_API_KEY": "demo-key",
            # The app also calls Bedrock and Gemini when they are configured: never the real ones
            # from the demo, whatever keys the shell holds.
            "AWS_ACCESS_KEY_ID": "", "GEMINI_API_KEY": "", "GOOGLE_API_KEY": "", "GOOGLE_GEMINI_BASE_URL": "",
        }):
            for done in range(1, rounds + 1):
                with contextlib.redirect_stdout(io.StringIO()):  # the app's own prints; stdout is the report
                    app.main()
                progress(done, rounds)
            print(file=sys.stderr)
    finally:
        for instrumentor in instrumentors:
            instrumentor.uninstrument()
        tracer_provider.force_flush()
        tracer_provider.shutdown()
        logger_provider.shutdown()
        meter_provider.shutdown()


def _demo_calls(client: Client, database: str) -> int:
    return int(client.command(f"SELECT count() FROM {database}.llm_calls WHERE ServiceName = {{s:String}}",
                              parameters={"s": _SERVICE}))


# Every table holding rows of the demo's service, in an order where each DELETE can still find
# what it needs (the trace-id lookup by the demo's spans, before the spans go).
_DEMO_ROWS = (
    ("otel_traces_trace_id_ts", "TraceId IN (SELECT TraceId FROM {db}.otel_traces WHERE ServiceName = {{s:String}})"),
    ("otel_traces", "ServiceName = {{s:String}}"),
    ("otel_logs", "ServiceName = {{s:String}}"),
    ("llm_calls", "ServiceName = {{s:String}}"),
    ("llm_usage_hourly", "ServiceName = {{s:String}}"),
    ("llm_usage_daily_user", "ServiceName = {{s:String}}"),
)


def _forget_demo(client: Client, database: str) -> None:
    """Delete the demo's rows, synchronously (the report right after must not see them)."""
    for table, where in _DEMO_ROWS:
        client.command(f"ALTER TABLE {database}.{table} DELETE WHERE {where.format(db=database)}",
                       parameters={"s": _SERVICE}, settings={"mutations_sync": 2})


def command(args: argparse.Namespace) -> int:
    from otel_llm.schema import prepare
    from otel_llm.store import default_data_dir

    database = check_identifier(args.database)
    dsn = f"chdb://{Path(args.data_dir).resolve() if args.data_dir else default_data_dir()}"
    print(f"otel-llm demo: fake provider + embedded ClickHouse at {dsn}", file=sys.stderr)
    client = connect_store(dsn)
    try:
        prepare(client, database)
        earlier = _demo_calls(client, database)
        if earlier and args.fresh:
            _forget_demo(client, database)
            print(f"otel-llm demo: deleted {earlier} calls of earlier demo runs (--fresh)", file=sys.stderr)
        elif earlier:
            print(f"otel-llm demo: this store already holds {earlier} calls from earlier demo runs; this run adds "
                  f"to them (otel-llm demo --fresh starts over)", file=sys.stderr)
    finally:
        client.close()  # the exporter opens the same directory on its own thread
    run_demo(dsn, database, max(args.rounds, 1))
    client = connect_store(dsn)
    try:
        source = ClickHouseSource(client)
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        as_json: dict[str, object] = {}
        for by in _DEMO_GROUPINGS:
            query = report.ReportQuery(by, now - dt.timedelta(days=1), now + dt.timedelta(hours=1), _SERVICE)
            result = report.run_report(source, query, database)
            if args.format == "json":
                as_json[by[0]] = json.loads(report.format_report(result, query, "json"))
            else:
                print(f"\n== cost by {by[0]} (otel-llm report --by {by[0]}) ==")
                sys.stdout.write(report.format_report(result, query, "table"))
        if args.format == "json":
            print(json.dumps(as_json, indent=2))
    finally:
        client.close()
    print(f"\nExplore further: otel-llm report --endpoint {dsn} --database {database} --by user --by model",
          file=sys.stderr)
    print(f"See it in your browser: otel-llm ui --endpoint {dsn} --database {database}", file=sys.stderr)
    return 0
