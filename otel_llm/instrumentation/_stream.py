"""Stream proxies that end the call's span exactly once, however the user leaves the stream.

An SDK module subclasses :class:`StreamRecorder` with two hooks:

- ``on_chunk(chunk) -> bool``: accumulate what the final attributes need (ids, finish reasons,
  usage, text for estimates); return False to HIDE the chunk from user code (used for the
  usage-only chunk we asked for ourselves), True to pass it on;
- ``on_end() -> (attributes, usage)``: the response attributes and usage to record.

and wraps the SDK's stream object: ``SyncStreamProxy(stream, recorder)`` or
``AsyncStreamProxy(stream, recorder)``. The proxy is a ``wrapt.ObjectProxy``, so
``isinstance(proxy, openai.Stream)`` stays True and every attribute and helper method of the
stream still works. The recorder finishes (records, then ends the span) on the first of:
exhaustion, ``break`` (our iterator generator is closed), ``close()``, ``with``/``async with``
exit, an SDK exception mid-stream (recorded as the call's error, then re-raised untouched), or
garbage collection of an abandoned stream (``weakref.finalize`` on the proxy).

An exception raised by the USER's code inside the loop is not the SDK's: the span ends normally.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any

import wrapt

from otel_llm.instrumentation._guard import report_bug
from otel_llm.instrumentation._lifecycle import LLMCall
from otel_llm.usage import Usage

__all__ = [
    "AsyncStreamProxy",
    "CreateOnEnterManagerProxy",
    "StreamManagerProxy",
    "StreamRecorder",
    "SyncStreamProxy",
]

# Recorders of streams opened inside a CreateOnEnterManagerProxy's __enter__ (None elsewhere).
_collected: ContextVar[list[StreamRecorder] | None] = ContextVar("otel_llm_stream_recorders", default=None)


class StreamRecorder:
    """Accumulates one stream's chunks and finishes its call once; subclassed per SDK."""

    # The tier the request asked to be billed at (Gemini's ``config.service_tier``); priced at
    # when the response names none. None: the response's own tier, or standard.
    service_tier: str | None = None

    def __init__(self, call: LLMCall) -> None:
        self.call = call
        self._seen_first = False
        self._finished = False

    # --- hooks for SDK modules ---------------------------------------------------------------
    def on_chunk(self, chunk: Any) -> bool:
        return True

    def on_end(self) -> tuple[Mapping[str, Any], Usage | None]:
        return {}, None

    def on_error(self, exc: BaseException) -> None:
        """Extra work when the SDK raised mid-stream; the error itself is recorded by ``finish``."""

    # --- driven by the proxies ---------------------------------------------------------------
    def chunk(self, chunk: Any) -> bool:
        """Feed one chunk; True if the user should see it. Never raises."""
        if not self._seen_first:
            self._seen_first = True
            self.call.record_first_chunk()
        try:
            return self.on_chunk(chunk)
        except Exception as exc:
            report_bug(f"{type(self).__name__}.on_chunk", exc)
            return True

    def finish(self, error: BaseException | None = None) -> None:
        """Record what was streamed (or the SDK's error) and end the span; only the first call counts."""
        if self._finished:
            return
        self._finished = True
        try:
            if error is not None:
                self.on_error(error)
                self.call.record_error(error)
            else:
                attributes, usage = self.on_end()
                self.call.record_response(attributes, usage, service_tier=self.service_tier)
        except Exception as exc:
            report_bug(f"{type(self).__name__}.finish", exc)
        finally:
            self.call.end()


def _finish_abandoned(recorder: StreamRecorder) -> None:
    try:
        recorder.finish()
    except Exception as exc:  # finish never raises, but a finalizer must be doubly sure
        report_bug("stream.finalize", exc)


class _ClosingProxy(wrapt.ObjectProxy):  # type: ignore[misc]
    """A proxy that ends its call when the wrapped object is closed or its ``with`` block exits.

    Subclasses define ``_self_finish()``; the sync and async mixins below forward ``close()`` and
    the context-manager methods to the wrapped object, then call it.
    """

    def _self_finish(self) -> None:
        raise NotImplementedError

    def _self_entered(self, result: Any) -> Any:
        # Streams return themselves from __enter__; hand back the proxy so tracing continues.
        return self if result is self.__wrapped__ else result


