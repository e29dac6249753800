"""``sql``, ``top``, ``prices`` and ``migrate`` against the test store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from otel_llm import semconv
from otel_llm.cli import main
from tests.cli.conftest import Call, Run, as_json, insert_calls

D = dt.datetime
WINDOW = ["--since", "2026-11-01", "--until", "2026-12-01"]


def test_sql_reads_and_refuses_writes(store: Any, run: Run) -> None:
    client, database = store
    insert_calls(client, database, [Call(D(2026, 11, 20, 10), cost="0.25"), Call(D(2026, 11, 20, 11), cost="0.5")])
    code, out, _ = run("sql", f"SELECT count() AS n, sum(CostUSD) AS cost FROM {database}.llm_calls",
                       "--format", "json")
    assert code == 0
    assert as_json(out) == [{"n": 2, "cost": 0.75}]
    code, _, err = run("sql", f"DROP TABLE {database}.llm_calls")
    assert code == 2 and "only SELECT" in err
    assert client.command(f"EXISTS TABLE {database}.llm_calls") == 1


def test_sql_on_a_local_store_refuses_what_the_collector_refuses(store: Any, run: Run, tmp_path: Path) -> None:
    """Issue 17 audit: readonly=1 reached only the last statement of ``a; b; c`` in the embedded
    engine, INTO OUTFILE wrote the file, and file() printed a traceback holding the file's text."""
    client, database = store
    insert_calls(client, database, [Call(D(2026, 11, 20, 10), cost="0.25")])
    secret = tmp_path / "secret.txt"
    secret.write_text("the-secret-contents\n")
    outfile = tmp_path / "written.txt"
    refused = {
        f"SELECT 1; TRUNCATE TABLE {database}.otel_traces; SELECT 1": "Multi-statements are not allowed",
        f"SELECT 'x' INTO OUTFILE '{outfile}'": "INTO OUTFILE is never run here",
        f"SELECT 1; SELECT file('{secret}')": "Multi-statements are not allowed",
        f"SELECT file('{secret}')": "function file() reaches outside the database",
        "SELECT * FROM url('http://127.0.0.1:9/x', 'LineAsString')": "table function url() is not allowed",
        "SELECT 1 FORMAT TSV": "FORMAT clause is not accepted",
        "SET readonly = 0": "only SELECT",
    }
    for query, reason in refused.items():
        code, out, err = run("sql", query)
        assert (code, out) == (2, ""), query
        assert reason in err and err.count("\n") == 1, err
        assert "Traceback" not in err and "the-secret-contents" not in err
        assert "parseQueryToJSON" not in err  # the user's query is named, never our wrapper
    assert not outfile.exists()
    assert client.command(f"SELECT count() FROM {database}.otel_traces") == 1
    code, out, _ = run("sql", f"SELECT count() AS n FROM {database}.llm_calls", "--format", "json")
    assert (code, as_json(out)) == (0, [{"n": 1}])


def test_sql_syntax_errors_are_the_engines_words_about_the_users_query(store: Any, run: Run) -> None:
    code, _, err = run("sql", "SELEC 1")
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("otel-llm sql: Code: 62. DB::Exception: Syntax error: failed at position 7")
    assert "In scope" not in err and "parseQueryToJSON" not in err and err.rstrip().endswith("(SYNTAX_ERROR)")


@pytest.mark.totals
def test_top_types_marks_the_few_that_cost_80_percent(store: Any, run: Run) -> None:
    client, database = store
    calls = [Call(D(2026, 11, 20, 10), "summarize", cost="0.70"),
             Call(D(2026, 11, 20, 10), "chat", "gpt-4o-mini", cost="0.20"),
             *[Call(D(2026, 11, 20, 11), "classify", "gpt-4o-mini", cost="0.025")] * 4]
    insert_calls(client, database, calls)
    code, out, _ = run("top", "types", "--format", "json", *WINDOW)
    assert code == 0
    rows = as_json(out)["types"]
    assert [(r["feature"], r["calls"], r["cost_usd"], r["cumulative_share"], r["in_top80"]) for r in rows] == [
        ("summarize", 1, 0.7, 0.7, True),
        ("chat", 1, 0.2, 0.9, True),
        ("classify", 4, 0.1, 1.0, False),
    ]
    assert rows[2]["cost_per_call"] == 0.025


@pytest.mark.totals
def test_top_calls_and_context_growth(store: Any, run: Run) -> None:
    client, database = store
    t0 = D(2026, 11, 20, 10)
    conversation = [Call(t0 + dt.timedelta(minutes=i), session=s, input=100 * (i + 1) + extra, cost=f"0.00{i + 1}")
                    for s, extra in (("s1", 0), ("s2", 50)) for i in range(3)]
    insert_calls(client, database, [*conversation, Call(t0, cost="0.9", user="big")])
    _, out, _ = run("top", "calls", "context", "--limit", "2", "--format", "json", *WINDOW)
    result = as_json(out)
    assert [(c["user"], c["cost_usd"]) for c in result["calls"]] == [("big", 0.9), ("", 0.003)]
    assert [(t["turn"], t["sessions"], t["avg_input_tokens"]) for t in result["context"]] == [
        (1, 2, 125.0), (2, 2, 225.0)]
    code, out, _ = run("top", *WINDOW)
    assert code == 0 and "== types ==" in out and "== context ==" in out
    assert run("top", "everything")[0] == 2


