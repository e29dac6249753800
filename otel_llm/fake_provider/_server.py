"""The HTTP side of the fake provider: a threaded HTTP/1.1 server on 127.0.0.1.

It is on the measured path of the instrumentation benchmark, so it keeps connections alive,
never sleeps, never logs, disables Nagle and writes each response in one ``sendall``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from otel_llm.fake_provider import _anthropic, _bedrock, _cohere, _gemini, _groq, _mistral, _openai, _responses
from otel_llm.fake_provider._content import PromptCache
from otel_llm.fake_provider._script import RecordedRequest, Script
from otel_llm.fake_provider._wire import Exchange, JsonReply, StreamReply, encode_event, status_phrase

__all__ = ["CHUNKS_HEADER", "FAIL_FIRST_HEADER", "FakeProvider"]

_SECRET_HEADERS = frozenset(
    {"authorization", "x-api-key", "api-key", "x-goog-api-key", "proxy-authorization", "cookie", "x-amz-security-token"}
)
_Reply = JsonReply | StreamReply
_AZURE_PREFIX = "/openai/deployments/"
# An app with no access to the control API (the example app under ``opentelemetry-instrument``)
# asks for a retried failure with this header: the first attempt (the SDKs number attempts in
# x-stainless-retry-count) gets the named status, the SDK's own retry then succeeds. A real
# provider ignores the header.
FAIL_FIRST_HEADER = "x-fake-provider-fail-first"
# Stream length for a request from a process that cannot enqueue scripts (the benchmarks).
CHUNKS_HEADER = "x-fake-provider-chunks"
_RETRY_COUNT_HEADER = "x-stainless-retry-count"
# botocore numbers attempts in "amz-sdk-request: attempt=1; max=3".
_AWS_ATTEMPT_HEADER = "amz-sdk-request"


def _first_attempt(headers: Mapping[str, str]) -> bool:
    """Whether the request is an SDK's first attempt (the OpenAI/Anthropic SDKs' or botocore's count)."""
    aws = headers.get(_AWS_ATTEMPT_HEADER)
    if aws is not None:
        return "attempt=1;" in aws.replace(" ", "") + ";"
    return headers.get(_RETRY_COUNT_HEADER, "0") == "0"


@dataclass(frozen=True)
class _Route:
    suffix: str
    answer: Callable[[Exchange], _Reply]
    error: Callable[[Exchange, int], JsonReply]


def _vertex(ex: Exchange) -> _Reply:
    """Vertex puts the model in the URL (``.../models/{model}:rawPredict``) and not in the body."""
    model = ex.path.rsplit("/models/", 1)[-1].split(":", 1)[0]
    return _anthropic.messages(ex, model=model)


# Matched by path suffix, so the plain, Azure (/openai/deployments/{d}/...) and beta
# (?beta=true) forms share one route. Order matters: "/chat/completions" before "/completions".
_ROUTES = (
    _Route("/chat/completions", _openai.chat, _openai.error),
    _Route("/responses", _responses.responses, _openai.error),
    _Route("/embeddings", _openai.embeddings, _openai.error),
    _Route("/completions", _openai.completions, _openai.error),
    _Route("/messages", _anthropic.messages, _anthropic.error),
    _Route(":rawPredict", _vertex, _anthropic.error),
    _Route(":streamRawPredict", _vertex, _anthropic.error),
    # Bedrock Runtime: /model/{modelId}/<operation>
    _Route("/converse", _bedrock.converse, _bedrock.error),
    _Route("/converse-stream", _bedrock.converse_stream, _bedrock.error),
    _Route("/invoke", _bedrock.invoke, _bedrock.error),
    _Route("/invoke-with-response-stream", _bedrock.invoke_stream, _bedrock.error),
    # Gemini (Developer API and Vertex): the model is in the path, ``?alt=sse`` in the query.
    _Route(":generateContent", _gemini.generate, _gemini.error),
    _Route(":streamGenerateContent", _gemini.generate, _gemini.error),
    _Route(":batchEmbedContents", _gemini.embed, _gemini.error),
    _Route(":embedContent", _gemini.embed, _gemini.error),
    _Route(":predict", _gemini.predict, _gemini.error),
    _Route("/v2/chat", _cohere.chat, _cohere.error),
    _Route("/v2/embed", _cohere.embed, _cohere.error),
    _Route("/v1/chat", _cohere.chat_v1, _cohere.error),
)


# Vendors that serve OpenAI's paths with their own wire format, told apart by a path prefix (the
# SDK's base URL): checked before the suffix routes above.
_PREFIX_ROUTES: tuple[tuple[str, tuple[_Route, ...]], ...] = (
    (
        _mistral.PREFIX + "/",
        (
            _Route("/v1/chat/completions", _mistral.chat, _mistral.error),
            _Route("/v1/embeddings", _mistral.embeddings, _mistral.error),
        ),
    ),
    (_groq.PREFIX, (_Route("/chat/completions", _groq.chat, _openai.error),)),
)


def _route_of(path: str) -> _Route | None:
    for prefix, routes in _PREFIX_ROUTES:
        if path.startswith(prefix):
            return next((r for r in routes if path.endswith(r.suffix)), None)
    return next((r for r in _ROUTES if path.endswith(r.suffix)), None)


