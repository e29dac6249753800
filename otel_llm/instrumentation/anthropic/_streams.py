"""What an Anthropic stream tells us, event by event, and how ``messages.stream()`` is followed.

Anthropic splits the facts of a streamed message over two events: ``message_start`` carries the
id, the model and the input and cache counts; ``message_delta`` carries the stop reason and the
cumulative output count (and, on newer APIs, repeats the input and cache counts). The raw usage
fields are merged as they arrive and normalized once at the end, so nothing is counted twice.

``messages.stream()`` returns a manager that sends the request only on ``__enter__`` and wraps
the SDK's raw event stream in a ``MessageStream`` whose helpers (``text_stream``,
``get_final_message``, ``until_done``) all read that raw stream. So the manager proxy below
sends the request in the call's context, then puts the core's stream proxy in place of the
``MessageStream``'s raw stream: every helper, ``close()`` and the ``with`` exit go through it,
the user still gets the SDK's own ``MessageStream``, and the span ends once.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any

from otel_llm import semconv
from otel_llm.instrumentation._guard import report_bug
from otel_llm.instrumentation._lifecycle import LLMCall
from otel_llm.instrumentation._stream import AsyncStreamProxy, StreamManagerProxy, StreamRecorder, SyncStreamProxy
from otel_llm.instrumentation._wrapping import call_context
from otel_llm.instrumentation.anthropic._extract import merge_raw_usage, response_attributes, usage_from_raw
from otel_llm.instrumentation.anthropic._messages import StreamedContent
from otel_llm.usage import Usage

__all__ = ["MessageEventRecorder", "MessageStreamManagerProxy"]

_RAW_STREAM = "_raw_stream"  # where (Beta)(Async)MessageStream keeps the SDK's event stream, 0.x to 2.x


class MessageEventRecorder(StreamRecorder):
    """Accumulates the raw ``RawMessageStreamEvent`` objects of one streamed message."""

    def __init__(self, call: LLMCall) -> None:
        super().__init__(call)
        self._attributes: dict[str, Any] = {}
        self._raw_usage: dict[str, int] = {}
        # Rebuilding the reply costs work per event, so only when content capture is on.
        self._content = StreamedContent() if call.telemetry.content.enabled else None

    def on_chunk(self, chunk: Any) -> bool:
        kind = getattr(chunk, "type", None)
        if kind == "message_start":
            message = getattr(chunk, "message", None)
            self._attributes.update(response_attributes(message))
            merge_raw_usage(self._raw_usage, getattr(message, "usage", None))
        elif kind == "message_delta":
            stop_reason = getattr(getattr(chunk, "delta", None), "stop_reason", None)
            if isinstance(stop_reason, str):
                self._attributes[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = [stop_reason]
            merge_raw_usage(self._raw_usage, getattr(chunk, "usage", None))
        if self._content is not None:
            self._content.add(chunk)
        return True

    def on_end(self) -> tuple[Mapping[str, Any], Usage | None]:
        if self._content is not None:
            reasons = self._attributes.get(semconv.GEN_AI_RESPONSE_FINISH_REASONS) or [None]
            self.call.telemetry.content.record(self.call.span, output_messages=self._content.messages(reasons[0]))
        return self._attributes, usage_from_raw(self._raw_usage)


def _finish_unentered(recorder: StreamRecorder) -> None:
    recorder.finish()


class MessageStreamManagerProxy(StreamManagerProxy):
    """A stream manager that has not sent its request yet; owns the call until ``__enter__``."""

    def __init__(self, manager: Any, recorder: MessageEventRecorder) -> None:
        super().__init__(manager)
        self._self_recorder = recorder
        # A manager dropped without being entered sent nothing: end its span when it is collected.
        self._self_finalizer = weakref.finalize(self, _finish_unentered, recorder)

    def _self_entering(self) -> AbstractContextManager[None]:
        return call_context(self._self_recorder.call)

    def _self_enter_failed(self, exc: BaseException) -> None:
        self._self_finalizer.detach()
        self._self_recorder.finish(exc)

    def _self_entered(self, message_stream: Any, asynchronous: bool) -> Any:
        """Hand the call to a stream proxy over the message stream's raw events."""
        self._self_finalizer.detach()
        recorder = self._self_recorder
        try:
            raw = getattr(message_stream, _RAW_STREAM)
            proxy_type = AsyncStreamProxy if asynchronous else SyncStreamProxy
            setattr(message_stream, _RAW_STREAM, proxy_type(raw, recorder))
        except Exception as exc:
            report_bug("anthropic.stream_manager", exc)
            recorder.finish()  # the span still ends, without the streamed usage
        return message_stream

    def _self_finish(self) -> None:
        self._self_recorder.finish()
