"""Raw-response proxies: ``with_raw_response`` / ``with_streaming_response`` stay traced once.

Stainless SDKs (openai, anthropic) implement ``client.x.with_raw_response.create(...)`` by
calling the same (wrapped) ``create`` with a header that makes it return an ``APIResponse``
instead of the parsed object; ``with_streaming_response`` does the same lazily, inside a
context manager, without reading the body. So the call is traced by the ``create`` wrapper, and
the response is only known when the user calls ``.parse()``.

The SDK module's ``complete`` returns ``RawResponseProxy(result, call, on_parsed)`` (or the
async variant when ``result.parse`` is a coroutine function): ``parse()`` hands the parsed
object to ``on_parsed(call, parsed) -> (value, owned)``, the same function used for non-raw
results, which records it or wraps a stream. If the user never parses, the span ends on
``close()`` or when the response is garbage collected, with no usage rather than a guess.
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Callable
from typing import Any

import wrapt

from otel_llm.instrumentation._guard import report_bug
from otel_llm.instrumentation._lifecycle import LLMCall

__all__ = ["AsyncRawResponseProxy", "RawResponseProxy", "is_raw_response", "raw_response_proxy"]

OnParsed = Callable[[LLMCall, Any], tuple[Any, bool]]
_UNSET: Any = object()


def is_raw_response(result: Any) -> bool:
    """An SDK ``APIResponse``/``LegacyAPIResponse`` (never a parsed model): has both members.

    Runs on every call. Stainless SDKs set ``http_response`` in ``__init__``, so the instance
    ``__dict__`` answers; ``hasattr`` on a parsed pydantic model would take pydantic's slow
    absent-attribute path (~2 µs) on every non-raw call.
    """
    fields = getattr(result, "__dict__", None)
    found = "http_response" in fields if fields is not None else hasattr(result, "http_response")
    return found and callable(getattr(result, "parse", None))


def raw_response_proxy(result: Any, call: LLMCall, on_parsed: OnParsed) -> RawResponseProxy:
    proxy_type = AsyncRawResponseProxy if inspect.iscoroutinefunction(result.parse) else RawResponseProxy
    return proxy_type(result, call, on_parsed)


class RawResponseProxy(wrapt.ObjectProxy):  # type: ignore[misc]
    def __init__(self, wrapped: Any, call: LLMCall, on_parsed: OnParsed) -> None:
        super().__init__(wrapped)
        self._self_call = call
        self._self_on_parsed = on_parsed
        self._self_parsed: Any = _UNSET  # (what the SDK parsed, what we returned for it)
        self._self_finalizer = weakref.finalize(self, call.end)

    def _self_handle(self, parsed: Any) -> Any:
        if self._self_parsed is not _UNSET:
            # The SDK caches parse(); hand back our proxy for the same object, not a second one.
            seen, value = self._self_parsed
            return value if parsed is seen else parsed
        if self._self_finalizer.detach() is None:
            return parsed  # closed before parse(): the span has ended already
        call = self._self_call
        try:
            value, owned = self._self_on_parsed(call, parsed)
        except Exception as exc:
            report_bug("raw_response.parse", exc)
            value, owned = parsed, False
        if not owned:
            call.end()
        self._self_parsed = (parsed, value)
        return value

    def _self_failed(self, exc: BaseException) -> None:
        if self._self_parsed is _UNSET and self._self_finalizer.detach() is not None:
            self._self_call.record_error(exc)
            self._self_call.end()

    def _self_release(self) -> None:
        if self._self_parsed is _UNSET and self._self_finalizer.detach() is not None:
            self._self_call.end()

    def parse(self, *args: Any, **kwargs: Any) -> Any:
        try:
            parsed = self.__wrapped__.parse(*args, **kwargs)
        except BaseException as exc:
            self._self_failed(exc)
            raise
        return self._self_handle(parsed)

    def close(self) -> Any:
        try:
            return self.__wrapped__.close()
        finally:
            self._self_release()


class AsyncRawResponseProxy(RawResponseProxy):
    async def parse(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        try:
            parsed = await self.__wrapped__.parse(*args, **kwargs)
        except BaseException as exc:
            self._self_failed(exc)
            raise
        return self._self_handle(parsed)

    async def close(self) -> Any:  # type: ignore[override]
        try:
            return await self.__wrapped__.close()
        finally:
            self._self_release()
