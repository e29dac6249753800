"""The LiteLLM wrap table: the module functions every caller goes through, one row each.

``litellm.completion`` and its siblings live in ``litellm.main``; ``litellm`` exposes them, in
1.110 ``completion`` as a dispatcher of its own (``litellm.chat_completions.dispatch``) that
reaches ``litellm.main.completion``. Callers come both ways: the app as ``litellm.completion``
(or ``from litellm import completion``), the ``Router`` by looking the name up on ``litellm`` at
call time, and LiteLLM itself (``acompletion`` runs ``completion`` in a thread, ``text_completion``
calls ``completion``, ``num_retries`` re-calls it) through ``litellm.main``. So both modules'
names are wrapped; a call reached from inside one of our calls passes straight through
(``_wrapping``), so every path gives ONE span. A Router's retries and fallbacks are separate
calls of ``litellm.completion``/``acompletion``: one span each, the failed ones errors without
usage. LiteLLM's own ``num_retries`` retries inside the one span of the call.

Model and messages may be passed positionally (``completion("gpt-4o", messages)``): the row's
wrapper moves them into the keyword arguments the handler reads, and calls LiteLLM the same way.
"""

from __future__ import annotations

from typing import Any

from otel_llm import semconv
from otel_llm.instrumentation._lifecycle import Telemetry
from otel_llm.instrumentation._wrapping import Row, Wrapper, WrapperFactory, async_call, sync_call
from otel_llm.instrumentation.litellm._handlers import LiteLLMHandler

__all__ = ["ROWS"]


def _by_keyword(names: tuple[str, ...], factory: WrapperFactory) -> WrapperFactory:
    """``factory``'s wrapper, with the leading positional arguments given as the keywords ``names``."""

    def keyword_factory(telemetry: Telemetry) -> Wrapper:
        wrapper = factory(telemetry)

        def positional_to_keyword(wrapped: Any, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            if args and len(args) <= len(names) and not any(name in kwargs for name in names[: len(args)]):
                kwargs = {**dict(zip(names, args, strict=False)), **kwargs}
                args = ()
            return wrapper(wrapped, instance, args, kwargs)

        return positional_to_keyword

    return keyword_factory


_CHAT = ("model", "messages")
_EMBEDDING = ("model", "input")
_TEXT = ("model", "prompt")

_FUNCTIONS = (
    ("completion", _CHAT, sync_call(LiteLLMHandler(semconv.OP_CHAT))),
    ("acompletion", _CHAT, async_call(LiteLLMHandler(semconv.OP_CHAT, asynchronous=True))),
    ("embedding", _EMBEDDING, sync_call(LiteLLMHandler(semconv.OP_EMBEDDINGS))),
    ("aembedding", _EMBEDDING, async_call(LiteLLMHandler(semconv.OP_EMBEDDINGS, asynchronous=True))),
    ("text_completion", _TEXT, sync_call(LiteLLMHandler(semconv.OP_TEXT_COMPLETION))),
    ("atext_completion", _TEXT, async_call(LiteLLMHandler(semconv.OP_TEXT_COMPLETION, asynchronous=True))),
)

ROWS: tuple[Row, ...] = tuple(
    Row(module, name, _by_keyword(names, factory))
    for module in ("litellm.main", "litellm")
    for name, names, factory in _FUNCTIONS
)
