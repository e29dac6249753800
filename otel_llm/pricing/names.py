"""Turning the model and provider names an SDK reports into price-book keys.

The same model reaches us under many spellings: ``gpt-4o-2024-08-06`` (a dated snapshot),
``azure/gpt-4o`` (a router prefix), ``us.anthropic.claude-3-5-sonnet-20240620-v1:0`` (Bedrock:
region, vendor, version), ``claude-sonnet-4-5@20250929`` (Vertex), ``ft:gpt-4o-2024-08-06:acme::x``
(a fine-tune). :func:`candidates` lists, most specific first, every name a price may be filed
under, so the book tries an exact snapshot before falling back to its family, and never guesses
across families. The snapshot builder uses the same provider table, so keys and lookups agree.

What may be stripped is only what does not change the model: a date of the same model, the
aliases a provider documents (:data:`DOCUMENTED_ALIASES`), route and region prefixes, Bedrock's
vendor prefix and ``-v1:0`` version, Vertex's ``@`` version. Never a word of the name itself
(``-mini``, ``-lite``, ``-haiku``) and never a generation number. :func:`identity` is the name
with all of that removed, so the same model filed at two hosts (``claude-3-5-haiku@20241022``
on Vertex, ``anthropic.claude-3-5-haiku-20241022-v1:0`` on Bedrock) meets under one key.
"""

from __future__ import annotations

import re

from otel_llm import semconv

__all__ = ["DOCUMENTED_ALIASES", "candidates", "canonical_provider", "identity", "maker", "split_route", "undated"]

# Aliases a provider documents as pointing at one dated model (Anthropic's models overview:
# "-latest" and "-0" aliases). Only these are resolved: a "-latest" elsewhere may be a model of
# its own (OpenAI's chatgpt-4o-latest is priced apart from gpt-4o). LiteLLM lists some of them
# with a stale price (claude-3-5-haiku-latest at the launch price $1/$5 while the dated model is
# $0.80/$4), so the snapshot builder drops them and the dated model's price applies.
DOCUMENTED_ALIASES: dict[str, str] = {
    "claude-3-haiku-latest": "claude-3-haiku-20240307",
    "claude-3-opus-latest": "claude-3-opus-20240229",
    "claude-3-5-sonnet-latest": "claude-3-5-sonnet-20241022",
    "claude-3-5-haiku-latest": "claude-3-5-haiku-20241022",
    "claude-3-7-sonnet-latest": "claude-3-7-sonnet-20250219",
    "claude-sonnet-4-0": "claude-sonnet-4-20250514",
    "claude-opus-4-0": "claude-opus-4-20250514",
    "claude-opus-4-1": "claude-opus-4-1-20250805",
}

# Who makes a model, by its name's first word: the first-party provider a lookup without a provider
# prefers. Used only when no provider lists the model's bare name (then that provider is the maker),
# e.g. a model only Bedrock and Vertex still list. Unknown makers give None.
_MAKERS: tuple[tuple[str, str], ...] = (
    ("claude", semconv.PROVIDER_ANTHROPIC),
    ("gpt-", semconv.PROVIDER_OPENAI),
    ("chatgpt-", semconv.PROVIDER_OPENAI),
    ("o1", semconv.PROVIDER_OPENAI),
    ("o3", semconv.PROVIDER_OPENAI),
    ("o4", semconv.PROVIDER_OPENAI),
    ("text-embedding-", semconv.PROVIDER_OPENAI),
    ("gemini-", semconv.PROVIDER_GCP_GEMINI),
    ("mistral-", semconv.PROVIDER_MISTRAL),
    ("codestral", semconv.PROVIDER_MISTRAL),
    ("pixtral", semconv.PROVIDER_MISTRAL),
    ("magistral", semconv.PROVIDER_MISTRAL),
    ("command", semconv.PROVIDER_COHERE),
    ("deepseek-", semconv.PROVIDER_DEEPSEEK),
    ("grok-", semconv.PROVIDER_XAI),
)

# Every spelling of a provider we meet (LiteLLM provider ids, router prefixes, gen_ai names)
# mapped to its ``gen_ai.provider.name`` value.
_PROVIDERS: dict[str, str] = {
    "openai": semconv.PROVIDER_OPENAI,
    "text-completion-openai": semconv.PROVIDER_OPENAI,
    "azure": semconv.PROVIDER_AZURE_OPENAI,
    "azure_text": semconv.PROVIDER_AZURE_OPENAI,
    "azure.ai.openai": semconv.PROVIDER_AZURE_OPENAI,
    "anthropic": semconv.PROVIDER_ANTHROPIC,
    "gemini": semconv.PROVIDER_GCP_GEMINI,
    "gcp.gemini": semconv.PROVIDER_GCP_GEMINI,
    "google": semconv.PROVIDER_GCP_GEMINI,
    "vertex_ai": semconv.PROVIDER_GCP_VERTEX_AI,
    "gcp.vertex_ai": semconv.PROVIDER_GCP_VERTEX_AI,
    "mistral": semconv.PROVIDER_MISTRAL,
    "mistral_ai": semconv.PROVIDER_MISTRAL,
    "codestral": semconv.PROVIDER_MISTRAL,
    "text-completion-codestral": semconv.PROVIDER_MISTRAL,
    "cohere": semconv.PROVIDER_COHERE,
    "cohere_chat": semconv.PROVIDER_COHERE,
    "deepseek": semconv.PROVIDER_DEEPSEEK,
    "xai": semconv.PROVIDER_XAI,
    "x_ai": semconv.PROVIDER_XAI,
    "groq": semconv.PROVIDER_GROQ,
    "bedrock": semconv.PROVIDER_AWS_BEDROCK,
    "bedrock_converse": semconv.PROVIDER_AWS_BEDROCK,
    "aws.bedrock": semconv.PROVIDER_AWS_BEDROCK,
}

