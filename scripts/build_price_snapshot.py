"""Build otel_llm/pricing/snapshot.json from LiteLLM price maps: a price history, newest first.

Usage: python scripts/build_price_snapshot.py MAP_OR_WHEEL [MAP_OR_WHEEL...] [--out FILE]

Each input is a LiteLLM-format map (JSON) or a LiteLLM wheel (its map is read from
litellm/model_prices_and_context_window_backup.json inside), newest first. A model a newer map
dropped keeps its last known price; a price that changed keeps both, the newer one in force from
the release date of the map that first listed it (see otel_llm/pricing/history.py). Release
dates come from scripts/price_sources.json (PyPI's upload time of each release's wheels), which
recognises a map by its SHA-256; a map not listed there may be given as PATH=YYYY-MM-DD.
scripts/price_corrections.json then replaces the prices a provider's own page contradicts and no
newer map fixes (each with the page it was checked against); a correction for a model no input
lists does nothing.

The snapshot keeps the text, chat, completion, responses and embedding models of the providers
our instrumentation prices (OpenAI, Anthropic, Google Gemini and Vertex AI, Mistral, Cohere,
DeepSeek, xAI, Groq) plus their Azure and Bedrock variants, and Amazon's and Meta's models on
Bedrock, each with its context window (max_input_tokens, for the impossible-usage check). It
records the source file's name, SHA-256 and the generation date, so ``PriceBook.version`` names
exactly which prices were used.
Run it again with a newer map (LiteLLM ships one as model_prices_and_context_window_backup.json)
to refresh the prices; the script never reaches the network.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import re
import sys
import zipfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from otel_llm.pricing import ModelPrice, PriceBook, load_price_file
from otel_llm.pricing.history import merge_history
from otel_llm.pricing.litellm import litellm_prices
from otel_llm.pricing.names import DOCUMENTED_ALIASES, split_route
from otel_llm.pricing.snapshot import dump_snapshot, load_snapshot

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE.parent / "otel_llm" / "pricing" / "snapshot.json"
DEFAULT_SOURCES = HERE / "price_sources.json"
DEFAULT_CORRECTIONS = HERE / "price_corrections.json"
_WHEEL_MAP = "litellm/model_prices_and_context_window_backup.json"

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
# Bedrock lists every vendor it hosts; keep the vendors above plus Amazon's and Meta's own models
# (Nova, Titan, Llama: the bedrock instrumentor prices them), optionally behind a region profile.
_BEDROCK_VENDORS = re.compile(r"^(?:[a-z-]+\.)?(?:anthropic|mistral|cohere|deepseek|openai|xai|google|amazon|meta)\.")


def keep(key: str, entry: Mapping[str, Any]) -> bool:
    """Whether a map entry belongs in the snapshot.

    Azure data-zone (``azure/us/...``) and Bedrock per-region or commitment keys
    (``bedrock/us-east-1/...``) are left out: no SDK reports those names, so they are never hit.
    So are the aliases a provider documents (``claude-3-5-haiku-latest``): the lookup resolves
    them to the dated model, whose price is the one the provider charges.
    """
    if split_route(key.lower())[1] in DOCUMENTED_ALIASES:
        return False
    provider = str(entry.get("litellm_provider") or "")
    if entry.get("mode") not in _MODES:
        return False
    if provider not in _PROVIDERS and provider not in _VERTEX_FAMILIES:
        return False
    if key.count("/") > _MAX_ROUTE_DEPTH.get(provider, 99):
        return False
    return not provider.startswith("bedrock") or bool(_BEDROCK_VENDORS.match(key.lower()))


@dataclass(frozen=True)
class PriceMap:
    """One input: the parsed map, where it came from, and the date its prices took effect."""

    data: Mapping[str, Any]
    sha256: str
    version: str
    released: date | None


def _map_bytes(path: Path) -> bytes:
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as wheel:
            return wheel.read(_WHEEL_MAP)
    return path.read_bytes()


def read_map(arg: str, sources: Mapping[str, Mapping[str, str]]) -> PriceMap:
    """``PATH`` (dated by the sources file) or ``PATH=YYYY-MM-DD``; a wheel or a JSON map."""
    path_text, _, given = arg.partition("=")
    raw = _map_bytes(Path(path_text))
    digest = hashlib.sha256(raw).hexdigest()
    listed = sources.get(digest, {})
    released_text = given or listed.get("released", "")
    released = date.fromisoformat(released_text[:10]) if released_text else None
    return PriceMap(json.loads(raw), digest, listed.get("version", Path(path_text).name), released)


def load_sources(path: Path) -> dict[str, Mapping[str, str]]:
    if not path.exists():
        return {}
    releases = json.loads(path.read_text(encoding="utf-8"))["releases"]
    return {r["map_sha256"]: r for r in releases}


def unreachable(maps: Sequence[PriceMap], book: PriceBook) -> list[str]:
    """Kept map keys that a lookup by that very key (and its provider) does not price as the
    newest map listing the key does, at that map's provider and model.

    The snapshot renames keys (route prefixes go, providers become gen_ai names); this proves
    every one is still found through the runtime's own normalization, with its last known price,
    and never through another host or another model.
    """
    wrong, seen = [], set()
    for price_map in maps:
        for key in sorted(price_map.data):
            entry = price_map.data[key]
            if not isinstance(entry, Mapping) or not keep(key, entry):
                continue
            want = next(litellm_prices({key: entry}), None)
            if want is None or (want.provider, want.model) in seen:  # unpriced, or a newer map's
                continue
            got = book.lookup(key, str(entry.get("litellm_provider")))
            same_slot = got is not None and (got.provider, got.model) == (want.provider, want.model)
            if same_slot and any(w == 0 and g for w, g in ((want.input, got.input), (want.output, got.output))):
                continue  # a zeroed listing: the history keeps the last real price on purpose
            if not same_slot or (got.input, got.output) != (want.input, want.output):
                wrong.append(f"{price_map.version}: {key}")
        seen.update((p.provider, p.model) for p in litellm_prices(price_map.data, select=keep))
    return wrong


def corrected(history: list[ModelPrice], corrections: Path | None) -> list[ModelPrice]:
    """Every version of a corrected model with the checked prices in place of the map's."""
    if corrections is None:
        return history
    fixes = {(o.provider, o.model): o.values for o in load_price_file(corrections).overrides}
    return [
        dataclasses.replace(p, **fixes[(p.provider, p.model)]) if (p.provider, p.model) in fixes else p for p in history
    ]


