"""Build otel_llm/pricing/snapshot.json from a LiteLLM-format price map.

Usage: python scripts/build_price_snapshot.py PATH/TO/model_prices.json [--out FILE]

The snapshot keeps the text, chat, completion, responses and embedding models of the providers
our instrumentation prices (OpenAI, Anthropic, Google Gemini and Vertex AI, Mistral, Cohere,
DeepSeek, xAI, Groq) plus their Azure and Bedrock variants. It records the source file's name,
SHA-256 and the generation date, so ``PriceBook.version`` names exactly which prices were used.
Run it again with a newer map (LiteLLM ships one as model_prices_and_context_window_backup.json)
to refresh the prices; the script never reaches the network.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from otel_llm.pricing import PriceBook
from otel_llm.pricing.litellm import litellm_prices
from otel_llm.pricing.snapshot import dump_snapshot, load_snapshot

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "otel_llm" / "pricing" / "snapshot.json"

_MODES = frozenset({"chat", "completion", "responses", "embedding"})
_PROVIDERS = frozenset(
    {
        "openai",
        "text-completion-openai",
        "azure",
        "azure_text",
        "anthropic",
        "gemini",
        "mistral",
        "codestral",
        "text-completion-codestral",
        "cohere",
        "cohere_chat",
        "deepseek",
        "xai",
        "groq",
        "bedrock",
        "bedrock_converse",
    }
)
_VERTEX_FAMILIES = frozenset(
    {
        "vertex_ai",
        "vertex_ai-language-models",
        "vertex_ai-embedding-models",
        "vertex_ai-text-models",
        "vertex_ai-anthropic_models",
        "vertex_ai-mistral_models",
        "vertex_ai-deepseek_models",
        "vertex_ai-openai_models",
    }
)
# "azure/gpt-4o" and "anthropic.claude-..." are the names SDKs report; deeper keys are not.
_MAX_ROUTE_DEPTH = {"azure": 1, "azure_text": 1, "bedrock": 0, "bedrock_converse": 0}
# Bedrock lists every vendor it hosts; keep the vendors above (optionally behind a region profile).
_BEDROCK_VENDORS = re.compile(r"^(?:[a-z-]+\.)?(?:anthropic|mistral|cohere|deepseek|openai|xai|google)\.")


def keep(key: str, entry: Mapping[str, Any]) -> bool:
    """Whether a map entry belongs in the snapshot.

    Azure data-zone (``azure/us/...``) and Bedrock per-region or commitment keys
    (``bedrock/us-east-1/...``) are left out: no SDK reports those names, so they are never hit.
    """
    provider = str(entry.get("litellm_provider") or "")
    if entry.get("mode") not in _MODES:
        return False
    if provider not in _PROVIDERS and provider not in _VERTEX_FAMILIES:
        return False
    if key.count("/") > _MAX_ROUTE_DEPTH.get(provider, 99):
        return False
    return not provider.startswith("bedrock") or bool(_BEDROCK_VENDORS.match(key.lower()))


def unreachable(data: Mapping[str, Any], book: PriceBook) -> list[str]:
    """Kept map keys that a lookup by that very key (and its provider) does not price the same.

    The snapshot renames keys (route prefixes go, providers become gen_ai names); this proves
    every one is still found through the runtime's own normalization, with the same prices.
    """
    wrong = []
    for key in sorted(data):
        entry = data[key]
        if not isinstance(entry, Mapping) or not keep(key, entry):
            continue
        want = next(litellm_prices({key: entry}), None)
        if want is None:  # an unpriced (0/0) entry: left out on purpose
            continue
        got = book.lookup(key, str(entry.get("litellm_provider")))
        if got is None or (got.input, got.output) != (want.input, want.output):
            wrong.append(key)
    return wrong


def build(source: Path, out: Path) -> tuple[Counter[str], list[str]]:
    raw = source.read_bytes()
    data = json.loads(raw)
    prices = list(litellm_prices(data, select=keep))
    meta = {
        "name": source.name,
        "sha256": hashlib.sha256(raw).hexdigest(),
        "generated": datetime.now(timezone.utc).date().isoformat(),
    }
    out.write_text(dump_snapshot(prices, meta), encoding="utf-8")
    _, written = load_snapshot(out.read_text(encoding="utf-8"))
    book = PriceBook(written, version="check")
    return Counter(p.provider for p in prices), unreachable(data, book)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="a LiteLLM-format model price map (JSON)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="snapshot to write")
    args = parser.parse_args(argv)
    counts, wrong = build(args.source, args.out)
    size = args.out.stat().st_size
    print(f"wrote {args.out} ({sum(counts.values())} prices, {size / 1024:.0f} KiB)")
    for provider, n in sorted(counts.items()):
        print(f"  {provider:18} {n}")
    for key in wrong:
        print(f"NOT FOUND by its own key (or priced differently): {key}", file=sys.stderr)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
