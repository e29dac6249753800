"""otel-llm doctor: is this machine set up to trace, price and store LLM calls? One line per check.

Each line starts with OK, FIX (then what to do) or SKIP (not used here, nothing to do):
the SDKs found and whether our instrumentors cover their versions; the entry points that
opentelemetry-instrument loads (instrumentors, the clickhouse exporter, the distro's
configurator); OTLP when OTEL_TRACES_EXPORTER or the metrics exporter asks for it; the store
(reachable, its schema version, prices synced into it, calls recorded); the price book; the
tiktoken encodings; the collector when one is configured. Exit 0 when nothing needs a fix, 1
otherwise.
"""

from __future__ import annotations

import argparse
import socket
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from urllib.parse import urlsplit

from opentelemetry.environment_variables import OTEL_METRICS_EXPORTER, OTEL_TRACES_EXPORTER
from opentelemetry.instrumentation.environment_variables import OTEL_PYTHON_DISABLED_INSTRUMENTATIONS
from opentelemetry.sdk.environment_variables import OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL

from otel_llm import semconv
from otel_llm._env import env_str
from otel_llm.cli._common import add_store_options, collector_source, open_source
from otel_llm.query import QueryError

__all__ = ["Check", "add_parser", "run_checks"]

# (SDK distribution, our entry point, our instrumentor "module:Class")
_SDKS = (
    ("openai", "otel_llm_openai", "otel_llm.instrumentation.openai:OpenAIInstrumentor"),
    ("anthropic", "otel_llm_anthropic", "otel_llm.instrumentation.anthropic:AnthropicInstrumentor"),
    ("google-genai", "otel_llm_google_genai", "otel_llm.instrumentation.google_genai:GoogleGenAIInstrumentor"),
)
_ENCODINGS = ("o200k_base", "cl100k_base")
_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class Check:
    """One line: ``status`` is OK, FIX or SKIP; ``detail`` what was found, or for FIX what to do."""

    name: str
    status: str
    detail: str

    def line(self) -> str:
        return f"{self.status:<4} {self.name}: {self.detail}"


def _ok(name: str, detail: str) -> Check:
    return Check(name, "OK", detail)


def _fix(name: str, detail: str) -> Check:
    return Check(name, "FIX", detail)


def _skip(name: str, detail: str) -> Check:
    return Check(name, "SKIP", detail)


def _entry_point(group: str, name: str) -> metadata.EntryPoint | None:
    return next((ep for ep in metadata.entry_points(group=group) if ep.name == name), None)


def _loads(entry: metadata.EntryPoint) -> str | None:
    """None when the entry point imports, else why not (in one line)."""
    try:
        entry.load()
    except Exception as exc:  # any import failure is what opentelemetry-instrument would hit
        return " ".join(f"{type(exc).__name__}: {exc}".split())[:160]
    return None


def check_sdks() -> Iterator[Check]:
    """Each SDK: installed, in the range our instrumentor covers, and its entry point loads."""
    from opentelemetry.instrumentation.dependencies import get_dependency_conflicts

    found = 0
    for sdk, entry_name, target in _SDKS:
        name = f"sdk {sdk}"
        try:
            version = metadata.version(sdk)
        except metadata.PackageNotFoundError:
            yield _skip(name, f"not installed (its instrumentor stays off; pip install {sdk} to trace it)")
            continue
        found += 1
        entry = _entry_point("opentelemetry_instrumentor", entry_name)
        if entry is None or entry.value != target:
            yield _fix(name, f"{version} installed, but the entry point {entry_name} is missing: reinstall otel-llm")
            continue
        if (error := _loads(entry)) is not None:
            yield _fix(name, f"{version} installed, but {entry_name} does not load ({error})")
            continue
        conflict = get_dependency_conflicts(list(entry.load()().instrumentation_dependencies()))
        if conflict is not None:
            yield _fix(name, f"{version} is outside what otel-llm instruments: {conflict}")
            continue
        yield _ok(name, f"{version}, instrumented by {entry_name} (opentelemetry-instrument loads it)")
    if not found:
        yield _fix("sdks", f"none of {', '.join(sdk for sdk, _, _ in _SDKS)} is installed: nothing to trace")


