"""Price history: several map releases merged newest first, run as the real build script too."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from otel_llm import semconv
from otel_llm.pricing import ModelPrice, PriceBook, snapshot_price_book
from otel_llm.pricing.history import merge_history
from otel_llm.pricing.model import ALWAYS
from otel_llm.pricing.snapshot import load_snapshot

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "build_price_snapshot.py"
JUNE, SEPT = date(2026, 6, 27), date(2026, 9, 6)


def _p(model: str, inp: str, out: str, **more: object) -> ModelPrice:
    return ModelPrice(provider="openai", model=model, input=D(inp), output=D(out), **more)  # type: ignore[arg-type]


def test_a_dropped_model_keeps_its_last_price_as_history() -> None:
    merged = merge_history([(SEPT, [_p("new", "1", "2")]), (JUNE, [_p("old", "3", "4"), _p("new", "1", "2")])])
    by_model = {p.model: p for p in merged}
    assert by_model["old"].source == semconv.PRICING_SOURCE_HISTORY
    assert by_model["new"].source == semconv.PRICING_SOURCE_EXACT
    assert all(p.effective_from == ALWAYS for p in merged)


def test_a_changed_price_keeps_both_from_the_release_date() -> None:
    merged = merge_history([(SEPT, [_p("m", "1", "2")]), (JUNE, [_p("m", "3", "4")])])
    book = PriceBook(merged, version="t")
    assert [(p.input, p.effective_from) for p in merged] == [(D(3), ALWAYS), (D(1), SEPT)]
    assert book.lookup("m", "openai", at=date(2026, 9, 5)).input == D(3)
    assert book.lookup("m", "openai", at=SEPT).input == D(1)


def test_added_or_corrected_side_prices_replace_the_older_entry_undated() -> None:
    older = _p("m", "1", "2", cache_write_1h=D("0.000006"))
    newer = _p("m", "1", "2", cache_write_1h=D("0.0000005"), batch_input=D("0.0000005"))
    assert merge_history([(SEPT, [newer]), (JUNE, [older])]) == [newer]


def test_a_zeroed_price_in_a_newer_map_keeps_the_last_real_one() -> None:
    merged = merge_history([(SEPT, [_p("m", "1", "0")]), (JUNE, [_p("m", "1", "2")])])
    assert [(p.output, p.effective_from) for p in merged] == [(D("2"), ALWAYS)]


def test_maps_must_be_dated_and_newest_first() -> None:
    with pytest.raises(ValueError, match="release date"):
        merge_history([(None, []), (JUNE, [])])
    with pytest.raises(ValueError, match="newest first"):
        merge_history([(JUNE, []), (SEPT, [])])


def test_the_bundled_snapshot_keeps_a_moved_price_on_both_sides_of_its_date() -> None:
    book = snapshot_price_book()
    before = book.lookup("grok-3", "x_ai", at=date(2026, 1, 1))
    after = book.lookup("grok-3", "x_ai", at=date(2026, 10, 1))
    assert (before.input, before.output) == (D("0.000003"), D("0.000015"))
    assert (after.input, after.output) == (D("0.00000125"), D("0.0000025"))
    assert after.effective_from == SEPT  # LiteLLM 1.100.0's upload date on PyPI


def test_the_bundled_snapshot_records_every_release_it_was_built_from() -> None:
    source, _ = load_snapshot((ROOT / "otel_llm" / "pricing" / "snapshot.json").read_text(encoding="utf-8"))
    listed = json.loads((ROOT / "scripts" / "price_sources.json").read_text(encoding="utf-8"))["releases"]
    assert [m["sha256"] for m in source["maps"]] == [r["map_sha256"] for r in listed]
    assert [m["released"] for m in source["maps"]] == [r["released"][:10] for r in listed]


def _map(entries: dict[str, tuple[float, float]]) -> dict[str, object]:
    return {
        k: {"litellm_provider": "anthropic", "mode": "chat", "input_cost_per_token": i, "output_cost_per_token": o}
        for k, (i, o) in entries.items()
    }


def test_script_builds_history_from_two_maps_and_drops_documented_aliases(tmp_path: Path) -> None:
    new = tmp_path / "new.json"
    old = tmp_path / "old.json"
    new.write_text(json.dumps(_map({"claude-haiku-4-5": (1e-06, 5e-06)})))
    old.write_text(
        json.dumps(
            _map(
                {
                    "claude-haiku-4-5": (2e-06, 5e-06),
                    "claude-3-5-haiku-20241022": (8e-07, 4e-06),
                    "claude-3-5-haiku-latest": (1e-06, 5e-06),  # LiteLLM's stale launch price
                }
            )
        )
    )
    out = tmp_path / "snapshot.json"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), f"{new}=2026-09-06", str(old), "--out", str(out), "--corrections", "none"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    source, prices = load_snapshot(out.read_text(encoding="utf-8"))
    assert [m["released"] for m in source["maps"]] == ["2026-09-06", None]
    book = PriceBook(prices, version="t")
    assert book.price_and_source("claude-3-5-haiku-latest", "anthropic") == (
        ModelPrice("anthropic", "claude-3-5-haiku-20241022", input=D("8E-7"), output=D("0.000004"), source="history"),
        "history",
    )
    assert book.lookup("claude-haiku-4-5", "anthropic", at=date(2026, 9, 5)).input == D("0.000002")
    assert book.lookup("claude-haiku-4-5", "anthropic", at=SEPT).input == D("0.000001")


def test_script_refuses_an_undated_newer_map_in_one_line(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(_map({"m": (1e-06, 1e-06)})))
    b.write_text(json.dumps(_map({"m": (2e-06, 1e-06)})))
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(a), str(b), "--out", str(tmp_path / "o.json")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "release date" in result.stderr


def test_the_readme_rebuild_commands_name_the_recorded_releases_newest_first() -> None:
    """The README's rebuild lines (run by hand: they download from PyPI) match price_sources.json."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("To rebuild the snapshot", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    lines = block.strip().splitlines()
    versions = [r["version"] for r in json.loads((ROOT / "scripts" / "price_sources.json").read_text())["releases"]]
    assert lines[:-1] == [f"pip download litellm=={v} --no-deps -d wheels" for v in versions]
    build = lines[-1].split()
    assert build[:2] == ["python", "scripts/build_price_snapshot.py"]
    assert build[2:] == [f"wheels/litellm-{v}-*.whl" for v in versions]
