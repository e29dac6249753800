"""``otel-llm advise`` on traffic with known savings, sent through the REAL openai and anthropic SDKs
to the fake provider, exported into chdb by our exporter; each finding's dollars held to a hand
computation from the scripted token counts and the price book's prices.

The traffic runs in a second: repeats are seconds apart, so the library call sets the retry
threshold to 0 (every repeat counts as cacheable) unless a test is about retries, and the window
is exactly 30 days, so the monthly scale is exactly 1. A scheduled job's calls are sent now and
moved, span by span, to the hours the job would run (``AppPipeline.at``) before our exporter writes them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider

import otel_llm
from otel_llm.advise import Advice, Thresholds, advise
from otel_llm.cli import main
from otel_llm.fake_provider import FakeProvider, Script
from otel_llm.pricing import default_price_book
from otel_llm.query import ClickHouseSource
from tests.cli.conftest import Run
from tests.fixtures.sampling import AppPipeline
from tests.fixtures.store import Store

pytest.importorskip("openai")
pytest.importorskip("anthropic")
pytestmark = pytest.mark.totals

BOOK = default_price_book()
GPT4O = BOOK.lookup("gpt-4o", "openai")
MINI = BOOK.lookup("gpt-4o-mini", "openai")
NANO = BOOK.lookup("gpt-4.1-nano", "openai")
SONNET = BOOK.lookup("claude-sonnet-4-5", "anthropic")
HAIKU = BOOK.lookup("claude-haiku-4-5", "anthropic")
LONG_SYSTEM = "You summarize legal documents into three plain bullet points for a busy reader. " * 60


@pytest.fixture
def pipeline(store: Store, store_dsn: str, meter_provider: MeterProvider) -> Iterator[AppPipeline]:
    """Both SDKs instrumented, spans (and sampled-out calls' records) exported into the test store."""
    from otel_llm.instrumentation.anthropic import AnthropicInstrumentor
    from otel_llm.instrumentation.openai import OpenAIInstrumentor

    app = AppPipeline(store_dsn, store.database)
    instrumentors = [OpenAIInstrumentor(), AnthropicInstrumentor()]
    for instrumentor in instrumentors:
        instrumentor.instrument(meter_provider=meter_provider, **app.instrument_options)
    yield app
    for instrumentor in instrumentors:
        instrumentor.uninstrument()
    app.close()


def _days_ago(days: int, hour: int, minute: int = 0) -> dt.datetime:
    """``days`` days before today, at ``hour``:``minute`` UTC."""
    today = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
    return today - dt.timedelta(days=days) + dt.timedelta(hours=hour, minutes=minute)


def _window() -> tuple[dt.datetime, dt.datetime]:
    until = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0) + dt.timedelta(seconds=2)
    return until - dt.timedelta(days=30), until


def _advise(store: Store, app: AppPipeline, **limits: Any) -> Advice:
    assert app.flush()
    since, until = _window()
    thresholds = Thresholds(**{"retry_seconds": 0.0, **limits})
    return advise(ClickHouseSource(store.client), store.database, since, until, book=BOOK, thresholds=thresholds)


def _one(advice: Advice, kind: str) -> Any:
    found = [f for f in advice.findings if f.kind == kind]
    assert len(found) == 1, [(f.kind, f.feature) for f in advice.findings]
    return found[0]


def _chat(client: Any, model: str, text: str, *, system: str | None = None, **kwargs: Any) -> None:
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": text}]
    client.chat.completions.create(model=model, messages=messages, **kwargs)


