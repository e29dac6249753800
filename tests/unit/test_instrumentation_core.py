"""The shared core (wrap table, lifecycle, stream proxies) driven through a tiny stand-in SDK.

The stand-in plays the SDK's part only; every otel-llm code path under test is the real one.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from otel_llm import semconv
from otel_llm.instrumentation._instrumentor import LLMInstrumentor
from otel_llm.instrumentation._lifecycle import LLMCall, Telemetry
from otel_llm.instrumentation._stream import AsyncStreamProxy, StreamRecorder, SyncStreamProxy
from otel_llm.instrumentation._wrapping import CallHandler, Row, async_call, inside_llm_call, sync_call
from otel_llm.usage import Usage


class SDKError(Exception):
    status_code = 503


class ToyStream:
    def __init__(self, n: int, fail_at: int | None = None) -> None:
        self._items = iter(range(n))
        self._fail_at = fail_at
        self.closed = False

    def __iter__(self) -> Iterator[int]:
        for item in self._items:
            if item == self._fail_at:
                raise SDKError("stream broke")
            yield item

    def __next__(self) -> int:
        return next(self._items)

    def close(self) -> None:
        self.closed = True

    def __enter__(self) -> ToyStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ToyAsyncStream:
    def __init__(self, n: int) -> None:
        self._n = n

    async def __aiter__(self) -> Any:
        for i in range(self._n):
            yield i

    async def close(self) -> None:
        pass


class ToyClient:
    def create(self, model: str, fail: bool = False, stream: int = 0) -> Any:
        if fail:
            raise SDKError("upstream down")
        if stream:
            return ToyStream(stream, fail_at=2 if model == "breaks" else None)
        return {"model": model, "in": 10, "out": 5}

    def helper(self, model: str) -> Any:
        """Like chat.completions.parse: an SDK helper that calls a wrapped method."""
        return self.create(model=model)

    async def acreate(self, model: str, stream: int = 0) -> Any:
        await asyncio.sleep(0)
        return ToyAsyncStream(stream) if stream else {"model": model, "in": 1, "out": 2}


class ToyRecorder(StreamRecorder):
    def __init__(self, call: LLMCall) -> None:
        super().__init__(call)
        self.count = 0

    def on_chunk(self, chunk: int) -> bool:
        self.count += 1
        return chunk != 3  # pretend chunk 3 is a usage-only chunk we asked for

    def on_end(self) -> tuple[dict[str, Any], Usage | None]:
        return {semconv.GEN_AI_RESPONSE_ID: f"chunks-{self.count}"}, Usage(input_tokens=1, output_tokens=self.count)


class ToyHandler(CallHandler):
    def __init__(self, explode_in: str | None = None) -> None:
        self.explode_in = explode_in

    def begin(self, telemetry: Telemetry, instance: Any, kwargs: dict[str, Any]) -> Any:
        if self.explode_in == "begin":
            raise RuntimeError("our bug")
        call = telemetry.start_call(
            operation="chat", provider="openai", request_model=kwargs["model"], attributes={"toy.kw": len(kwargs)}
        )
        return call, kwargs

    def complete(self, call: LLMCall, result: Any) -> tuple[Any, bool]:
        if self.explode_in == "complete":
            raise RuntimeError("our bug")
        if isinstance(result, ToyStream):
            return SyncStreamProxy(result, ToyRecorder(call)), True
        if isinstance(result, ToyAsyncStream):
            return AsyncStreamProxy(result, ToyRecorder(call)), True
        call.record_response(
            {semconv.GEN_AI_RESPONSE_MODEL: result["model"]},
            Usage(input_tokens=result["in"], output_tokens=result["out"]),
        )
        return result, False


ROWS = (
    Row(__name__, "ToyClient.create", sync_call(ToyHandler())),
    Row(__name__, "ToyClient.helper", sync_call(ToyHandler())),
    Row(__name__, "ToyClient.acreate", async_call(ToyHandler())),
    Row(__name__, "ToyClient.not_in_this_version", sync_call(ToyHandler())),
    Row("no_such_sdk_module", "Client.create", sync_call(ToyHandler())),
)


class ToyInstrumentor(LLMInstrumentor):
    scope = "otel_llm.tests.toy"
    rows: tuple[Row, ...] = ROWS

    def instrumentation_dependencies(self) -> tuple[str, ...]:
        return ()

    def wrap_table(self, **kwargs: Any) -> tuple[Row, ...]:
        return self.rows


@pytest.fixture
def instrumented(tracer_provider: Any, meter_provider: Any) -> Iterator[ToyInstrumentor]:
    inst = ToyInstrumentor()
    inst.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    yield inst
    inst.uninstrument()


def test_table_wraps_present_methods_and_skips_missing_ones(instrumented: ToyInstrumentor) -> None:
    assert sorted(instrumented.wrapped_targets) == ["ToyClient.acreate", "ToyClient.create", "ToyClient.helper"]


def test_uninstrument_restores_the_original_functions(tracer_provider: Any, meter_provider: Any) -> None:
    originals = {name: ToyClient.__dict__[name] for name in ("create", "helper", "acreate")}
    inst = ToyInstrumentor()
    inst.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    assert ToyClient.__dict__["create"] is not originals["create"]
    inst.uninstrument()
    assert {name: ToyClient.__dict__[name] for name in originals} == originals


def test_call_gets_one_client_span_with_usage(instrumented: ToyInstrumentor, span_exporter: InMemorySpanExporter):
    assert ToyClient().create(model="m1") == {"model": "m1", "in": 10, "out": 5}
    (span,) = span_exporter.get_finished_spans()
    assert span.name == "chat m1"
    assert span.kind.name == "CLIENT"
    assert span.attributes[semconv.GEN_AI_USAGE_INPUT_TOKENS] == 10
    assert span.attributes[semconv.GEN_AI_USAGE_OUTPUT_TOKENS] == 5
    assert span.attributes[semconv.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] == 0
    assert span.attributes["toy.kw"] == 1
    assert span.status.status_code is StatusCode.UNSET


def test_legacy_cache_creation_attribute_can_be_switched_off(
    monkeypatch: pytest.MonkeyPatch, tracer_provider: Any, meter_provider: Any, span_exporter: InMemorySpanExporter
) -> None:
    monkeypatch.setenv(semconv.ENV_EMIT_LEGACY_CACHE_CREATION, "false")
    inst = ToyInstrumentor()
    inst.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    try:
        ToyClient().create(model="m1")
    finally:
        inst.uninstrument()
    (span,) = span_exporter.get_finished_spans()
    assert semconv.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS not in span.attributes
    assert span.attributes[semconv.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS] == 0


def test_nested_call_of_ours_gives_one_span(instrumented: ToyInstrumentor, span_exporter: InMemorySpanExporter):
    ToyClient().helper(model="m2")
    assert [s.name for s in span_exporter.get_finished_spans()] == ["chat m2"]
    assert not inside_llm_call()


def test_suppressed_instrumentation_calls_through(instrumented: ToyInstrumentor, span_exporter: InMemorySpanExporter):
    with suppress_instrumentation():
        ToyClient().create(model="m1")
    assert span_exporter.get_finished_spans() == ()


def test_sdk_error_is_recorded_and_reraised_untouched(
    instrumented: ToyInstrumentor, span_exporter: InMemorySpanExporter
) -> None:
    with pytest.raises(SDKError, match="upstream down") as caught:
        ToyClient().create(model="m1", fail=True)
    assert type(caught.value) is SDKError
    (span,) = span_exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes[semconv.ERROR_TYPE] == "503"
    assert [e.name for e in span.events] == ["exception"]


@pytest.mark.parametrize("where", ["begin", "complete"])
def test_our_bug_never_reaches_the_app(
    where: str,
    tracer_provider: Any,
    meter_provider: Any,
    span_exporter: InMemorySpanExporter,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inst = ToyInstrumentor()  # instrumentors are singletons: monkeypatch undoes the change
    monkeypatch.setattr(inst, "rows", (Row(__name__, "ToyClient.create", sync_call(ToyHandler(explode_in=where))),))
    inst.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
    try:
        with caplog.at_level(logging.DEBUG, logger="otel_llm"):
            results = [ToyClient().create(model="m1") for _ in range(3)]
    finally:
        inst.uninstrument()
    assert results == [{"model": "m1", "in": 10, "out": 5}] * 3
    assert all(s.status.status_code is not StatusCode.ERROR for s in span_exporter.get_finished_spans())
    if where == "complete":  # the span was started, so it must still end, once per call
        assert len(span_exporter.get_finished_spans()) == 3
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "internal error" in r.message]
    assert len(warnings) == 1  # logged once per site (unique to this test), not once per call


def _one_stream_span(exporter: InMemorySpanExporter) -> Any:
    spans = exporter.get_finished_spans()
    assert len(spans) == 1, [s.name for s in spans]
    return spans[0]


def test_stream_exhaustion_ends_once_and_hides_rejected_chunks(
    instrumented: ToyInstrumentor, span_exporter: InMemorySpanExporter
) -> None:
    stream = ToyClient().create(model="m1", stream=5)
    assert isinstance(stream, ToyStream)
    assert list(stream) == [0, 1, 2, 4]
    span = _one_stream_span(span_exporter)
    assert span.attributes[semconv.GEN_AI_RESPONSE_ID] == "chunks-5"
    assert semconv.GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK in span.attributes
    stream.close()
    assert len(span_exporter.get_finished_spans()) == 1


def test_stream_break_ends_the_span_at_once(instrumented: ToyInstrumentor, span_exporter: InMemorySpanExporter):
    stream = ToyClient().create(model="m1", stream=5)
    for chunk in stream:
        if chunk == 1:
            break
    span = _one_stream_span(span_exporter)
    assert span.attributes[semconv.GEN_AI_RESPONSE_ID] == "chunks-2"
    del stream


def test_stream_close_and_with_exit(instrumented: ToyInstrumentor, span_exporter: InMemorySpanExporter) -> None:
    stream = ToyClient().create(model="m1", stream=5)
    assert next(stream) == 0
    stream.close()
    assert stream.closed
    _one_stream_span(span_exporter)
    with ToyClient().create(model="m1", stream=5) as entered:
        assert isinstance(entered, SyncStreamProxy)
        next(entered)
    assert len(span_exporter.get_finished_spans()) == 2


def test_sdk_error_mid_stream_is_recorded(instrumented: ToyInstrumentor, span_exporter: InMemorySpanExporter):
    stream = ToyClient().create(model="breaks", stream=5)
    with pytest.raises(SDKError):
        list(stream)
    span = _one_stream_span(span_exporter)
    assert span.status.status_code is StatusCode.ERROR


def test_user_error_inside_the_loop_is_not_the_calls_error(
    instrumented: ToyInstrumentor, span_exporter: InMemorySpanExporter
) -> None:
    def consume() -> None:
        for _ in ToyClient().create(model="m1", stream=5):
            raise ValueError("user code")

    with pytest.raises(ValueError):
        consume()
    span = _one_stream_span(span_exporter)
    assert span.status.status_code is not StatusCode.ERROR


def test_abandoned_stream_ends_on_garbage_collection(
    instrumented: ToyInstrumentor, span_exporter: InMemorySpanExporter
) -> None:
    stream = ToyClient().create(model="m1", stream=5)
    next(stream)
    assert span_exporter.get_finished_spans() == ()
    del stream
    gc.collect()
    _one_stream_span(span_exporter)


async def test_async_call_and_stream(instrumented: ToyInstrumentor, span_exporter: InMemorySpanExporter) -> None:
    client = ToyClient()
    assert await client.acreate(model="a1") == {"model": "a1", "in": 1, "out": 2}
    stream = await client.acreate(model="a2", stream=5)
    assert isinstance(stream, ToyAsyncStream)
    assert [c async for c in stream] == [0, 1, 2, 4]
    names = [s.name for s in span_exporter.get_finished_spans()]
    assert names == ["chat a1", "chat a2"]


async def test_async_stream_break_ends_the_span(
    instrumented: ToyInstrumentor, span_exporter: InMemorySpanExporter
) -> None:
    stream = await ToyClient().acreate(model="a2", stream=5)
    async for _ in stream:
        break
    await asyncio.sleep(0.01)  # the loop's asyncgen hook closes the abandoned iterator
    span = _one_stream_span(span_exporter)
    assert span.attributes[semconv.GEN_AI_RESPONSE_ID] == "chunks-1"
