"""Groq wire format: OpenAI's chat completions under ``/openai/v1/``, with Groq's additions.

Groq serves OpenAI's shape with its own extras, which are what this module adds to the OpenAI
reply: an ``x_groq`` object (``{"id": "req_..."}``) on the response and on the first chunk of a
stream; timing fields in ``usage`` (``queue_time``, ``prompt_time``, ``completion_time``,
``total_time``) and ``service_tier: "on_demand"``; and, the difference that matters for cost,
a stream reports its usage in ``x_groq.usage`` of the chunk that carries the finish reason,
whether or not the request asked for ``stream_options.include_usage`` (which adds OpenAI's
usage-only chunk as well). Groq's error bodies are OpenAI's.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from otel_llm.fake_provider import _openai
from otel_llm.fake_provider._wire import Event, Exchange, JsonReply, StreamReply

__all__ = ["PREFIX", "chat"]

PREFIX = "/openai/v1/"
_TIMINGS = {"queue_time": 0.0012, "prompt_time": 0.0031, "completion_time": 0.0417, "total_time": 0.0448}


def _x_groq(ex: Exchange) -> dict[str, Any]:
    return {"id": f"req_{ex.serial:026d}"}


def _timed(usage: Any) -> Any:
    return {**usage, **_TIMINGS} if isinstance(usage, dict) else usage


def chat(ex: Exchange) -> JsonReply | StreamReply:
    asked = bool((ex.body.get("stream_options") or {}).get("include_usage"))
    if not ex.body.get("stream"):
        reply = _openai.chat(ex)
        assert isinstance(reply, JsonReply)
        body = {**reply.body, "service_tier": "on_demand", "x_groq": _x_groq(ex)}
        if "usage" in body:
            body["usage"] = _timed(body["usage"])
        return dataclasses.replace(reply, body=body)
    # Build OpenAI's stream with its usage chunk, then move that usage where Groq puts it.
    body = {**ex.body, "stream_options": {"include_usage": True}}
    reply = _openai.chat(dataclasses.replace(ex, body=body))
    assert isinstance(reply, StreamReply)
    chunks = [e.data for e in reply.events if isinstance(e.data, dict) and "object" in e.data]
    usage_chunk = next((c for c in chunks if c.get("choices") == []), None)
    finishing = [c for c in chunks if any(choice.get("finish_reason") for choice in c.get("choices") or ())]
    events: list[Event] = []
    for event in reply.events:
        data = event.data
        if not isinstance(data, dict) or "object" not in data:  # "[DONE]" or an in-stream error
            events.append(event)
            continue
        if data is usage_chunk and not asked:
            continue
        out = {key: value for key, value in data.items() if asked or key != "usage"}
        if data is chunks[0]:
            out["x_groq"] = _x_groq(ex)
        if finishing and data is finishing[-1]:
            out["x_groq"] = _x_groq(ex)
            if usage_chunk is not None and "usage" in usage_chunk:
                out["x_groq"]["usage"] = _timed(usage_chunk["usage"])
        if data is usage_chunk:
            out["usage"] = _timed(out.get("usage"))
        events.append(Event(out, event.name))
    return dataclasses.replace(reply, events=events)
