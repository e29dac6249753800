"""Collectors under test, and spans sent to them by the real OTLP exporters."""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

from tests.collector.harness import STARTED, RunningCollector, start_collector

TOKEN = "test-token-123"


@pytest.fixture(autouse=True)
def reap() -> Iterator[None]:
    """Kills the collectors a test started and left running (an assertion failed before stop)."""
    before = len(STARTED)
    yield
    for process in STARTED[before:]:
        if process.poll() is None:
            process.kill()
            process.wait(10)


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    """One collector (auth on) shared by a module's tests; tests keep apart by service name."""
    running = start_collector(tmp_path_factory.mktemp("collector"), token=TOKEN)
    yield running
    running.stop()


def emit(
    exporter: SpanExporter,
    service: str,
    count: int,
    attributes: Mapping[str, Any] | None = None,
) -> list[str]:
    """Sends ``count`` spans through a real SDK pipeline; returns their span ids (hex)."""
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(exporter, max_export_batch_size=64))
    tracer = provider.get_tracer("tests.collector", "1.2.3")
    ids = []
    for index in range(count):
        with tracer.start_as_current_span(
            f"span {index}", kind=SpanKind.CLIENT, attributes={"index": index, **(attributes or {})}
        ) as span:
            span.add_event("an event", {"n": 1.5})
            if index % 2:
                span.set_status(Status(StatusCode.ERROR, "boom"))
            ids.append(format(span.get_span_context().span_id, "016x"))
    assert provider.force_flush(30_000)
    provider.shutdown()
    return ids


def unique_service(prefix: str) -> str:
    return f"{prefix}-{random.randrange(1 << 30)}"