def _send_known_traffic(pipeline: AppPipeline, fp: FakeProvider, openai_client: Any, anthropic_client: Any) -> None:
    # faq: the same question four times (a response cache serves three).
    with otel_llm.tag(feature="faq", user_id="u1"):
        for _ in range(4):
            fp.enqueue(Script(prompt_tokens=500, completion_tokens=50))
            _chat(openai_client, "gpt-4o", "What are your opening hours?", max_tokens=100)
    # summarize: one long system prompt, three documents, no cache read: a prompt cache reads it twice.
    with otel_llm.tag(feature="summarize", user_id="u2"):
        for doc in ("doc one", "doc two", "doc three"):
            fp.enqueue(Script(prompt_tokens=1500, completion_tokens=100, cached_tokens=0))
            _chat(openai_client, "gpt-4o", doc, system=LONG_SYSTEM, max_tokens=200)
    # classify: five one-word answers from an expensive model.
    with otel_llm.tag(feature="classify", user_id="u3"):
        for review in ("great", "awful", "fine", "meh", "superb"):
            fp.enqueue(Script(prompt_tokens=200, completion_tokens=3))
            _chat(openai_client, "gpt-4o", f"Sentiment of: {review}", max_tokens=5)
    # nightly_report: no end user, never streamed, every night at 02:00: Batch API material.
    with otel_llm.tag(feature="nightly_report"):
        for day in range(5):
            fp.enqueue(Script(input_tokens=1000, output_tokens=400))
            with pipeline.at(_days_ago(day + 1, hour=2)):
                anthropic_client.messages.create(model="claude-sonnet-4-5", max_tokens=1000,
                                                 messages=[{"role": "user", "content": f"Report for day {day}"}])
    # chat: one conversation whose input grows 4000 -> 8000 -> 12000 tokens.
    with otel_llm.tag(feature="chat", user_id="u4", session_id="s1"):
        history: list[dict[str, str]] = []
        for turn, tokens in enumerate((4000, 8000, 12000)):
            history.append({"role": "user", "content": f"turn {turn}"})
            fp.enqueue(Script(prompt_tokens=tokens, completion_tokens=60))
            openai_client.chat.completions.create(model="gpt-4o-mini", messages=history, max_tokens=100)
            history.append({"role": "assistant", "content": f"answer {turn}"})
    # essay: no max_tokens; four answers of 100 tokens, one runs into the model's limit at 900.
    with otel_llm.tag(feature="essay", user_id="u5"):
        for i, (tokens, limit) in enumerate(((100, False),) * 4 + ((900, True),)):
            fp.enqueue(Script(prompt_tokens=50, completion_tokens=tokens, hit_output_limit=limit))
            _chat(openai_client, "gpt-4o-mini", f"essay {i}")


def test_each_finding_is_priced_exactly_as_computed_by_hand(
    pipeline: AppPipeline, store: Store, fake_provider: FakeProvider, openai_client: Any,
    anthropic_client: Any,
) -> None:
    _send_known_traffic(pipeline, fake_provider, openai_client, anthropic_client)
    advice = _advise(store, pipeline, context_window_tokens=5000)

    faq = _one(advice, "repeated_requests")
    assert (faq.feature, faq.evidence["repeats"], faq.evidence["calls"]) == ("faq", 3, 4)
    assert faq.model.startswith("gpt-4o-")  # the response model, as the provider named it
    assert faq.saving_usd == 3 * (500 * GPT4O.input + 50 * GPT4O.output)
    assert len(next(iter(faq.evidence["fingerprints"]))) == 32

    summarize = _one(advice, "repeated_prefixes")
    (prefix_tokens,) = store.client.query(
        f"SELECT DISTINCT PrefixTokens FROM `{store.database}`.llm_calls WHERE Feature = 'summarize'").result_rows[0]
    # The prefix's share of the 1500 input tokens the provider reported (a little under: the question).
    assert 1450 <= prefix_tokens < 1500
    # One write (OpenAI charges it at the input price), two reads at the cache-read price.
    assert summarize.saving_usd == prefix_tokens * 2 * (GPT4O.input - GPT4O.cache_read)
    assert (summarize.feature, summarize.evidence["reads"], summarize.evidence["writes"]) == ("summarize", 2, 1)

    classify = _one(advice, "cheaper_model")
    assert classify.candidate and classify.evidence["candidate_model"] == "gpt-4.1-nano"
    assert classify.saving_usd == 5 * (200 * GPT4O.input + 3 * GPT4O.output) - (1000 * NANO.input + 15 * NANO.output)

    nightly = _one(advice, "batch_api")
    assert nightly.feature == "nightly_report" and nightly.model.startswith("claude-sonnet-4-5")
    assert nightly.evidence["schedule"] == "daily at 02h UTC"
    assert nightly.saving_usd == (5000 * (SONNET.input - SONNET.batch_input)
                                  + 2000 * (SONNET.output - SONNET.batch_output))

    chat = _one(advice, "context_growth")
    assert chat.saving_usd == (0 + 3000 + 7000) * MINI.input
    assert (chat.feature, chat.evidence["sessions"], chat.evidence["calls"]) == ("chat", 1, 3)

    essay = _one(advice, "uncapped_output")
    # The 95th percentile of the normally finished answers is 100 tokens: 800 beyond it.
    assert essay.saving_usd == 800 * MINI.output
    assert (essay.feature, essay.evidence["length_limited_calls"]) == ("essay", 1)

    assert [f.saving_usd for f in advice.findings] == sorted((f.saving_usd for f in advice.findings), reverse=True)
    assert advice.total_usd == sum(f.saving_usd for f in advice.findings)
    assert advice.calls == 25 and advice.unpriced_calls == 0


