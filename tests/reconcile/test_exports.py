"""Each provider export, as saved from the provider's API or console, becomes the billed items it
holds (exact money, UTC days); a file that is not one fails with one line naming the problem; the
matching rules hold a bill against traces without ever crossing models."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from otel_llm.reconcile import ALL_MODELS, BilledItem, ExportError, load_export, model_key, reconcile

EXPORTS = Path(__file__).parent / "exports"
NOV20, NOV21 = dt.date(2026, 11, 20), dt.date(2026, 11, 21)


def test_openai_costs_pages_by_line_item() -> None:
    items = load_export("openai", EXPORTS / "openai_costs.json")
    assert [(i.day, i.model, i.cost_usd) for i in items] == [
        (NOV20, "gpt-4o-2024-08-06", Decimal("0.25")), (NOV20, "gpt-4o-2024-08-06", Decimal("0.15")),
        (NOV20, "gpt-4o-mini-2024-07-18", Decimal("0.03")), (NOV20, "gpt-4o-mini-2024-07-18", Decimal("0.02")),
        (NOV21, "gpt-4o-2024-08-06", Decimal("0.12")), (NOV21, "gpt-4o-2024-08-06", Decimal("0.08")),
    ]
    assert items[0].label == "gpt-4o-2024-08-06, input"


def test_openai_completions_usage_in_tokens() -> None:
    items = load_export("openai", EXPORTS / "openai_usage_completions.json")
    assert [(i.model, i.tokens, i.cost_usd) for i in items] == [
        ("gpt-4o-2024-08-06", 3300, None), ("gpt-4o-mini-2024-07-18", 1100, None)]


def test_anthropic_cost_report_amounts_are_cents() -> None:
    items = load_export("anthropic", EXPORTS / "anthropic_cost_report.json")
    assert [(i.day, i.model, i.cost_usd) for i in items] == [
        (NOV20, "claude-sonnet-4-20250514", Decimal("0.30")), (NOV20, "claude-sonnet-4-20250514", Decimal("0.12")),
        (NOV20, "web_search", Decimal("0.01")),  # a tool fee is a row of its own, never "all models"
    ]


def test_anthropic_usage_report_and_console_csvs() -> None:
    [usage] = load_export("anthropic", EXPORTS / "anthropic_usage_report.json")
    assert (usage.day, usage.model, usage.tokens) == (NOV20, "claude-sonnet-4-20250514", 2500)
    [csv_usage] = load_export("anthropic", EXPORTS / "anthropic_console_usage.csv")
    assert csv_usage == usage
    cost = load_export("anthropic", EXPORTS / "anthropic_console_cost.csv")
    assert [(i.day, i.model, i.cost_usd) for i in cost] == [
        (NOV20, "Claude Sonnet 4", Decimal("0.30")), (NOV20, "Claude Sonnet 4", Decimal("0.12"))]


@pytest.mark.parametrize(("provider", "content", "message"), [
    ("openai", "this is not json", "is not JSON"),
    ("openai", '{"object": "list", "items": []}', "expected an API page"),
    ("openai", '{"data": [{"start_time": 1795132800, "results": [{"amount": {"value": "lots"}}]}]}',
     "bucket #1: amount.value is 'lots', not a number"),
    ("openai", '{"data": [{"start_time": 1795132800, "results": [{"amount": {"value": 1, "currency": "eur"}}]}]}',
     "only USD"),
    ("openai", '{"data": [{"start_time": "yesterday", "results": [{"amount": {"value": 1}}]}]}',
     "no numeric start_time"),
    ("openai", '{"data": []}', "holds no billed items"),
    ("anthropic", '{"data": [{"starting_at": "2026-11-20T00:00:00Z", "results": [{"model": "x"}]}]}',
     "neither 'amount'"),
    ("anthropic", "date,spend\n2026-11-20,3\n", "not an Anthropic export"),
    ("anthropic", "usage_date_utc,model,cost_usd\nNovember,x,1\n", "line 2: usage_date_utc 'November'"),
])
def test_a_file_that_is_not_an_export_is_one_line(tmp_path: Path, provider: str, content: str, message: str) -> None:
    path = tmp_path / "export"
    path.write_text(content)
    with pytest.raises(ExportError) as caught:
        load_export(provider, path)
    assert message in str(caught.value) and str(path) in str(caught.value)
    assert "\n" not in str(caught.value)
    with pytest.raises(ExportError, match="cannot read"):
        load_export(provider, tmp_path / "missing.json")


def test_model_key_strips_dates_case_and_display_spelling_but_never_the_model() -> None:
    assert model_key("gpt-4o-2024-08-06") == model_key("GPT-4o") == "gpt-4o"
    assert model_key("claude-sonnet-4-20250514") == model_key("Claude Sonnet 4") == "claude-sonnet-4"
    assert model_key("Claude Haiku 4.5") == model_key("claude-haiku-4-5-20251001") == "claude-haiku-4-5"
    assert model_key("gpt-4o-mini-2024-07-18") != model_key("gpt-4o")
    assert model_key("claude-3-5-haiku-20241022") != model_key("claude-haiku-4-5")


def test_an_amount_not_split_by_model_covers_the_days_other_models() -> None:
    billed = [BilledItem(NOV20, None, "all line items", cost_usd=Decimal("1.00")),
              BilledItem(NOV20, "web search", "web search", cost_usd=Decimal("0.10"))]
    traced = [(NOV20, "gpt-4o", "chat", 3, Decimal("0.70"), 0, 999), (NOV20, "o3", "plan", 1, Decimal("0.25"), 1, 9)]
    result = reconcile(billed, traced)
    star = next(r for r in result.rows if r.model == ALL_MODELS)
    assert (star.billed, star.traced, star.traced_calls, star.unpriced_calls) == (
        Decimal("1.00"), Decimal("0.95"), 4, 1)
    assert star.by_feature == {"chat": Decimal("0.70"), "plan": Decimal("0.25")}
    assert star.explained_share == Decimal("0.95")
    assert (result.gap, result.gap_share) == (Decimal("0.15"), Decimal("0.1364"))  # 0.05 + 0.10 of 1.10
    assert result.within(Decimal("0.15")) and not result.within(Decimal("0.10"))


def test_over_and_under_counts_do_not_cancel() -> None:
    billed = [BilledItem(NOV20, "gpt-4o", "a", cost_usd=Decimal("1")),
              BilledItem(NOV20, "o3", "b", cost_usd=Decimal("1"))]
    traced = [(NOV20, "gpt-4o-2024-08-06", "x", 1, Decimal("1.5"), 0, 0), (NOV20, "o3", "y", 1, Decimal("0.5"), 0, 0)]
    result = reconcile(billed, traced)
    assert result.traced == result.billed and result.gap == Decimal("1.0")
    with pytest.raises(ExportError, match="mixes cost and usage"):
        reconcile([*billed, BilledItem(NOV20, "o3", "c", tokens=5)], traced)


_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
_JSON = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.sampled_from(["data", "results", "amount", "value", "currency", "line_item", "start_time", "starting_at",
                     "model", "input_tokens", "output_tokens", "uncached_input_tokens", "cache_creation",
                     "cost_type", "object", "description"]) | st.text(max_size=8), inner, max_size=5), max_leaves=25)


@settings(max_examples=300, deadline=None)
@example(provider="openai", document={"data": [{"start_time": 10**20, "results": [{"amount": {"value": 1}}]}]}, raw="")
@example(provider="anthropic", document={"data": [{"starting_at": "2026-11-20", "results": [
    {"output_tokens": 1, "cache_creation": {"x": -1}}]}]}, raw="usage_date_utc,cost_usd\n2026-11-20,NaN\n")
@given(provider=st.sampled_from(["openai", "anthropic"]), document=_JSON, raw=st.text(max_size=200))
def test_any_file_is_items_or_one_export_error(tmp_path_factory: pytest.TempPathFactory, provider: str,
                                               document: object, raw: str) -> None:
    """Whatever the file holds, the parser answers with items or an ExportError of one line, never
    another exception (a traceback to the user)."""
    folder = tmp_path_factory.mktemp("fuzz")
    for content in (json.dumps(document), raw):
        path = folder / "export"
        path.write_text(content)
        try:
            items = load_export(provider, path)
        except ExportError as exc:
            assert "\n" not in str(exc)
        else:
            assert all(isinstance(i, BilledItem) and (i.cost_usd is None) != (i.tokens is None) for i in items)
