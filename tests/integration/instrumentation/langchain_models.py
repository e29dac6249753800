"""A LangChain chat model built on no SDK that otel-llm wraps: it posts to an OpenAI-compatible
endpoint with httpx itself, as many in-house and community integrations do (imported by name,
holds no tests)."""

from __future__ import annotations

from typing import Any

import httpx
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.base import LangSmithParams
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

_ROLES = {"human": "user", "ai": "assistant", "system": "system"}


class HttpChatModel(BaseChatModel):
    """``ls_provider`` names the provider, as LangChain asks every integration to."""

    base_url: str
    model: str
    provider: str = "openai"

    @property
    def _llm_type(self) -> str:
        return "http-chat"

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        return LangSmithParams(ls_provider=self.provider, ls_model_name=self.model, ls_model_type="chat")

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        body = {"model": self.model, "messages": [{"role": _ROLES[m.type], "content": m.content} for m in messages]}
        response = httpx.post(f"{self.base_url}/chat/completions", json=body, headers={"authorization": "Bearer k"})
        response.raise_for_status()
        data = response.json()
        usage = data["usage"]
        message = AIMessage(
            content=data["choices"][0]["message"]["content"],
            response_metadata={"model_name": data["model"], "finish_reason": data["choices"][0]["finish_reason"]},
            usage_metadata={
                "input_tokens": usage["prompt_tokens"],
                "output_tokens": usage["completion_tokens"],
                "total_tokens": usage["total_tokens"],
                "input_token_details": {"cache_read": usage["prompt_tokens_details"]["cached_tokens"]},
                "output_token_details": {"reasoning": usage["completion_tokens_details"]["reasoning_tokens"]},
            },
        )
        return ChatResult(generations=[ChatGeneration(message=message)])
