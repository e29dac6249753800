"""The user's price file (OTEL_LLM_PRICES): YAML or JSON, per-1k or per-1M, beating the snapshot."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from otel_llm import semconv
from otel_llm.pricing import (
    PriceBook,
    default_price_book,
    load_price_file,
    parse_price_data,
    snapshot_price_book,
)
from otel_llm.usage import Usage, openai_usage

YAML_FILE = """\
aliases:
  Prod-GPT4o: gpt-4o
models:
  gpt-4o:
    input_cost_per_1m: 2.0
    output_cost_per_1m: 8
  acme-llm:
    provider: openai
    input_cost_per_1k: 0.003
    output_cost_per_1k: "0.006"
    cache_read_cost_per_1m: 0.75
"""


@pytest.fixture
def snapshot() -> PriceBook:
    return snapshot_price_book()


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_per_1m_and_per_1k_beat_the_snapshot(tmp_path: Path, snapshot: PriceBook) -> None:
    path = _write(tmp_path, "prices.yaml", YAML_FILE)
    book = snapshot.with_overrides(load_price_file(path))

    gpt4o = book.lookup("gpt-4o", "openai")
    assert gpt4o is not None
    assert (gpt4o.input, gpt4o.output) == (D("0.000002"), D("0.000008"))
    assert gpt4o.cache_read == D("0.00000125")  # not listed in the file: the snapshot's value stays
    azure = book.lookup("gpt-4o", "azure.ai.openai")
    assert azure is not None and azure.input == D("0.000002")  # no provider given: every provider
    assert book.lookup("prod-gpt4o", "azure.ai.openai") == azure

    cost = book.cost(openai_usage(1000, 500, cached_tokens=400), "acme-llm", "openai")
    assert cost is not None
    assert cost.input_usd == 600 * D("0.000003") == D("0.0018")
    assert cost.cache_read_usd == 400 * D("0.00000075") == D("0.0003")
    assert cost.output_usd == 500 * D("0.000006") == D("0.003")

    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    assert book.version == f"{snapshot.version}+overrides-{sha[:8]}"
    assert snapshot.lookup("gpt-4o", "openai").input == D("0.0000025")  # the snapshot book is untouched


def test_a_family_entry_covers_its_dated_snapshots_unless_they_are_named(snapshot: PriceBook) -> None:
    data = {
        "models": {
            "gpt-4o": {"input_cost_per_1m": 2},
            "gpt-4o-2024-05-13": {"provider": "openai", "input_cost_per_1m": 4},
        }
    }
    book = snapshot.with_overrides(parse_price_data(data))
    usage = Usage(input_tokens=1_000_000, output_tokens=0)

    dated = book.cost(usage, "gpt-4o", "openai", response_model="gpt-4o-2024-08-06")
    named = book.cost(usage, "gpt-4o", "openai", response_model="gpt-4o-2024-05-13")
    other_family = book.cost(usage, "gpt-4o-mini", "openai", response_model="gpt-4o-mini-2024-07-18")

    assert dated is not None and (dated.model_key, dated.total_usd) == ("gpt-4o-2024-08-06", D("2"))
    assert named is not None and named.total_usd == D("4")
    assert other_family is not None and other_family.total_usd == D("0.15")  # the snapshot's $0.15/M
    assert book.lookup("gpt-4o-2024-08-06", "azure.ai.openai").input == D("0.000002")


def test_json_file_same_format(tmp_path: Path, snapshot: PriceBook) -> None:
    data = {
        "models": {
            "claude-sonnet-4-5": {"provider": "anthropic", "cache_write_1h_cost_per_1m": 5, "input_cost_per_1k": 0.0025}
        }
    }
    book = snapshot.with_overrides(load_price_file(_write(tmp_path, "p.json", json.dumps(data))))

    price = book.lookup("claude-sonnet-4-5", "anthropic")
    assert price is not None
    assert (price.input, price.cache_write_1h, price.output) == (D("0.0000025"), D("0.000005"), D("0.000015"))
    dated = book.lookup("claude-sonnet-4-5-20250929", "anthropic")
    assert dated is not None and dated.input == D("0.0000025")
    vertex = book.lookup("claude-sonnet-4-5", "gcp.vertex_ai")
    assert vertex is not None and vertex.input == D("0.000003")  # the entry named its provider


def test_models_may_sit_at_the_top_level(snapshot: PriceBook) -> None:
    book = snapshot.with_overrides(parse_price_data({"my-model": {"input_cost_per_1m": 1, "output_cost_per_1m": 0}}))
    cost = book.cost(Usage(input_tokens=1_000_000, output_tokens=5), "my-model", "openai")
    assert cost is not None and cost.total_usd == D("1")


def test_effective_from_adds_a_dated_version(snapshot: PriceBook) -> None:
    data = {"models": {"gpt-4o": {"provider": "openai", "input_cost_per_1m": 1, "effective_from": "2030-01-01"}}}
    book = snapshot.with_overrides(parse_price_data(data))

    assert book.lookup("gpt-4o", "openai", at=date(2029, 12, 31)).input == D("0.0000025")
    assert book.lookup("gpt-4o", "openai", at=date(2030, 1, 1)).input == D("0.000001")
    versions = [p for p in book.entries() if (p.provider, p.model) == ("openai", "gpt-4o")]
    assert [p.effective_from for p in versions] == [date(1970, 1, 1), date(2030, 1, 1)]
    assert versions[1].output == versions[0].output  # unlisted prices carried into the new version


def test_a_litellm_format_file_is_recognised(tmp_path: Path, snapshot: PriceBook) -> None:
    litellm = {
        "acme/acme-9": {
            "litellm_provider": "acme",
            "mode": "chat",
            "input_cost_per_token": 1e-06,
            "output_cost_per_token": 2e-06,
        },
        "gpt-4o": {"litellm_provider": "openai", "input_cost_per_token": 5e-06, "output_cost_per_token": 2e-05},
    }
    book = snapshot.with_overrides(load_price_file(_write(tmp_path, "map.json", json.dumps(litellm))))

    assert book.lookup("acme-9", "acme").input == D("0.000001")
    assert book.lookup("gpt-4o", "openai").input == D("0.000005")


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("typo.yaml", "models:\n  gpt-4o:\n    input_cost_per_1M: 2\n", "unknown key"),
        ("neg.yaml", "models:\n  gpt-4o:\n    input_cost_per_1m: -2\n", "not a price"),
        ("nan.json", '{"models": {"gpt-4o": {"input_cost_per_1m": "cheap"}}}', "not a number"),
        ("broken.yaml", "models: [unclosed\n", "invalid YAML"),
        ("broken.json", "{not json", "Expecting"),
        ("date.yaml", "models:\n  m:\n    input_cost_per_1m: 1\n    effective_from: soon\n", "YYYY-MM-DD"),
        ("empty.yaml", "models:\n  m: {provider: openai}\n", "no prices"),
        ("list.yaml", "- gpt-4o\n", "expected a mapping"),
    ],
)
def test_bad_files_are_rejected_with_the_reason(tmp_path: Path, name: str, text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        load_price_file(_write(tmp_path, name, text))


def test_default_book_applies_the_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, "prices.yaml", YAML_FILE)
    monkeypatch.setenv(semconv.ENV_PRICES, str(path))

    book = default_price_book()

    assert book is default_price_book()  # built once
    assert "+overrides-" in book.version
    assert book.lookup("gpt-4o", "openai").input == D("0.000002")


def test_default_book_without_env_is_the_snapshot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(semconv.ENV_PRICES, raising=False)
    book = default_price_book()
    assert book is snapshot_price_book()
    assert book.version.startswith("litellm-") and len(book.version) == len("litellm-") + 8


@pytest.mark.parametrize("content", ["models:\n  gpt-4o:\n    input_cost_per_1m: -1\n", None])
def test_bad_or_missing_env_file_is_logged_and_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, content: str | None
) -> None:
    path = tmp_path / "prices.yaml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    monkeypatch.setenv(semconv.ENV_PRICES, str(path))

    with caplog.at_level(logging.WARNING, logger="otel_llm.pricing"):
        book = default_price_book()

    assert book is snapshot_price_book()
    assert book.lookup("gpt-4o", "openai").input == D("0.0000025")
    assert any(str(path) in r.getMessage() and "ignoring" in r.getMessage() for r in caplog.records)
