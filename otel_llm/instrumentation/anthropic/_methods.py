"""The table of wrapped anthropic methods: one row each, so uninstrument can never forget one.

Bedrock's and Vertex's beta ``Messages`` classes copy the first-party functions at import
(``create = FirstPartyMessagesAPI.create``), so wrapping the first-party class does not reach
them: they get rows of their own. Their non-beta clients use the first-party classes directly.
A row whose module or method the installed SDK lacks is skipped by the core.
"""

from __future__ import annotations

from otel_llm.instrumentation._wrapping import Row, async_call, sync_call
from otel_llm.instrumentation.anthropic._handlers import MessageHandler, StreamHelperHandler

__all__ = ["ROWS"]

_MESSAGE = MessageHandler()
_STREAM_HELPER = StreamHelperHandler()

_MODULES = (
    "anthropic.resources.messages",
    "anthropic.resources.beta.messages",
    "anthropic.lib.bedrock._beta_messages",
    "anthropic.lib.vertex._beta_messages",
)

ROWS: tuple[Row, ...] = tuple(
    row
    for module in _MODULES
    for row in (
        Row(module, "Messages.create", sync_call(_MESSAGE)),
        Row(module, "AsyncMessages.create", async_call(_MESSAGE)),
        Row(module, "Messages.parse", sync_call(_MESSAGE)),
        Row(module, "AsyncMessages.parse", async_call(_MESSAGE)),
        # stream() is a plain function on both: it returns a manager and sends nothing yet.
        Row(module, "Messages.stream", sync_call(_STREAM_HELPER)),
        Row(module, "AsyncMessages.stream", sync_call(_STREAM_HELPER)),
    )
)