def _head(status: int, headers: Mapping[str, str]) -> bytes:
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return f"HTTP/1.1 {status} {status_phrase(status)}\r\n{lines}\r\n".encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle(self) -> None:
        # A client that stops reading (``break`` out of a stream, ``close()``) is normal traffic,
        # not a server error worth a traceback on stderr.
        with contextlib.suppress(OSError):
            super().handle()

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: a test run or a benchmark must not print a line per request."""

    def do_POST(self) -> None:
        self.server.provider._serve(self)

    do_GET = do_POST

    def send_json(self, reply: JsonReply) -> None:
        payload = json.dumps(reply.body, separators=(",", ":")).encode()
        headers = {"content-type": "application/json", "content-length": str(len(payload)), **reply.headers}
        self.wfile.write(_head(reply.status, headers) + payload)

    def send_stream(self, reply: StreamReply) -> None:
        headers = {
            "content-type": reply.content_type,
            "cache-control": "no-cache",
            "transfer-encoding": "chunked",
            **reply.headers,
        }
        parts = [_head(200, headers)]
        for event in reply.events:
            data = encode_event(event, reply.framing)
            parts.append(b"%x\r\n%s\r\n" % (len(data), data))
        if not reply.disconnect:
            parts.append(b"0\r\n\r\n")
        self.wfile.write(b"".join(parts))
        if reply.disconnect:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], provider: FakeProvider) -> None:
        self.provider = provider
        super().__init__(address, _Handler)


class FakeProvider:
    """OpenAI- and Anthropic-compatible endpoints on 127.0.0.1 that the real SDKs talk to.

    Requests get the next queued :class:`Script` whose ``endpoint`` matches (FIFO), or the
    default behaviour; every request is recorded, credentials removed.
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, azure_deployments: Mapping[str, str] | None = None
    ) -> None:
        self._address = (host, port)
        # Azure answers with the model behind a deployment, not the deployment's name.
        self._azure_deployments = dict(azure_deployments or {})
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._scripts: list[Script] = []
        self._requests: list[RecordedRequest] = []
        self._serial = 0
        self._cache = PromptCache()

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> FakeProvider:
        if self._server is None:
            self._server = _Server(self._address, self)
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="otel-llm-fake-provider", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = self._thread = None

    def __enter__(self) -> FakeProvider:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- addresses ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``: the Anthropic and Azure base URL."""
        if self._server is None:
            raise RuntimeError("FakeProvider is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def openai_base_url(self) -> str:
        return self.url + "/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.url

    @property
    def azure_endpoint(self) -> str:
        return self.url

    @property
    def mistral_server_url(self) -> str:
        """For ``Mistral(server_url=...)``: Mistral's paths are OpenAI's, so they live under a prefix."""
        return self.url + _mistral.PREFIX

    @property
    def groq_base_url(self) -> str:
        """For ``Groq(base_url=...)``: the SDK adds Groq's ``/openai/v1/`` paths itself."""
        return self.url

    @property
    def cohere_base_url(self) -> str:
        """For ``cohere.ClientV2(base_url=...)``: Cohere's paths (``/v2/chat``) are its own."""
        return self.url

    # --- control -----------------------------------------------------------------------

    def enqueue(self, *scripts: Script) -> None:
        with self._lock:
            self._scripts.extend(scripts)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def pending(self) -> list[Script]:
        """Scripts no request has consumed yet; a test that expected them all used asserts it is empty."""
        with self._lock:
            return list(self._scripts)

    def reset(self) -> None:
        """Forget queued scripts, recorded requests and the simulated prompt cache."""
        with self._lock:
            self._scripts.clear()
            self._requests.clear()
        self._cache.clear()

    # --- serving -----------------------------------------------------------------------

    def _take(self, recorded: RecordedRequest) -> tuple[Script, int]:
        with self._lock:
            self._requests.append(recorded)
            self._serial += 1
            for i, script in enumerate(self._scripts):
                if script.matches(recorded.path):
                    return self._scripts.pop(i), self._serial
            return Script(), self._serial

    def _effective(self, path: str, body: Any) -> dict[str, Any]:
        """The body the reply is built from: on Azure paths the deployment's model, as Azure reports it."""
        if not isinstance(body, dict):
            return {}
        if path.startswith(_AZURE_PREFIX):
            deployment = path[len(_AZURE_PREFIX) :].split("/", 1)[0]
            return {**body, "model": self._azure_deployments.get(deployment, body.get("model", deployment))}
        return body

    def _serve(self, handler: _Handler) -> None:
        url = urlsplit(handler.path)
        raw = handler.rfile.read(int(handler.headers.get("content-length") or 0))
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in handler.headers.items() if k.lower() not in _SECRET_HEADERS}
        recorded = RecordedRequest(handler.command, url.path, dict(parse_qsl(url.query)), body, headers)
        script, serial = self._take(recorded)
        fail_first = headers.get(FAIL_FIRST_HEADER, "")
        if fail_first.isdigit() and _first_attempt(headers):
            script = Script(status=int(fail_first))
        chunks = headers.get(CHUNKS_HEADER, "")
        if chunks.isdigit() and int(chunks) > 0 and script.chunks is None:
            script = dataclasses.replace(script, chunks=int(chunks))
        route = _route_of(url.path)
        ex = Exchange(url.path, self._effective(url.path, body), script, serial, int(time.time()), self._cache)
        if route is None or handler.command != "POST":
            handler.send_json(_openai.error(ex, 404))
        elif not isinstance(body, dict):
            handler.send_json(route.error(ex, 400))
        elif script.status != 200:
            handler.send_json(route.error(ex, script.status))
        else:
            reply = route.answer(ex)
            if isinstance(reply, StreamReply):
                handler.send_stream(reply)
            else:
                handler.send_json(reply)
