"""The four Bedrock Runtime operations, and the one wrapper that picks them out of every AWS call.

botocore builds each client's methods at run time, so there is no ``Converse`` method to wrap:
every AWS call of every service goes through ``BaseClient._make_api_call(operation_name,
api_params)``, the place the official botocore instrumentation hooks too. The wrapper built by
:func:`bedrock_api_call` looks the operation name up in a dict of four entries and, only on a
hit, checks the client's service name; any other AWS call (S3, SQS, DynamoDB...) pays that one
dict miss and goes straight through. A Bedrock call is handed to the shared ``sync_call``
machinery (span current during the call, errors recorded and re-raised untouched, observers).

botocore retries throttling and 5xx inside ``_make_api_call``, so a retried call is one span.
``invoke_model``'s response body is a ``StreamingBody`` read once by the user; the wrapper reads
it inside the call (a read error is then the call's error) and hands back a new
``StreamingBody`` over the same bytes, so usage can be taken from it.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from typing import Any

from otel_llm import semconv
from otel_llm.instrumentation._fingerprint import RequestParts
from otel_llm.instrumentation._lifecycle import LLMCall, Telemetry
from otel_llm.instrumentation._providers import endpoint_of
from otel_llm.instrumentation._stream import StreamRecorder, SyncStreamProxy
from otel_llm.instrumentation._wrapping import CallHandler, Wrapper, WrapperFactory, sync_call
from otel_llm.instrumentation.bedrock._extract import (
    InvokeReport,
    converse_request_attributes,
    converse_request_parts,
    converse_response,
    decode_body,
    invoke_operation,
    invoke_request_attributes,
    invoke_request_parts,
)
from otel_llm.instrumentation.bedrock._messages import (
    converse_request_content,
    converse_response_content,
    invoke_request_content,
    invoke_response_content,
)
from otel_llm.instrumentation.bedrock._streams import ConverseStreamRecorder, InvokeStreamRecorder

__all__ = ["SERVICE_NAME", "bedrock_api_call"]

SERVICE_NAME = "bedrock-runtime"
_PARAMS = "api_params"
_StreamingBody: Any = None


def _start(
    telemetry: Telemetry, client: Any, operation: str, attributes: dict[str, Any], request: RequestParts
) -> LLMCall | None:
    host, port = endpoint_of(str(getattr(getattr(client, "meta", None), "endpoint_url", "") or ""))
    return telemetry.start_call(
        operation=operation,
        provider=semconv.PROVIDER_AWS_BEDROCK,
        request_model=attributes.get(semconv.GEN_AI_REQUEST_MODEL),
        attributes=attributes,
        server_address=host,
        server_port=port,
        request=request,
    )


def _start_converse(telemetry: Telemetry, client: Any, params: Mapping[str, Any], *, stream: bool) -> LLMCall | None:
    attributes = converse_request_attributes(params, stream=stream)
    call = _start(telemetry, client, semconv.OP_CHAT, attributes, converse_request_parts(params))
    if call is not None and telemetry.content.enabled:
        system, inputs = converse_request_content(params)
        telemetry.content.record(call.span, input_messages=inputs, system_instructions=system)
    return call


def _start_invoke(telemetry: Telemetry, client: Any, params: Mapping[str, Any], *, stream: bool) -> LLMCall | None:
    body = decode_body(params.get("body"))  # once: for the attributes, the shape and the content
    attributes = invoke_request_attributes(params, body, stream=stream)
    operation = invoke_operation(params.get("modelId"))
    call = _start(telemetry, client, operation, attributes, invoke_request_parts(params, body))
    if call is not None and telemetry.content.enabled:
        system, inputs = invoke_request_content(body)
        telemetry.content.record(call.span, input_messages=inputs, system_instructions=system)
    return call


def _headers(result: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = result.get("ResponseMetadata")
    headers = metadata.get("HTTPHeaders") if isinstance(metadata, Mapping) else None
    return headers if isinstance(headers, Mapping) else {}


class ConverseHandler(CallHandler):
    def begin(
        self, telemetry: Telemetry, instance: Any, kwargs: dict[str, Any]
    ) -> tuple[LLMCall | None, dict[str, Any]]:
        return _start_converse(telemetry, instance, kwargs, stream=False), kwargs

    def complete(self, call: LLMCall, result: Any) -> tuple[Any, bool]:
        if isinstance(result, Mapping):
            call.record_response(*converse_response(result))
            if call.telemetry.content.enabled:
                call.telemetry.content.record(call.span, output_messages=converse_response_content(result))
        return result, False


class InvokeHandler(CallHandler):
    def begin(
        self, telemetry: Telemetry, instance: Any, kwargs: dict[str, Any]
    ) -> tuple[LLMCall | None, dict[str, Any]]:
        return _start_invoke(telemetry, instance, kwargs, stream=False), kwargs

    def complete(self, call: LLMCall, result: Any) -> tuple[Any, bool]:
        if not isinstance(result, Mapping):
            return result, False
        report = InvokeReport()
        body = getattr(result.get("body"), "_otel_llm_bytes", None)
        decoded = decode_body(body) if body is not None else None
        if decoded is not None:
            report.add(decoded)
        call.record_response(report.attributes(), report.usage(_headers(result)))
        if call.telemetry.content.enabled:
            call.telemetry.content.record(call.span, output_messages=invoke_response_content(decoded))
        return result, False


class _StreamHandler(CallHandler):
    """Both stream operations: the EventStream under ``key`` is replaced by a proxy that ends the call."""

    def __init__(self, key: str, recorder: Callable[[LLMCall], StreamRecorder], converse: bool) -> None:
        self._key = key
        self._recorder = recorder
        self._converse = converse

    def begin(
        self, telemetry: Telemetry, instance: Any, kwargs: dict[str, Any]
    ) -> tuple[LLMCall | None, dict[str, Any]]:
        start = _start_converse if self._converse else _start_invoke
        return start(telemetry, instance, kwargs, stream=True), kwargs

    def complete(self, call: LLMCall, result: Any) -> tuple[Any, bool]:
        stream = result.get(self._key) if isinstance(result, dict) else None
        if stream is None:
            return result, False
        result[self._key] = SyncStreamProxy(stream, self._recorder(call))
        return result, True


def _read_body(wrapped: Callable[..., Any]) -> Callable[..., Any]:
    """``wrapped`` followed by reading ``invoke_model``'s body into a fresh ``StreamingBody``."""

    def call(*args: Any, **kwargs: Any) -> Any:
        result = wrapped(*args, **kwargs)
        body = result.get("body") if isinstance(result, dict) else None
        read = getattr(body, "read", None)
        if read is None:
            return result
        data = read()
        result["body"] = _buffered(data)
        return result

    return call


