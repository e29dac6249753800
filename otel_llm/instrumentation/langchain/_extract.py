"""Pure readers of what LangChain reports: usage, provider, response, and the workflow's name.

LangChain normalizes usage across providers (``AIMessage.usage_metadata``): ``input_tokens`` is
the sum of every input token type (cache reads and writes included, even for Anthropic, whose
own ``input_tokens`` exclude them), ``output_tokens`` includes reasoning; the details split them
out (``input_token_details.cache_read`` / ``cache_creation``, and for Anthropic's TTLs
``ephemeral_5m_input_tokens`` / ``ephemeral_1h_input_tokens``, in which case ``cache_creation``
is 0; ``output_token_details.reasoning``). That is our own meaning of the counts, so they map
one to one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from otel_llm import semconv
from otel_llm.usage import Usage, openai_usage, read_counts

__all__ = ["add_usage", "provider_name", "response_attributes", "usage_of", "workflow_name"]

# LangChain's ``ls_provider`` (what each integration's ``_get_ls_params`` reports) -> gen_ai.provider.name.
_PROVIDERS = {
    "openai": semconv.PROVIDER_OPENAI,
    "azure": semconv.PROVIDER_AZURE_OPENAI,
    "anthropic": semconv.PROVIDER_ANTHROPIC,
    "amazon_bedrock": semconv.PROVIDER_AWS_BEDROCK,
    "bedrock": semconv.PROVIDER_AWS_BEDROCK,
    "bedrock_converse": semconv.PROVIDER_AWS_BEDROCK,
    "google_genai": semconv.PROVIDER_GCP_GEMINI,
    "google_vertexai": semconv.PROVIDER_GCP_VERTEX_AI,
    "mistral": semconv.PROVIDER_MISTRAL,
    "mistralai": semconv.PROVIDER_MISTRAL,
    "groq": semconv.PROVIDER_GROQ,
    "cohere": semconv.PROVIDER_COHERE,
    "deepseek": semconv.PROVIDER_DEEPSEEK,
    "xai": semconv.PROVIDER_XAI,
    "together": semconv.PROVIDER_TOGETHER,
    "openrouter": semconv.PROVIDER_OPENROUTER,
}
_CACHE_WRITE_KEYS = ("cache_creation", "ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens")


def provider_name(ls_provider: object) -> str:
    """The provider as the GenAI semconv names it; a provider we do not know keeps LangChain's name
    (its calls are then flagged unpriced unless the model's price is known there)."""
    if not isinstance(ls_provider, str) or not ls_provider:
        return semconv.PROVIDER_UNKNOWN
    return _PROVIDERS.get(ls_provider, ls_provider)


def _details(usage: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    details = usage.get(key)
    return details if isinstance(details, Mapping) else {}


def usage_of(usage_metadata: object) -> Usage | None:
    """Our :class:`Usage` from a message's ``usage_metadata``; None when it reports none."""
    if not isinstance(usage_metadata, Mapping):
        return None
    inputs = _details(usage_metadata, "input_token_details")
    outputs = _details(usage_metadata, "output_token_details")
    writes, write_malformed = read_counts(*(inputs.get(key) for key in _CACHE_WRITE_KEYS))
    (write_1h,), malformed_1h = read_counts(inputs.get("ephemeral_1h_input_tokens"))
    usage = openai_usage(
        usage_metadata.get("input_tokens"),
        usage_metadata.get("output_tokens"),
        cached_tokens=inputs.get("cache_read") or 0,
        reasoning_tokens=outputs.get("reasoning") or 0,
        input_audio_tokens=inputs.get("audio") or 0,
        output_audio_tokens=outputs.get("audio") or 0,
        cache_write_tokens=sum(count or 0 for count in writes),
    )
    if write_1h or write_malformed or malformed_1h:
        usage = replace(
            usage, cache_write_1h_tokens=write_1h or 0, malformed=usage.malformed or write_malformed or malformed_1h
        )
    return None if usage.is_empty else usage


def add_usage(total: Mapping[str, Any] | None, more: object) -> Mapping[str, Any] | None:
    """Streamed chunks carry usage deltas that LangChain adds up: the same sum, key by key."""
    if not isinstance(more, Mapping):
        return total
    if total is None:
        return dict(more)
    summed = dict(total)
    for key, value in more.items():
        if isinstance(value, Mapping):
            summed[key] = add_usage(_as_mapping(summed.get(key)), value)
        elif isinstance(value, int) and isinstance(summed.get(key), int):
            summed[key] = summed[key] + value
        elif key not in summed or summed[key] is None:
            summed[key] = value
    return summed


def _as_mapping(value: object) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None


def response_attributes(response_metadata: object, message_id: object = None) -> dict[str, Any]:
    """``gen_ai.response.*`` from an AI message's ``response_metadata`` (each integration names
    the model ``model_name`` or ``model``, the finish reason ``finish_reason`` or ``stop_reason``)."""
    if not isinstance(response_metadata, Mapping):
        return {}
    attrs: dict[str, Any] = {}
    model = response_metadata.get("model_name") or response_metadata.get("model")
    if isinstance(model, str) and model:
        attrs[semconv.GEN_AI_RESPONSE_MODEL] = model
    reason = response_metadata.get("finish_reason") or response_metadata.get("stop_reason")
    if isinstance(reason, str) and reason:
        attrs[semconv.GEN_AI_RESPONSE_FINISH_REASONS] = (reason,)
    response_id = response_metadata.get("id") or message_id
    if isinstance(response_id, str) and response_id and not response_id.startswith("lc_run-"):
        attrs[semconv.GEN_AI_RESPONSE_ID] = response_id
    return attrs


def workflow_name(graph: str | None, chain: str | None, metadata: Mapping[str, Any] | None) -> str | None:
    """The readable name of the work a model call does, most specific first:

    - inside a LangGraph node: ``"{graph}.{node}"``: the outermost running graph's name
      (``"LangGraph"`` unless compiled or run with a name; ``create_agent(name="researcher")`` ->
      ``researcher.model``) and the node path, read from ``langgraph_checkpoint_ns`` (segments
      ``node:task_id`` joined by ``|``), so a subgraph's node reads ``blog.research.search``;
    - else the innermost LangChain chain given a name (``.with_config(run_name=...)`` or ``name=``);
    - else None: the call carries no workflow.
    """
    node = metadata.get("langgraph_node") if metadata else None
    if not isinstance(node, str) or not node:
        return chain
    namespace = metadata.get("langgraph_checkpoint_ns") if metadata else None
    if isinstance(namespace, str) and namespace:
        node = ".".join(segment.split(":", 1)[0] for segment in namespace.split("|") if segment) or node
    return f"{graph}.{node}" if graph else node
