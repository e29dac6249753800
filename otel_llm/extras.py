"""Which ``pip install`` brings back a module an optional part of otel-llm needs.

The collector, the embedded store, ``--chart`` and OTLP live behind extras, so a plain
``pip install otel-llm`` stays small. When one of their modules is missing, the user needs the
extra's name, not a ModuleNotFoundError traceback: ``otel-llm``'s ``main`` and the collector's
``python -m otel_llm_collector`` (the Docker image's entry point) print :func:`install_hint`'s line.
It sits in the core layer so that both can use it.
"""

from __future__ import annotations

__all__ = ["install_hint"]

_EMBEDDED = 'pip install "otel-llm[embedded]" (or "otel-llm[clickhouse]" for a ClickHouse server only)'
# Top-level module -> the install line; the first dotted prefix that matches wins.
_HINTS: dict[str, str] = {
    "aiohttp": 'pip install "otel-llm[collector]"',
    "grpc": 'pip install "otel-llm[collector]"',
    "google.protobuf": 'pip install "otel-llm[collector]"',
    "google.rpc": 'pip install "otel-llm[collector]"',
    "opentelemetry.proto": 'pip install "otel-llm[collector]"',
    "chdb": 'pip install "otel-llm[embedded]"',
    "clickhouse_connect": _EMBEDDED,
    "matplotlib": 'pip install "otel-llm[chart]"',
    "opentelemetry.exporter.otlp": 'pip install "otel-llm[otlp]"',
    "openai": "pip install openai anthropic (the demo runs both SDKs)",
    "anthropic": "pip install openai anthropic (the demo runs both SDKs)",
}


def install_hint(error: ImportError) -> str | None:
    """``"<module> is not installed: pip install ..."`` for a module of an optional part, else None
    (a missing module of our own is a bug, and its traceback should stay). Libraries re-raise
    the ModuleNotFoundError as their own ImportError (clickhouse-connect does for chdb), so the
    chain of causes is searched too."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ModuleNotFoundError):
            hint = _hint_for(seen.name or "")
            if hint is not None:
                return hint
        seen = seen.__cause__ or seen.__context__
    return None


def _hint_for(name: str) -> str | None:
    for prefix, hint in _HINTS.items():
        if name == prefix or name.startswith(prefix + "."):
            return f"{name} is not installed: {hint}"
    return None