def _buffered(data: bytes) -> Any:
    global _StreamingBody
    if _StreamingBody is None:  # imported once, on the first call: importing this module needs no botocore
        from botocore.response import StreamingBody

        _StreamingBody = StreamingBody
    body = _StreamingBody(io.BytesIO(data), len(data))
    body._otel_llm_bytes = data  # what InvokeHandler parses; the user reads the stream itself
    return body


_HANDLERS: dict[str, CallHandler] = {
    "Converse": ConverseHandler(),
    "ConverseStream": _StreamHandler("stream", ConverseStreamRecorder, converse=True),
    "InvokeModel": InvokeHandler(),
    "InvokeModelWithResponseStream": _StreamHandler("body", InvokeStreamRecorder, converse=False),
}


def _is_bedrock(client: Any) -> bool:
    try:
        return client._service_model.service_name == SERVICE_NAME  # type: ignore[no-any-return]
    except AttributeError:
        return False


def bedrock_api_call() -> WrapperFactory:
    """The wrapper of ``BaseClient._make_api_call``: Bedrock Runtime's four operations traced, the rest untouched."""

    def factory(telemetry: Telemetry) -> Wrapper:
        traced = {name: sync_call(handler)(telemetry) for name, handler in _HANDLERS.items()}

        def wrapper(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            operation = args[0] if args else kwargs.get("operation_name")
            trace = traced.get(operation) if type(operation) is str else None
            if trace is None or not _is_bedrock(instance):
                return wrapped(*args, **kwargs)
            params = args[1] if len(args) > 1 else kwargs.get(_PARAMS)
            target = _read_body(wrapped) if operation == "InvokeModel" else wrapped

            def positional(**call_params: Any) -> Any:
                # Called as botocore calls it: another wrapper underneath (the official botocore
                # instrumentation's) reads the operation and its parameters from ``args``.
                return target(operation, call_params)

            # The handlers and the call observers (budgets) see the API parameters as the call's
            # keyword arguments, as they see an SDK method's (``messages``, ``system``...).
            return trace(positional, instance, (), dict(params) if isinstance(params, Mapping) else {})

        return wrapper

    return factory