def _others_on_our_sdks() -> list[str]:
    """Other projects' instrumentors of the same SDKs: each call would be counted twice. Ours never
    are (the framework ones, ``otel_llm.instrumentation.openai_agents``, only name the SDK's calls)."""
    ours = {entry for _, entry, _ in _SDKS}
    return sorted(ep.name for ep in metadata.entry_points(group="opentelemetry_instrumentor")
                  if ep.name not in ours and not ep.value.startswith("otel_llm.")
                  and any(sdk in ep.value.lower() for sdk, _, _ in _SDKS))


def check_launcher() -> Iterator[Check]:
    """What opentelemetry-instrument needs besides the instrumentors."""
    others = _others_on_our_sdks()
    if others:
        yield _fix("other instrumentors", f"{', '.join(others)} also trace these SDKs (every call counted twice): "
                                          f"{OTEL_PYTHON_DISABLED_INSTRUMENTATIONS}={','.join(others)}")
    exporter = _entry_point("opentelemetry_traces_exporter", "clickhouse")
    if exporter is None:
        yield _fix("exporter clickhouse", "entry point missing: reinstall otel-llm")
    elif (error := _loads(exporter)) is not None:
        yield _fix("exporter clickhouse", f"does not load ({error})")
    else:
        yield _ok("exporter clickhouse", "OTEL_TRACES_EXPORTER=clickhouse (or otlp,clickhouse) finds it")
    if not list(metadata.entry_points(group="opentelemetry_configurator")):
        yield _fix("configurator", "no OpenTelemetry distro: pip install opentelemetry-distro "
                                   "(it applies OTEL_TRACES_EXPORTER under opentelemetry-instrument)")
    else:
        yield _ok("configurator", "a distro applies OTEL_TRACES_EXPORTER")
    yield from check_traces_exporter()
    yield from check_metrics_exporter()


def check_traces_exporter() -> Iterator[Check]:
    """Spans reach the store only when the exporter list names clickhouse; otlp needs its extra."""
    traces = env_str(OTEL_TRACES_EXPORTER)
    if traces is None:
        yield _skip("traces exporter", f"{OTEL_TRACES_EXPORTER} unset in this shell; where the app runs set "
                                       f"{OTEL_TRACES_EXPORTER}=otlp,clickhouse (or clickhouse)")
        return
    names = [n.strip() for n in traces.split(",")]
    if "otlp" in names:
        otlp = _entry_point("opentelemetry_traces_exporter", "otlp")
        if otlp is None or _loads(otlp) is not None:
            yield _fix("traces exporter", f'{OTEL_TRACES_EXPORTER}={traces} needs the OTLP exporter: '
                                          f'pip install "otel-llm[otlp]"')
            return
    if "clickhouse" not in names:
        yield _fix("traces exporter", f"{OTEL_TRACES_EXPORTER}={traces}: spans never reach the store; "
                                      f"add clickhouse ({OTEL_TRACES_EXPORTER}={traces},clickhouse)")
        return
    yield _ok("traces exporter", f"{OTEL_TRACES_EXPORTER}={traces}")


def _otlp_target() -> tuple[str, int]:
    """Where the distro's OTLP exporters send when nothing else is set (gRPC 4317, HTTP 4318)."""
    endpoint = env_str(OTEL_EXPORTER_OTLP_ENDPOINT)
    protocol = env_str(OTEL_EXPORTER_OTLP_PROTOCOL) or "grpc"
    default_port = 4317 if protocol == "grpc" else 4318
    if endpoint:
        parts = urlsplit(endpoint if "://" in endpoint else f"http://{endpoint}")
        return parts.hostname or "localhost", parts.port or default_port
    return "localhost", default_port


def check_metrics_exporter() -> Iterator[Check]:
    """The distro's default metrics exporter is OTLP: with nothing listening, the app logs an
    export error on every run. Say so only when it would happen."""
    value = env_str(OTEL_METRICS_EXPORTER)
    if value is not None and "otlp" not in value.split(","):
        yield _ok("metrics exporter", f"{OTEL_METRICS_EXPORTER}={value}")
        return
    host, port = _otlp_target()
    try:
        socket.create_connection((host, port), timeout=_TIMEOUT_S).close()
    except OSError:
        yield _fix("metrics exporter", f"{OTEL_METRICS_EXPORTER} is {value or 'unset (otlp)'} but nothing listens on "
                                       f"{host}:{port}: set {OTEL_METRICS_EXPORTER}=none, or point OTLP at a collector")
        return
    yield _ok("metrics exporter", f"OTLP to {host}:{port}")