@pytest.mark.totals
def test_top_rounds_the_share_and_says_why_a_section_is_empty(store: Any, run: Run) -> None:
    client, database = store
    insert_calls(client, database, [Call(D(2026, 11, 20, 10), "a", cost="0.1"),
                                    Call(D(2026, 11, 20, 10), "b", cost="0.2")])  # 1/3 and 3/3, no sessions
    code, out, _ = run("top", "types", "context", *WINDOW)
    assert code == 0
    types, context = out.split("== context ==")
    lines = types.splitlines()
    column = next(line.split() for line in lines if "cumulative_share" in line).index("cumulative_share")
    shares = [line.split()[column] for line in lines if line.startswith(("a ", "b "))]
    assert shares == ["0.6667", "1"], types  # was 0.6666666666666666666666666667
    assert "no calls with a session id in this window" in context and "session_id=" in context
    _, out, _ = run("top", "types", "--format", "json", *WINDOW)
    assert [r["cumulative_share"] for r in as_json(out)["types"]] == [0.6667, 1.0]


def test_prices_show_known_and_unknown(capsys: Any) -> None:
    assert main(["prices", "show", "gpt-4o", "--format", "json"]) == 0
    fields = as_json(capsys.readouterr().out)
    assert fields["provider"] == "openai"
    assert fields["input_per_1m"] == 2.5
    assert fields["output_per_1m"] == 10.0
    assert main(["prices", "show", "no-such-model-xyz"]) == 1
    assert "no price known" in capsys.readouterr().out


def test_prices_show_json_is_one_object_with_stable_keys(capsys: Any) -> None:
    """gpt-4o lists no cache-write price, claude-sonnet-4-5 does: same keys, null where absent."""
    records = []
    for model in ("gpt-4o", "claude-sonnet-4-5"):
        assert main(["prices", "show", model, "--format", "json"]) == 0
        records.append(as_json(capsys.readouterr().out))
    gpt, claude = records
    assert isinstance(gpt, dict) and list(gpt) == list(claude)
    assert gpt["cache_write_per_1m"] is None and claude["cache_write_per_1m"] == 3.75
    assert gpt["input_per_1m"] == 2.5 and isinstance(gpt["long_context_tiers"], list)
    assert {"provider", "model", "effective_from", "book_version"} <= set(gpt)


@pytest.mark.parametrize(("alias", "dated", "input_per_1m", "cache_read_per_1m"), [
    ("claude-3-5-haiku-latest", "claude-3-5-haiku-20241022", 0.8, 0.08),  # Vertex lists it at $1/$5, no cache
    ("claude-sonnet-4-0", "claude-sonnet-4-20250514", 3.0, 0.3),
    ("claude-opus-4-1", "claude-opus-4-1-20250805", 15.0, 1.5),
    ("claude-3-7-sonnet-latest", "claude-3-7-sonnet-20250219", 3.0, 0.3),
    ("claude-3-5-sonnet-latest", "claude-3-5-sonnet-20241022", 3.0, 0.3),
])
def test_prices_show_without_a_provider_is_the_makers_price(
    capsys: Any, alias: str, dated: str, input_per_1m: float, cache_read_per_1m: float
) -> None:
    """Anthropic's aliases, no --provider: Anthropic's own (dropped, so "history") price, never a
    cloud's entry for the same model labelled exact."""
    assert main(["prices", "show", alias, "--format", "json"]) == 0
    fields = as_json(capsys.readouterr().out)
    assert (fields["provider"], fields["model"], fields["source"]) == ("anthropic", dated, "history")
    assert (fields["input_per_1m"], fields["cache_read_per_1m"]) == (input_per_1m, cache_read_per_1m)


def test_prices_show_labels_another_hosts_price(capsys: Any) -> None:
    """Asked for OpenRouter, which lists no price for it: OpenAI's price, labelled other_host."""
    assert main(["prices", "show", "gpt-4o-2024-08-06", "--provider", "openrouter", "--format", "json"]) == 0
    fields = as_json(capsys.readouterr().out)
    assert (fields["provider"], fields["source"]) == ("openai", semconv.PRICING_SOURCE_OTHER_HOST)


@pytest.mark.totals
def test_prices_import_syncs_into_the_store_and_prices_new_rows(store: Any, run: Run, tmp_path: Path) -> None:
    client, database = store
    prices = tmp_path / "prices.yaml"
    prices.write_text("models:\n  house-model:\n    provider: openai\n    input_cost_per_1m: 1\n"
                      "    output_cost_per_1m: 4\n")
    code, out, _ = run("prices", "import", str(prices))
    assert code == 0 and "llm_prices" in out
    insert_calls(client, database, [Call(D(2026, 11, 20, 10), model="house-model", input=1000, output=500, cost=None)])
    # The span carried no cost, so the view priced it from the synced dictionary: 1000*1e-6 + 500*4e-6.
    assert client.command(f"SELECT toString(CostUSD) FROM {database}.llm_calls") == "0.003"
    prices.write_text("models:\n  house-model:\n    input_cost_per_1m: -1\n")
    code, _, err = run("prices", "import", str(prices))
    assert code == 2 and "house-model" in err


def test_migrate_is_idempotent_and_prints_ddl(store: Any, run: Run, capsys: Any, monkeypatch: Any) -> None:
    # Writing commands go to the store even where read commands are pointed at a collector.
    monkeypatch.setenv(semconv.ENV_COLLECTOR_URL, "http://127.0.0.1:9")
    code, out, _ = run("migrate")
    assert code == 0 and "already up to date" in out
    code, out, _ = run("prices", "sync")
    assert code == 0 and "llm_prices" in out
    assert main(["migrate", "--print", "--database", "analytics"]) == 0
    ddl = capsys.readouterr().out
    assert "CREATE TABLE IF NOT EXISTS `analytics`.`llm_calls`" in ddl