class _SyncClosing(_ClosingProxy):
    def close(self) -> Any:
        try:
            return self.__wrapped__.close()
        finally:
            self._self_finish()

    def __enter__(self) -> Any:
        return self._self_entered(self.__wrapped__.__enter__())

    def __exit__(self, *exc_info: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(*exc_info)
        finally:
            self._self_finish()


class _AsyncClosing(_ClosingProxy):
    async def close(self) -> Any:
        try:
            return await self.__wrapped__.close()
        finally:
            self._self_finish()

    async def aclose(self) -> Any:
        try:
            return await self.__wrapped__.aclose()
        finally:
            self._self_finish()

    async def __aenter__(self) -> Any:
        return self._self_entered(await self.__wrapped__.__aenter__())

    async def __aexit__(self, *exc_info: Any) -> Any:
        try:
            return await self.__wrapped__.__aexit__(*exc_info)
        finally:
            self._self_finish()


class _StreamProxy(_ClosingProxy):
    """What both raw-stream proxies share: the recorder and the GC finalizer."""

    def __init__(self, wrapped: Any, recorder: StreamRecorder) -> None:
        super().__init__(wrapped)
        self._self_recorder = recorder
        # Holds the recorder, not the proxy, so the proxy can still be collected.
        self._self_finalizer = weakref.finalize(self, _finish_abandoned, recorder)
        collected = _collected.get()
        if collected is not None:
            collected.append(recorder)

    def _self_finish(self, error: BaseException | None = None) -> None:
        self._self_finalizer.detach()
        self._self_recorder.finish(error)


class SyncStreamProxy(_StreamProxy, _SyncClosing):
    def __iter__(self) -> Iterator[Any]:
        # A generator, so that `break` closes it (GeneratorExit) and the span ends right there.
        # Only what the SDK raises while fetching a chunk is the call's error; whatever is thrown
        # in at the `yield` means the consumer left, which ends the span without an error.
        recorder = self._self_recorder
        chunks = iter(self.__wrapped__)
        while True:
            try:
                chunk = next(chunks)
            except StopIteration:
                break
            except BaseException as exc:
                self._self_finish(exc)
                raise
            if recorder.chunk(chunk):
                try:
                    yield chunk
                except BaseException:
                    self._self_finish()
                    raise
        self._self_finish()

    def __next__(self) -> Any:
        recorder = self._self_recorder
        try:
            while True:
                chunk = self.__wrapped__.__next__()
                if recorder.chunk(chunk):
                    return chunk
        except StopIteration:
            self._self_finish()
            raise
        except BaseException as exc:
            self._self_finish(exc)
            raise


class AsyncStreamProxy(_StreamProxy, _AsyncClosing):
    def __aiter__(self) -> AsyncIterator[Any]:
        return self._self_iterate()

    async def _self_iterate(self) -> AsyncIterator[Any]:
        # An async generator: on `break` the event loop's asyncgen hook closes it soon after, and
        # at loop shutdown that close may be cancelled: a CancelledError thrown in at the `yield`
        # is the consumer leaving, not an SDK error (same split as the sync iterator).
        recorder = self._self_recorder
        chunks = self.__wrapped__.__aiter__()
        while True:
            try:
                chunk = await chunks.__anext__()
            except StopAsyncIteration:
                break
            except BaseException as exc:
                self._self_finish(exc)
                raise
            if recorder.chunk(chunk):
                try:
                    yield chunk
                except BaseException:
                    self._self_finish()
                    raise
        self._self_finish()

    async def __anext__(self) -> Any:
        recorder = self._self_recorder
        try:
            while True:
                chunk = await self.__wrapped__.__anext__()
                if recorder.chunk(chunk):
                    return chunk
        except StopAsyncIteration:
            self._self_finish()
            raise
        except BaseException as exc:
            self._self_finish(exc)
            raise


class _HelperStream(_ClosingProxy):
    """The helper's own stream object (``ChatCompletionStream``, ``ResponseStream``, async too).

    Its ``close()`` (also called by its own ``with`` exit) closes the HTTP response directly,
    never our raw-stream proxy, so without this the span would end only at garbage collection.
    """

    def __init__(self, wrapped: Any, finish: Callable[[], None]) -> None:
        super().__init__(wrapped)
        self._self_finish_all = finish

    def _self_finish(self) -> None:
        self._self_finish_all()


class _SyncHelperStream(_HelperStream, _SyncClosing):
    pass


class _AsyncHelperStream(_HelperStream, _AsyncClosing):
    pass


class StreamManagerProxy(wrapt.ObjectProxy):  # type: ignore[misc]
    """The one base of every stream-manager proxy, for both SDKs, sync and async.

    A helper's stream manager (openai ``chat.completions.stream()``, anthropic
    ``messages.stream()``) sends its request only on ``__enter__``/``__aenter__``; how the call is
    followed from there differs per helper, so a subclass supplies four hooks and this class
    writes the protocol once (sync and async differ only by the ``await``):

    - ``_self_entering()``: a context manager around the wrapped ``__enter__`` (the request is
      sent inside it);
    - ``_self_enter_failed(exc)``: the wrapped ``__enter__`` raised; ``exc`` is re-raised untouched;
    - ``_self_entered(stream, asynchronous)``: what the ``with`` statement hands the user;
    - ``_self_finish()``: the ``with`` block left, after the wrapped ``__exit__``.
    """

    def _self_entering(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _self_enter_failed(self, exc: BaseException) -> None:
        raise NotImplementedError

    def _self_entered(self, stream: Any, asynchronous: bool) -> Any:
        raise NotImplementedError

    def _self_finish(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Any:
        with self._self_entering():
            try:
                stream = self.__wrapped__.__enter__()
            except BaseException as exc:
                self._self_enter_failed(exc)
                raise
        return self._self_entered(stream, asynchronous=False)

    def __exit__(self, *exc_info: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(*exc_info)
        finally:
            self._self_finish()

    async def __aenter__(self) -> Any:
        with self._self_entering():
            try:
                stream = await self.__wrapped__.__aenter__()
            except BaseException as exc:
                self._self_enter_failed(exc)
                raise
        return self._self_entered(stream, asynchronous=True)

    async def __aexit__(self, *exc_info: Any) -> Any:
        try:
            return await self.__wrapped__.__aexit__(*exc_info)
        finally:
            self._self_finish()


class CreateOnEnterManagerProxy(StreamManagerProxy):
    """A helper's manager whose ``__enter__`` makes the request through a wrapped (traced) method.

    ``client.chat.completions.stream()`` returns a manager that calls the wrapped
    ``create(stream=True)`` only in ``__enter__`` and then reads that raw stream through its own
    event wrapper. Every chunk still passes our raw-stream proxy, but the helper closes the HTTP
    response behind our back. This proxy collects the stream recorders created during
    ``__enter__`` and finishes them on ``__exit__``, or when the helper's stream object is closed
    (``close()`` or its own ``with``), so the span ends then, not at garbage collection.
    """

    def __init__(self, wrapped: Any) -> None:
        super().__init__(wrapped)
        self._self_recorders: list[StreamRecorder] = []

    @contextmanager
    def _self_entering(self) -> Iterator[None]:
        token = _collected.set(self._self_recorders)
        try:
            yield
        finally:
            _collected.reset(token)

    def _self_enter_failed(self, exc: BaseException) -> None:
        self._self_finish()  # the wrapped create recorded its own error; a helper failing after it ends the span

    def _self_entered(self, stream: Any, asynchronous: bool) -> Any:
        if not self._self_recorders:
            return stream
        proxy_type = _AsyncHelperStream if asynchronous else _SyncHelperStream
        return proxy_type(stream, self._self_finish)

    def _self_finish(self) -> None:
        for recorder in self._self_recorders:
            recorder.finish()