def build(maps: Sequence[PriceMap], out: Path, corrections: Path | None = None) -> tuple[Counter[str], list[str]]:
    merged = merge_history([(m.released, litellm_prices(m.data, select=keep)) for m in maps])
    history = corrected(merged, corrections)
    combined = hashlib.sha256("".join(m.sha256 for m in maps).encode()).hexdigest()
    meta = {
        "maps": [
            {"version": m.version, "released": m.released.isoformat() if m.released else None, "sha256": m.sha256}
            for m in maps
        ],
        "sha256": combined,
        "generated": datetime.now(timezone.utc).date().isoformat(),
    }
    out.write_text(dump_snapshot(history, meta), encoding="utf-8")
    _, written = load_snapshot(out.read_text(encoding="utf-8"))
    book = PriceBook(written, version="check")
    return Counter(f"{p.provider} ({p.source})" for p in history), unreachable(maps, book)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("maps", nargs="+", help="LiteLLM maps or wheels, newest first (PATH or PATH=YYYY-MM-DD)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="snapshot to write")
    parser.add_argument("--sources", type=Path, default=DEFAULT_SOURCES, help="release dates of known maps")
    parser.add_argument(
        "--corrections",
        type=Path,
        default=DEFAULT_CORRECTIONS,
        help="checked prices laid over the maps' (an OTEL_LLM_PRICES-format file; 'none' for none)",
    )
    args = parser.parse_args(argv)
    try:
        sources = load_sources(args.sources)
        maps = [read_map(arg, sources) for arg in args.maps]
        corrections = None if str(args.corrections) == "none" else args.corrections
        counts, wrong = build(maps, args.out, corrections)
    except (OSError, KeyError, ValueError) as exc:
        hint = " (write PATH=YYYY-MM-DD, or list the map in scripts/price_sources.json)" if "date" in str(exc) else ""
        print(f"build_price_snapshot: {exc}{hint}", file=sys.stderr)
        return 2
    size = args.out.stat().st_size
    print(f"wrote {args.out} ({sum(counts.values())} prices, {size / 1024:.0f} KiB)")
    for provider, n in sorted(counts.items()):
        print(f"  {provider:30} {n}")
    for key in wrong:
        print(f"NOT FOUND by its own key (or priced differently): {key}", file=sys.stderr)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