def test_resends_within_seconds_are_retries_not_cache_hits(
    pipeline: AppPipeline, store: Store, fake_provider: FakeProvider, openai_client: Any,
) -> None:
    with otel_llm.tag(feature="checkout", user_id="u1"):
        for _ in range(3):
            fake_provider.enqueue(Script(prompt_tokens=300, completion_tokens=20))
            _chat(openai_client, "gpt-4o", "Confirm order 991", max_tokens=50)
    advice = _advise(store, pipeline, retry_seconds=60.0)
    retry = _one(advice, "retries")
    assert retry.saving_usd == 2 * (300 * GPT4O.input + 20 * GPT4O.output)
    assert not [f for f in advice.findings if f.kind == "repeated_requests"]


def _summarize(anthropic_client: Any, fp: FakeProvider, model: str, *, cache: bool = False, **usage: int) -> None:
    """Three documents behind one long system prompt (explicitly cached or not), usage as scripted."""
    block: dict[str, Any] = {"type": "text", "text": LONG_SYSTEM}
    if cache:
        block["cache_control"] = {"type": "ephemeral"}
    for doc in ("doc one", "doc two", "doc three"):
        fp.enqueue(Script(output_tokens=100, **usage))
        anthropic_client.messages.create(model=model, max_tokens=200, system=[block],
                                         messages=[{"role": "user", "content": doc}])


def test_a_prefix_below_the_models_cache_minimum_is_not_promised_a_cache(
    pipeline: AppPipeline, store: Store, fake_provider: FakeProvider, anthropic_client: Any,
) -> None:
    # About 1,500 prefix tokens: Sonnet 4.5 caches from 1,024, Haiku 4.5 only from 4,096.
    with otel_llm.tag(feature="sonnet_summaries", user_id="u1"):
        _summarize(anthropic_client, fake_provider, "claude-sonnet-4-5", input_tokens=1500, cache_read_tokens=0)
    with otel_llm.tag(feature="haiku_summaries", user_id="u1"):
        _summarize(anthropic_client, fake_provider, "claude-haiku-4-5", input_tokens=1500, cache_read_tokens=0)
    advice = _advise(store, pipeline)
    sonnet = _one(advice, "repeated_prefixes")
    (prefix_tokens,) = store.client.query(
        f"SELECT DISTINCT PrefixTokens FROM `{store.database}`.llm_calls WHERE Feature = 'sonnet_summaries'"
    ).result_rows[0]
    assert sonnet.feature == "sonnet_summaries" and 1024 <= prefix_tokens < 4096
    # One write (at the cache write price, Anthropic's), two reads.
    assert sonnet.saving_usd == prefix_tokens * (2 * (SONNET.input - SONNET.cache_read)
                                                 - (SONNET.cache_write - SONNET.input))
    assert "turn on prompt caching" in sonnet.title


def test_a_cache_that_expires_between_calls_is_priced_against_the_1_hour_cache(
    pipeline: AppPipeline, store: Store, fake_provider: FakeProvider, anthropic_client: Any,
) -> None:
    # Every send writes the cache again (a 0-second lifetime stands for sends 5+ minutes apart).
    with otel_llm.tag(feature="contracts", user_id="u1"):
        _summarize(anthropic_client, fake_provider, "claude-sonnet-4-5", cache=True, input_tokens=40,
                   cache_read_tokens=0, cache_write_5m_tokens=2000)
    advice = _advise(store, pipeline, cache_ttl_seconds=0.0)
    expiry = _one(advice, "cache_expiry")
    # Sends 2 and 3 wrote 2,000 tokens again: a 1-hour cache reads them, and writes send 1 at its price.
    assert expiry.saving_usd == (4000 * (SONNET.cache_write - SONNET.cache_read)
                                 - 2000 * (SONNET.cache_write_1h - SONNET.cache_write))
    assert (expiry.feature, expiry.evidence["rewrites"], expiry.evidence["rewritten_tokens"]) == ("contracts", 2, 4000)
    assert not [f for f in advice.findings if f.kind == "repeated_prefixes"]  # already cached: nothing more there