def check_store(args: argparse.Namespace) -> Iterator[Check]:
    """Reachable, migrated to this release's schema, prices synced, and how many calls it holds."""
    from otel_llm.schema import MIGRATIONS

    latest = MIGRATIONS[-1].version
    database = args.database
    try:
        with open_source(args) as source:
            exists = source.query("SELECT count() FROM system.databases WHERE name = {db:String}",
                                  {"db": database}).rows[0][0]
            if not exists:
                yield _skip("store", f"no {database} database yet: the first export creates it "
                                     f"(or run otel-llm migrate for a server)")
                return
            version = source.query(f"SELECT max(Version) FROM {database}.schema_migrations").rows[0][0]
            prices = source.query(f"SELECT count() FROM {database}.llm_prices").rows[0][0]
            calls = source.query(f"SELECT count() FROM {database}.llm_calls").rows[0][0]
    except (QueryError, ValueError) as exc:
        yield _fix("store", str(exc))
        return
    if version < latest:
        yield _fix("store schema", f"version {version}, this release needs {latest}: run otel-llm migrate")
    else:
        yield _ok("store schema", f"version {version}, {calls} calls recorded")
    if prices:
        yield _ok("store prices", f"{prices} prices in {database}.llm_prices")
    else:
        yield _fix("store prices", "llm_prices is empty, so SQL cannot price other SDKs' spans: "
                                   "run otel-llm prices sync")


def check_prices() -> Iterator[Check]:
    from otel_llm.pricing import default_price_book, load_price_file

    book = default_price_book()
    models = sum(1 for _ in book.entries())
    if not models:
        yield _fix("price book", "empty (the bundled snapshot cannot be read): reinstall otel-llm")
        return
    yield _ok("price book", f"{models} prices (book {book.version})")
    path = env_str(semconv.ENV_PRICES)
    if path:
        try:
            overrides = load_price_file(path)
        except (OSError, ValueError) as exc:
            yield _fix("price overrides", f"{semconv.ENV_PRICES}={path} is ignored: {exc}")
            return
        yield _ok("price overrides", f"{semconv.ENV_PRICES}={path} loaded ({len(overrides.overrides)} models)")


def check_tiktoken() -> Iterator[Check]:
    import tiktoken

    for name in _ENCODINGS:
        try:
            tiktoken.get_encoding(name)
        except Exception as exc:  # offline, missing cache, corrupt file: all the same fix
            reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:100]
            yield _fix(f"tiktoken {name}", f"cannot load ({reason}): offline, set TIKTOKEN_CACHE_DIR to a directory "
                                           f"holding the encodings (token estimates are off without it)")
        else:
            yield _ok(f"tiktoken {name}", "loads")


def check_collector(args: argparse.Namespace) -> Iterator[Check]:
    """A configured collector answers /healthz; configured even when --endpoint reads the store
    directly (the apps may still send to it)."""
    try:
        collector = collector_source(argparse.Namespace(**{**vars(args), "endpoint": None}))
    except Exception as exc:  # a bad config file or URL is the finding, not a crash of the doctor
        yield _fix("collector", f"its configuration does not load: {exc}")
        return
    if collector is None:
        yield _skip("collector", f"not configured (no --collector, {semconv.ENV_COLLECTOR_URL} or "
                                 f"{semconv.ENV_COLLECTOR_CONFIG})")
        return
    url = collector.url.removesuffix("/v1/sql")
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=_TIMEOUT_S) as response:
            response.read()
    except (urllib.error.URLError, OSError) as exc:
        yield _fix("collector", f"not answering at {url} ({getattr(exc, 'reason', exc)}): start it with "
                                f"otel-llm collector")
        return
    yield _ok("collector", f"answers at {url}")


def run_checks(args: argparse.Namespace) -> list[Check]:
    """Every check, in the order a newcomer meets them."""
    sections: list[Callable[[], Iterator[Check]]] = [
        check_sdks, check_launcher, lambda: check_store(args), check_prices, check_tiktoken,
        lambda: check_collector(args),
    ]
    return [check for section in sections for check in section()]


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("doctor", help="check the setup: SDKs, entry points, store, prices, tiktoken, "
                                                "collector", description=__doc__)
    add_store_options(parser)
    parser.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    checks = run_checks(args)
    for check in checks:
        print(check.line())
    fixes = sum(check.status == "FIX" for check in checks)
    print(f"{fixes} to fix" if fixes else "all good", file=sys.stderr)
    return 1 if fixes else 0
