"""``otel-llm prices doctor`` on a chdb store with known calls: the price gaps, and nothing else."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from otel_llm import semconv as sc
from tests.cli.conftest import Run, as_json
from tests.fixtures.store import insert_spans, span_row

AT = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2)).replace(microsecond=0, tzinfo=None)
OLD = AT - dt.timedelta(days=40)


def _span(model: str, provider: str, *, at: dt.datetime = AT, cost: str | None = "0.001", source: str = "") -> list:
    attributes = {
        sc.GEN_AI_OPERATION_NAME: "chat",
        sc.GEN_AI_PROVIDER_NAME: provider,
        sc.GEN_AI_REQUEST_MODEL: model,
        sc.GEN_AI_USAGE_INPUT_TOKENS: "100",
        sc.GEN_AI_USAGE_OUTPUT_TOKENS: "10",
    }
    if cost is not None:
        attributes[sc.OTEL_LLM_COST_USD] = cost
    if source:
        attributes[sc.OTEL_LLM_PRICING_SOURCE] = source
    return span_row(attributes, at=at)


def test_doctor_lists_unpriced_history_and_other_host_models_with_alias_lines(store: Any, run: Run) -> None:
    client, database = store
    insert_spans(
        client,
        database,
        [
            *[_span("gpt-4o", "openai", source="exact")] * 3,  # no gap: not listed
            *[_span("gpt4o-mini", "openai", cost=None)] * 2,  # a typo nothing prices
            _span("claude-3-5-haiku-latest", "anthropic", source="history"),
            _span("claude-3-5-haiku@20241022", "anthropic", source="exact"),  # today: Anthropic's own, dated
            _span("claude-sonnet-4-5@20991231", "aws.bedrock", source="other_host"),
            _span("acme-llm-9000", "openai", at=OLD, cost=None),  # outside the window
        ],
    )

    code, out, _ = run("prices", "doctor", "--format", "json")

    assert code == 0
    rows = {(r["provider"], r["model"]): r for r in as_json(out)}
    assert set(rows) == {
        ("openai", "gpt4o-mini"),
        ("anthropic", "claude-3-5-haiku-latest"),
        ("anthropic", "claude-3-5-haiku@20241022"),
        ("aws.bedrock", "claude-sonnet-4-5@20991231"),
    }
    typo = rows[("openai", "gpt4o-mini")]
    assert (typo["calls"], typo["unpriced_calls"], typo["stored_source"], typo["book_source"]) == (
        2,
        2,
        "unpriced",
        "unpriced",
    )
    assert typo["alias_line"] == '  "gpt4o-mini": gpt-4o-mini  # check it is the same model'
    haiku = rows[("anthropic", "claude-3-5-haiku-latest")]
    assert (haiku["stored_source"], haiku["book_source"], haiku["priced_as"]) == (
        "history",
        "history",
        "anthropic/claude-3-5-haiku-20241022",
    )
    assert haiku["alias_line"] == '  "claude-3-5-haiku-latest": claude-3-5-haiku-20241022'
    bedrock = rows[("aws.bedrock", "claude-sonnet-4-5@20991231")]
    assert (bedrock["stored_source"], bedrock["book_source"]) == ("other_host", "other_host")

    code, out, _ = run("prices", "doctor", "--since", "60d")
    assert code == 0 and "acme-llm-9000" in out and "aliases:" in out


def test_the_readme_doctor_command_runs_as_written(store: Any, run: Run) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    command = re.search(r"`otel-llm (prices doctor[^`]*)`", readme)
    assert command is not None
    client, database = store
    insert_spans(client, database, [_span("gpt4o-mini", "openai", cost=None)])
    code, out, _ = run(*command.group(1).split())
    assert code == 0 and "gpt4o-mini" in out


def test_doctor_with_no_gaps_says_so(store: Any, run: Run) -> None:
    client, database = store
    insert_spans(client, database, [_span("gpt-4o", "openai", source="exact")])
    code, out, _ = run("prices", "doctor", "--since", "7d")
    assert code == 0 and out.startswith("no price gaps")


def test_doctor_bad_since_is_one_line(store: Any, run: Run) -> None:
    code, _, err = run("prices", "doctor", "--since", "yesterday-ish")
    assert code == 2 and err.strip().count("\n") == 0 and "yesterday-ish" in err