def test_traffic_with_nothing_to_save_gives_no_finding(
    pipeline: AppPipeline, store: Store, fake_provider: FakeProvider, openai_client: Any,
    anthropic_client: Any,
) -> None:
    # Distinct requests, short system prompts, capped, streamed or for an end user, varied output.
    with otel_llm.tag(feature="assistant", user_id="u1", session_id="s9"):
        for i, tokens in enumerate((40, 300, 120, 700, 90)):
            fake_provider.enqueue(Script(prompt_tokens=100 + i, completion_tokens=tokens))
            _chat(openai_client, "gpt-4o", f"question {i}", system="Be brief.", max_tokens=1000)
    with otel_llm.tag(feature="stream"):
        for i, tokens in enumerate((15, 400, 60, 900, 33)):
            fake_provider.enqueue(Script(input_tokens=20 + i, output_tokens=tokens))
            with anthropic_client.messages.stream(model="claude-sonnet-4-5", max_tokens=1000,
                                                  messages=[{"role": "user", "content": f"hi {i}"}]) as stream:
                stream.until_done()
    advice = _advise(store, pipeline)
    assert advice.findings == []
    assert advice.calls == 10 and advice.spend_usd > 0 and advice.total_usd == 0


def test_interactive_daytime_traffic_gets_no_batch_finding_a_job_every_hour_does(
    pipeline: AppPipeline, store: Store, fake_provider: FakeProvider, openai_client: Any,
) -> None:
    # helpdesk: people at work, untagged with a user, never streamed: 36 calls over three working
    # days, at every hour from 09 to 17 and minutes all over the hour. No schedule: no Batch API.
    with otel_llm.tag(feature="helpdesk"):
        for i in range(36):
            fake_provider.enqueue(Script(prompt_tokens=400 + i, completion_tokens=100 + 7 * i))
            with pipeline.at(_days_ago(1 + i % 3, hour=9 + i % 9, minute=(7 * i) % 60)):
                _chat(openai_client, "gpt-4o", f"ticket {i}", max_tokens=1000)
    # sync: the same shape of calls, four at five past every hour for six hours: a scheduled job.
    with otel_llm.tag(feature="sync"):
        for i in range(24):
            fake_provider.enqueue(Script(prompt_tokens=400 + i, completion_tokens=100 + 7 * i))
            with pipeline.at(_days_ago(1, hour=9 + i // 4, minute=5)):
                _chat(openai_client, "gpt-4o", f"record {i}", max_tokens=1000)
    advice = _advise(store, pipeline)
    sync = _one(advice, "batch_api")
    assert (sync.feature, sync.evidence["schedule"]) == ("sync", "hourly at minutes :05")
    inputs, outputs = sum(400 + i for i in range(24)), sum(100 + 7 * i for i in range(24))
    assert sync.saving_usd == (inputs * (GPT4O.input - GPT4O.batch_input)
                               + outputs * (GPT4O.output - GPT4O.batch_output))
    assert advice.calls == 60 and [f.kind for f in advice.findings] == ["batch_api"]


def test_the_cli_prints_the_total_first_and_json_for_scripts(
    pipeline: AppPipeline, store: Store, fake_provider: FakeProvider, openai_client: Any, run: Run,
) -> None:
    with otel_llm.tag(feature="nightly_report"):
        for day in range(6):
            fake_provider.enqueue(Script(prompt_tokens=200_000, completion_tokens=20_000))
            with pipeline.at(_days_ago(day + 1, hour=3)):
                _chat(openai_client, "gpt-4o", f"Report for day {day}", max_tokens=30_000)
        fake_provider.enqueue(Script(prompt_tokens=10, completion_tokens=1))
        _chat(openai_client, "acme-9000", "unpriced", max_tokens=5)
    assert pipeline.flush()

    code, out, err = run("advise", "--since", "30d")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("Savings: up to $") and "% of spend" in lines[0]
    assert lines[1].startswith("Not counted: 1 calls of unpriced models: openai/acme-9000 (1)")
    assert "batch_api" in out and "nightly_report" in out and "How each was computed:" in out

    code, out, _ = run("advise", "--since", "30d", "--format", "json", "--min-savings", "0")
    report = json.loads(out)
    kinds = {f["kind"] for f in report["findings"]}
    assert "batch_api" in kinds
    assert Decimal(report["total_usd_per_month"]) == sum(Decimal(f["saving_usd_per_month"]) for f in report["findings"])
    assert report["unpriced_models"] == [{"provider": "openai", "model": "acme-9000", "calls": 1}]

    code, out, _ = run("advise", "--format", "markdown", "--min-savings", "1000000")
    assert code == 0 and "nothing to save" in out


def test_a_bad_amount_is_one_line_naming_the_fix(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["advise", "--min-savings", "lots"])
    assert exited.value.code == 2
    assert "--min-savings: 'lots' is not an amount in dollars, e.g. 1 or 0.5" in capsys.readouterr().err


def test_savings_available_alert_fires_over_its_threshold(store: Store, run: Run, tmp_path: Any) -> None:
    from otel_llm import semconv as sc
    from tests.fixtures.store import insert_spans, span_row

    now = dt.datetime(2026, 11, 20, 12, 30)
    shape = {sc.GEN_AI_OPERATION_NAME: "chat", sc.GEN_AI_PROVIDER_NAME: "openai", sc.GEN_AI_REQUEST_MODEL: "gpt-4o",
             sc.GEN_AI_USAGE_INPUT_TOKENS: "1000", sc.GEN_AI_USAGE_OUTPUT_TOKENS: "100", sc.OTEL_LLM_COST_USD: "60",
             sc.OTEL_LLM_FEATURE: "faq", sc.USER_ID: "u1", sc.OTEL_LLM_REQUEST_FINGERPRINT: "f" * 32,
             sc.OTEL_LLM_REQUEST_MAX_TOKENS_SET: "true"}
    insert_spans(store.client, store.database,
                 [span_row(shape, at=now - dt.timedelta(minutes=m)) for m in (10, 20, 30)])
    rules = tmp_path / "rules.yaml"
    rules.write_text("- {name: save-100, kind: savings_available, by: feature}\n"
                     "- {name: save-1000, kind: savings_available, threshold: 1000}\n")
    code, out, _ = run("alerts", "check", "--rules", str(rules), "--at", now.isoformat())
    # Two repeats at $60 over a 30-day window (720 whole hours): $120 a month.
    assert (code, out.splitlines()) == (1, ["ALERT save-100 [savings_available] faq=120 (threshold 100)"])


def test_a_store_older_than_request_shapes_gets_one_line_naming_the_fix(
    store_client: Any, store_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from otel_llm.schema import migrate

    database = "advise_v6_store"
    try:
        migrate(store_client, database, to_version=6)
        code = main(["advise", "--endpoint", store_dsn, "--database", database])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1
        assert "predates request shapes (schema version 7): run otel-llm migrate" in err
    finally:
        store_client.command(f"DROP DATABASE IF EXISTS `{database}` SYNC")


def test_markdown_keeps_a_pipe_in_a_feature_name_inside_its_cell() -> None:
    from otel_llm.advise import Finding
    from otel_llm.cli.advise import render_advice

    finding = Finding("batch_api", "etl|nightly", "openai", "gpt-4o", "5 calls never streamed", Decimal("12.5"),
                      "formula", {"calls": 5})
    advice = Advice(dt.datetime(2026, 11, 1), dt.datetime(2026, 12, 1), Decimal(50), 5, 0, [finding], [])
    text = render_advice(advice, "markdown")
    assert text.splitlines()[0] == ("Savings: up to $12.50/month (25.0% of spend of $50.00/month),"
                                    " from 5 calls since 2026-11-01 00:00 UTC")
    assert "| $12.50 | batch_api | etl\\|nightly | gpt-4o | 5 calls never streamed |" in text


def test_the_send_order_is_the_order_of_timestamp_then_span_id(store: Store) -> None:
    import random

    from otel_llm.query.advise import _SEND_ORDER

    rng = random.Random(7)
    ids = [f"{rng.getrandbits(64):016x}" for _ in range(200)]
    ids += ["0" * 16, "f" * 16, "00000000000000ff", "0100000000000000"]
    stamps = ["2026-11-20 12:00:00.000000001", "2026-11-20 12:00:00.000000002", "1970-01-01 00:00:00"]
    rows = [(rng.choice(stamps), span_id) for span_id in ids]
    values = ", ".join(f"('{at}', '{span_id}')" for at, span_id in rows)
    ordered = store.client.query(
        f"SELECT SpanId FROM (SELECT toDateTime64(at, 9, 'UTC') AS Timestamp, span AS SpanId"
        f" FROM values('at String, span String', {values})) ORDER BY {_SEND_ORDER}").result_rows
    assert [span_id for (span_id,) in ordered] == [span_id for _, span_id in sorted(rows)]
