"""The snapshot builder, run as the real script on a tiny hand-written LiteLLM map, and the
bundled snapshot it produced."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import datetime, timezone
from decimal import Decimal as D
from importlib import resources
from pathlib import Path

import otel_llm.pricing
from otel_llm.pricing import PriceBook, snapshot_price_book
from otel_llm.pricing.snapshot import load_snapshot

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "build_price_snapshot.py"

TINY_MAP = {
    "sample_spec": {"input_cost_per_token": 0.0, "litellm_provider": "one of ...", "mode": "chat"},
    "gpt-4o": {
        "litellm_provider": "openai",
        "mode": "chat",
        "input_cost_per_token": 2.5e-06,
        "output_cost_per_token": 1e-05,
        "cache_read_input_token_cost": 1.25e-06,
        "input_cost_per_token_batches": 1.25e-06,
        "input_cost_per_token_priority": 4.25e-06,
        "max_input_tokens": 128000,
        "supports_vision": True,
    },
    "claude-sonnet-4-5": {
        "litellm_provider": "anthropic",
        "mode": "chat",
        "input_cost_per_token": 3e-06,
        "output_cost_per_token": 1.5e-05,
        "cache_creation_input_token_cost": 3.75e-06,
        "cache_creation_input_token_cost_above_1hr": 6e-06,
        "input_cost_per_token_above_200k_tokens": 6e-06,
        "output_cost_per_token_above_200k_tokens": 2.25e-05,
        "input_cost_per_token_above_200k_tokens_batches": 3e-06,
    },
    "azure/gpt-4o": {
        "litellm_provider": "azure",
        "mode": "chat",
        "input_cost_per_token": 2.5e-06,
        "output_cost_per_token": 1e-05,
    },
    "us.anthropic.claude-sonnet-4-5-v1:0": {
        "litellm_provider": "bedrock_converse",
        "mode": "chat",
        "input_cost_per_token": 3.3e-06,
        "output_cost_per_token": 1.65e-05,
    },
    "text-embedding-3-small": {
        "litellm_provider": "openai",
        "mode": "embedding",
        "input_cost_per_token": 2e-08,
        "output_cost_per_token": 0.0,
    },
    # Left out: not a text model, a provider we do not cover, an unpriced entry, a data-zone key,
    # a Bedrock vendor we do not cover.
    "dall-e-3": {"litellm_provider": "openai", "mode": "image_generation", "input_cost_per_token": 1e-06},
    "fireworks_ai/llama": {
        "litellm_provider": "fireworks_ai",
        "mode": "chat",
        "input_cost_per_token": 1e-07,
        "output_cost_per_token": 1e-07,
    },
    "gemini/gemini-exp": {
        "litellm_provider": "gemini",
        "mode": "chat",
        "input_cost_per_token": 0,
        "output_cost_per_token": 0,
    },
    "azure/us/gpt-4o": {
        "litellm_provider": "azure",
        "mode": "chat",
        "input_cost_per_token": 2.75e-06,
        "output_cost_per_token": 1.1e-05,
    },
    "ai21.jamba-1-5-large-v1:0": {
        "litellm_provider": "bedrock",
        "mode": "chat",
        "input_cost_per_token": 2e-06,
        "output_cost_per_token": 8e-06,
    },
    # Kept: Meta's (and Amazon's) models on Bedrock.
    "meta.llama3-8b-instruct-v1:0": {
        "litellm_provider": "bedrock",
        "mode": "chat",
        "input_cost_per_token": 3e-07,
        "output_cost_per_token": 6e-07,
        "max_input_tokens": "8k",  # not a count: no context window rather than a wrong one
    },
}


def _run(source: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(source), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def test_script_round_trip_on_a_tiny_map(tmp_path: Path) -> None:
    source = tmp_path / "tiny_prices.json"
    source.write_text(json.dumps(TINY_MAP), encoding="utf-8")
    out = tmp_path / "snapshot.json"

    result = _run(source, out)

    assert result.returncode == 0, result.stderr
    raw = json.loads(out.read_text(encoding="utf-8"))
    assert raw["unit"] == "USD per 1M tokens"
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    assert raw["source"] == {
        "maps": [{"version": "tiny_prices.json", "released": None, "sha256": digest}],
        "sha256": hashlib.sha256(digest.encode()).hexdigest(),
        "generated": datetime.now(timezone.utc).date().isoformat(),
    }
    by_key = {(p["provider"], p["model"]): p for p in raw["prices"]}
    assert set(by_key) == {
        ("openai", "gpt-4o"),
        ("anthropic", "claude-sonnet-4-5"),
        ("azure.ai.openai", "gpt-4o"),
        ("aws.bedrock", "us.anthropic.claude-sonnet-4-5-v1:0"),
        ("aws.bedrock", "meta.llama3-8b-instruct-v1:0"),
        ("openai", "text-embedding-3-small"),
    }
    # Compact: only priced fields, as decimal strings per 1M tokens.
    assert by_key[("openai", "gpt-4o")] == {
        "provider": "openai",
        "model": "gpt-4o",
        "input": "2.5",
        "output": "10",
        "cache_read": "1.25",
        "batch_input": "1.25",
        "priority_input": "4.25",
        "max_input_tokens": 128000,  # the context window, for the impossible-usage check
    }
    assert "max_input_tokens" not in by_key[("aws.bedrock", "meta.llama3-8b-instruct-v1:0")]
    assert by_key[("anthropic", "claude-sonnet-4-5")]["tiers"] == [
        {"threshold": 200000, "input": "6", "output": "22.5"},
        {"threshold": 200000, "service_tier": "batch", "input": "3"},
    ]
    assert by_key[("openai", "text-embedding-3-small")]["mode"] == "embedding"

    _, prices = load_snapshot(out.read_text(encoding="utf-8"))
    book = PriceBook(prices, version="t")
    claude = book.lookup("claude-sonnet-4-5-20250929", "anthropic")
    assert claude is not None
    assert (claude.input, claude.cache_write, claude.cache_write_1h) == (D("0.000003"), D("0.00000375"), D("0.000006"))
    assert book.lookup("us.anthropic.claude-sonnet-4-5-v1:0", "aws.bedrock").input == D("0.0000033")
    assert book.lookup("gemini-exp", "gcp.gemini") is None  # unpriced stays unknown, never $0


def test_script_fails_on_a_missing_source(tmp_path: Path) -> None:
    result = _run(tmp_path / "nope.json", tmp_path / "out.json")
    assert result.returncode != 0
    assert not (tmp_path / "out.json").exists()


def test_bundled_snapshot_is_small_and_names_its_source() -> None:
    snapshot = resources.files("otel_llm.pricing").joinpath("snapshot.json")
    text = snapshot.read_text(encoding="utf-8")
    source, prices = load_snapshot(text)

    assert len(text.encode()) < 400 * 1024
    assert len(source["sha256"]) == 64
    assert snapshot_price_book().version == "litellm-" + source["sha256"][:8]
    providers = {p.provider for p in prices}
    assert providers >= {
        "openai",
        "anthropic",
        "gcp.gemini",
        "gcp.vertex_ai",
        "mistral_ai",
        "cohere",
        "deepseek",
        "x_ai",
        "groq",
        "azure.ai.openai",
        "aws.bedrock",
    }
    assert {p.mode for p in prices} <= {"chat", "completion", "responses", "embedding"}
    assert all(p.input or p.output for p in prices)  # no all-zero price: that would be a silent $0


def test_entries_cover_the_whole_book() -> None:
    book = snapshot_price_book()
    entries = list(book.entries())
    slots = {(p.provider, p.model) for p in entries}
    assert len(slots) > 900
    assert len(entries) < 1.2 * len(slots)  # dated versions only where a list price changed
    assert entries == sorted(entries, key=lambda p: (p.provider, p.model.lower(), p.effective_from))


def test_public_surface() -> None:
    assert set(otel_llm.pricing.__all__) == {
        "Cost",
        "LongContextTier",
        "ModelPrice",
        "PriceBook",
        "PriceFile",
        "default_price_book",
        "load_price_file",
        "parse_price_data",
        "snapshot_price_book",
    }
    assert all(hasattr(otel_llm.pricing, name) for name in otel_llm.pricing.__all__)
