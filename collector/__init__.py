"""The otel-llm companion collector: OTLP in, ClickHouse and Jaeger/Tempo out, nothing lost.

Apps keep their standard OTLP exporter and point it at the collector (OTLP/HTTP on 4318,
OTLP/gRPC on 4317), traces and logs (a call whose span is sampled out is recorded as a log event).
Every request is fsynced to a write-ahead spool before it is acknowledged; a drain thread per
signal writes the spooled spans and log records to ClickHouse (``otel_traces``, ``otel_logs``, the
views do the rest) with dedup tokens derived from the spool, so ``kill -9`` and restart neither
lose nor duplicate an acknowledged span or record, and a ClickHouse outage only grows the spool (bounded; then 429 /
RESOURCE_EXHAUSTED, which OTLP exporters retry). Requests can also be forwarded to other OTLP/HTTP
receivers, each through its own bounded queue. The HTTP port also answers read-only SQL
(``POST /v1/sql``), ``/healthz``, ``/readyz`` and ``/metrics``.

Run it with ``python -m otel_llm_collector`` or ``otel-llm collector``; ``--help`` lists the flags, each
also an ``OTEL_LLM_COLLECTOR_*`` variable and a key of the ``--config`` YAML file.
"""

from __future__ import annotations

from collections.abc import Sequence

from otel_llm_collector.config import CollectorConfig, ConfigError, load_config

__all__ = ["CollectorConfig", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Parses flags (plus env and the YAML file), runs until SIGTERM, returns the exit code."""
    from otel_llm_collector.service import run  # deferred: the servers' imports are only needed to serve

    try:
        config = load_config(argv)
    except ConfigError as exc:
        print(f"otel-llm collector: {exc}", flush=True)
        return 2
    return run(config)
