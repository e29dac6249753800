"""OpenAI Responses API wire format: a Response object, or its typed SSE events.

The stream is the one instrumentation most often gets wrong: usage arrives only in the final
``response.completed`` (``response.incomplete`` when the token limit cut the reply), inside the
full Response object, and every event carries a ``sequence_number``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from otel_llm.fake_provider._content import ReplyText, plan_text, response_model, texts
from otel_llm.fake_provider._openai import Counts, counts, forced_tool, headers, token_limit, with_usage
from otel_llm.fake_provider._wire import Event, Exchange, JsonReply, StreamReply, stream_of

__all__ = ["responses"]


def _usage(c: Counts) -> dict[str, Any]:
    return {
        "input_tokens": c.prompt,
        "input_tokens_details": {"cached_tokens": c.cached, "cache_write_tokens": 0},
        "output_tokens": c.completion,
        "output_tokens_details": {"reasoning_tokens": c.reasoning},
        "total_tokens": c.prompt + c.completion,
    }


def _prompt(body: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """All prompt text, and the prefix a cache could hold (everything before the last input item)."""
    instructions = list(texts(body.get("instructions") or ""))
    items = body.get("input") or ""
    earlier = items[:-1] if isinstance(items, list) else []
    return instructions + list(texts(items)), instructions + list(texts(earlier))


def _answer_item(ex: Exchange, reply: ReplyText, tool: tuple[str, Any] | None, status: str) -> dict[str, Any]:
    """The final output item: a function call when a tool is forced, else an assistant message."""
    if tool:
        return {
            "id": f"fc_fake{ex.serial:020d}",
            "type": "function_call",
            "call_id": f"call_fake{ex.serial:020d}",
            "name": tool[0],
            "arguments": reply.text,
            "status": status,
        }
    part = {"type": "output_text", "annotations": [], "logprobs": [], "text": reply.text}
    return {
        "id": f"msg_fake{ex.serial:020d}",
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": [part],
    }


def responses(ex: Exchange) -> JsonReply | StreamReply:
    body = ex.body
    text_config = body.get("text") or {"format": {"type": "text"}}
    fmt = text_config.get("format") or {}
    tool = forced_tool(body)
    schema = tool[1] if tool else fmt.get("schema", {}) if fmt.get("type") == "json_schema" else None
    reply = plan_text(ex.script, token_limit(body, "max_output_tokens"), schema)
    usage = counts(ex, reply, *_prompt(body))
    status = "incomplete" if reply.truncated else "completed"
    reasoning_item = {"id": f"rs_fake{ex.serial:020d}", "type": "reasoning", "summary": []}
    answer = _answer_item(ex, reply, tool, status)
    outputs = ([reasoning_item] if usage.reasoning else []) + [answer]

    def response(state: str, output: list[dict[str, Any]], final: bool) -> dict[str, Any]:
        obj = {
            "id": f"resp_fake{ex.serial:020d}",
            "object": "response",
            "created_at": ex.created,
            "status": state,
            "background": False,
            "error": None,
            "incomplete_details": {"reason": "max_output_tokens"} if state == "incomplete" else None,
            "instructions": body.get("instructions"),
            "max_output_tokens": body.get("max_output_tokens"),
            "model": response_model(str(body.get("model"))),
            "output": output,
            "parallel_tool_calls": True,
            "previous_response_id": body.get("previous_response_id"),
            "reasoning": {"effort": None, "summary": None},
            "service_tier": "default",
            "store": True,
            "temperature": body.get("temperature", 1.0),
            "text": text_config,
            "tool_choice": body.get("tool_choice", "auto"),
            "tools": body.get("tools") or [],
            "top_p": body.get("top_p", 1.0),
            "truncation": "disabled",
            "usage": None,
            "user": None,
            "metadata": body.get("metadata") or {},
        }
        return with_usage(obj, ex, _usage(usage)) if final else obj

    if not body.get("stream"):
        return JsonReply(200, response(status, outputs, final=True), headers(ex))

    seq = itertools.count()

    def event(name: str, **fields: Any) -> Event:
        return Event({"type": name, "sequence_number": next(seq), **fields}, name)

    at = len(outputs) - 1
    head = [
        event("response.created", response=response("in_progress", [], final=False)),
        event("response.in_progress", response=response("in_progress", [], final=False)),
    ]
    if usage.reasoning:
        head.append(event("response.output_item.added", output_index=0, item=reasoning_item))
        head.append(event("response.output_item.done", output_index=0, item=reasoning_item))
    if tool:
        opened = {**answer, "arguments": "", "status": "in_progress"}
        where = {"item_id": answer["id"], "output_index": at}
        head.append(event("response.output_item.added", output_index=at, item=opened))
        deltas = [event("response.function_call_arguments.delta", delta=p, **where) for p in reply.pieces]
        closing = [event("response.function_call_arguments.done", arguments=reply.text, **where)]
    else:
        part = answer["content"][0]
        where = {"item_id": answer["id"], "output_index": at, "content_index": 0}
        head.append(
            event(
                "response.output_item.added", output_index=at, item={**answer, "status": "in_progress", "content": []}
            )
        )
        head.append(event("response.content_part.added", part={**part, "text": ""}, **where))
        deltas = [event("response.output_text.delta", delta=p, logprobs=[], **where) for p in reply.pieces]
        closing = [
            event("response.output_text.done", text=reply.text, logprobs=[], **where),
            event("response.content_part.done", part=part, **where),
        ]
    tail = [
        *closing,
        event("response.output_item.done", output_index=at, item=answer),
        event(f"response.{status}", response=response(status, outputs, final=True)),
    ]
    message = ex.script.error_message or "The server had an error while processing your request."
    error_fields = {"code": "server_error", "message": message, "param": None}
    error_seq = len(head) + (ex.script.fail_mid_stream or 0)
    err = Event({"type": "error", "sequence_number": error_seq, **error_fields}, "error")
    return stream_of(ex.script, head, deltas, tail, err, headers(ex))