# Bedrock cross-region inference profiles put a geography before the vendor: "us.", "eu.", ...
_BEDROCK_REGION = re.compile(r"^(?:us|eu|apac|ap|au|jp|ca|us-gov|global)\.(?=[a-z0-9-]+\.)")
_BEDROCK_VENDOR = re.compile(r"^(?:anthropic|mistral|cohere|deepseek|openai|meta|amazon|xai|google)\.")
# "-v1:0", "-v2:0", "-v1" after a date or version number; never ":1" alone (claude-v2:1 is
# Claude 2.1, not Claude 2) and never "-v1" after a word (that is part of the name).
_BEDROCK_VERSION = re.compile(r"(?<=\d)-v\d+(?::\d+)?$")
_VERTEX_DATE = re.compile(r"@(\d{8})$")
# Dated snapshots: "-2024-08-06", "-20250929", Vertex's "@20250929" / "@001" / "@default".
_DATE_SUFFIX = re.compile(r"(?:-\d{4}-\d{2}-\d{2}|-\d{8}|@[\w.-]+)$")


def canonical_provider(provider: str | None) -> str | None:
    """The ``gen_ai.provider.name`` for any known spelling; unknown spellings pass through."""
    if not provider:
        return None
    lowered = provider.lower()
    if lowered in _PROVIDERS:
        return _PROVIDERS[lowered]
    if lowered.startswith("vertex_ai"):  # LiteLLM's "vertex_ai-anthropic_models" and kin
        return semconv.PROVIDER_GCP_VERTEX_AI
    return lowered


def split_route(name: str) -> tuple[str | None, str]:
    """``"azure/gpt-4o"`` -> ``("azure.ai.openai", "gpt-4o")``: the first segment names a provider.

    Only the first segment is a route (``groq/openai/gpt-oss-20b`` is Groq's ``openai/gpt-oss-20b``,
    and lookups try the whole name first for exactly that reason). Google's ``models/`` resource
    prefix is dropped and names no provider.
    """
    head, sep, rest = name.partition("/")
    if not sep or not head or not rest:
        return None, name
    if head == "models":
        return None, rest
    return canonical_provider(head), rest


def undated(name: str) -> str:
    """``gpt-4o-2024-08-06`` -> ``gpt-4o``; a name without a date suffix is returned unchanged."""
    return _DATE_SUFFIX.sub("", name)


def _bedrock_forms(name: str) -> list[str]:
    """Bedrock ids from most to least specific: region profile, vendor id, bare versioned, bare."""
    forms: list[str] = []
    without_region = _BEDROCK_REGION.sub("", name)
    forms.append(without_region)
    bare = _BEDROCK_VENDOR.sub("", without_region)
    if bare != without_region:
        forms.append(bare)
        forms.append(_BEDROCK_VERSION.sub("", bare))
    return forms


def maker(name: str) -> str | None:
    """The first-party provider of the model ``name`` (an :func:`identity`), from its name; None
    when the name says nothing (``llama-3``: many hosts, no maker selling it)."""
    return next((provider for prefix, provider in _MAKERS if name.startswith(prefix)), None)


def identity(name: str) -> str:
    """The host-neutral name of a model: what Anthropic, Bedrock and Vertex (or OpenAI and Azure)
    each file the same model under. ``name`` must be lower-cased and without a route prefix."""
    bare = _BEDROCK_VENDOR.sub("", _BEDROCK_REGION.sub("", name))
    if bare != name:
        bare = _BEDROCK_VERSION.sub("", bare)
    bare = _VERTEX_DATE.sub(r"-\1", bare)
    if "@" in bare:  # Vertex's "@001", "@default": a version of the same model
        bare = bare.partition("@")[0]
    return DOCUMENTED_ALIASES.get(bare, bare)


def candidates(model: str) -> list[tuple[str | None, str]]:
    """Every (provider hint, name) a price for ``model`` may be filed under, best first.

    ``model`` must already be lower-cased. The provider hint comes from a route prefix
    (``azure/``, ``bedrock/``...) and is None when the name itself says nothing about it.
    """
    hint, name = split_route(model)
    name = DOCUMENTED_ALIASES.get(name, name)
    names = [name]
    if name.startswith("ft:"):  # ft:<base>:<org>:<suffix>:<id> is priced by its base
        names.append(":".join(name.split(":")[:2]))
    names.extend(_bedrock_forms(name))
    families = [undated(n) for n in names]
    # The name as given comes first even when it starts like a route: Groq's model id is
    # literally "openai/gpt-oss-20b", and Google's "models/" prefix is only stripped after it.
    out: list[tuple[str | None, str]] = [(None, model)]
    seen = {model}
    for n in [*names, *families]:
        if n and n not in seen:
            seen.add(n)
            out.append((hint, n))
    return out
