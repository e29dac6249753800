"""Known LLM calls written into otel_traces as our instrumentation's spans, so the real views fill
llm_calls and the rollups; commands then run through ``otel_llm.cli.main`` against that store."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pytest
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator

from otel_llm import semconv
from otel_llm.cli import main
from tests.fixtures.sampling import TALLY, SampledOut, app_sampler, sampled, usage_record_rows

UTC = dt.timezone.utc
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
SCOPE = "otel_llm.instrumentation.openai"
DURATION_NS = 1_000_000


@dataclass(frozen=True)
class Call:
    at: dt.datetime
    feature: str = "chat"
    model: str = "gpt-4o"
    provider: str = semconv.PROVIDER_OPENAI
    user: str = ""
    session: str = ""
    input: int = 100
    output: int = 10
    cache_read: int = 0
    cache_write: int = 0
    reasoning: int = 0
    cost: str | None = "0.001"  # None: unpriced (no cost attribute, no synced prices)
    savings: str | None = None
    error: bool = False
    service: str = "api"

    def attributes(self) -> dict[str, str]:
        attrs = {
            semconv.GEN_AI_OPERATION_NAME: semconv.OP_CHAT,
            semconv.GEN_AI_PROVIDER_NAME: self.provider,
            semconv.GEN_AI_REQUEST_MODEL: self.model,
            semconv.GEN_AI_RESPONSE_MODEL: self.model,
            semconv.GEN_AI_USAGE_INPUT_TOKENS: str(self.input),
            semconv.GEN_AI_USAGE_OUTPUT_TOKENS: str(self.output),
            semconv.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: str(self.cache_read),
            semconv.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS: str(self.cache_write),
            semconv.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: str(self.reasoning),
            semconv.OTEL_LLM_FEATURE: self.feature,
        }
        if self.user:
            attrs[semconv.USER_ID] = attrs[semconv.ENDUSER_ID] = self.user
        if self.session:
            attrs[semconv.SESSION_ID] = self.session
        if self.cost is not None:
            attrs[semconv.OTEL_LLM_COST_USD] = self.cost
        if self.savings is not None:
            attrs[semconv.OTEL_LLM_CACHE_SAVINGS_USD] = self.savings
        if self.error:
            attrs[semconv.ERROR_TYPE] = "RateLimitError"
        return attrs


def insert_calls(client: Any, database: str, calls: Iterable[Call]) -> None:
    """The calls as our instrumentation records them: a span each, or, for a call the app's trace
    sampler drops (``tests.fixtures.sampling``; none by default), its usage record instead."""
    sampler, ids = app_sampler(), RandomIdGenerator()
    rows, records = [], []
    for call in calls:
        # The SDK's ids: a uuid4's low 64 bits, which the ratio sampler reads, are never below 2^63.
        trace, name = ids.generate_trace_id(), f"chat {call.model}"
        trace_id, span_id = format(trace, "032x"), format(ids.generate_span_id(), "016x")
        at = call.at.replace(tzinfo=UTC)
        if not sampled(sampler, trace, name):
            start_ns = (at - EPOCH) // dt.timedelta(microseconds=1) * 1000
            records.append(SampledOut(call.attributes(), start_ns, DURATION_NS, trace_id, span_id, call.service))
            continue
        rows.append([
            at, trace_id, span_id, "", "", name, "Client", call.service, {"service.name": call.service},
            SCOPE, "0.1.0", call.attributes(), DURATION_NS,
            "Error" if call.error else "Unset", "", [], [], [], [], [], [], [],
        ])
    columns = ["Timestamp", "TraceId", "SpanId", "ParentSpanId", "TraceState", "SpanName", "SpanKind",
               "ServiceName", "ResourceAttributes", "ScopeName", "ScopeVersion", "SpanAttributes", "Duration",
               "StatusCode", "StatusMessage", "Events.Timestamp", "Events.Name", "Events.Attributes",
               "Links.TraceId", "Links.SpanId", "Links.TraceState", "Links.Attributes"]
    if rows:
        client.insert(f"`{database}`.otel_traces", rows, column_names=columns)
        TALLY.spans += len(rows)
    if records:
        log_columns, names = usage_record_rows(records, SCOPE)
        client.insert(f"`{database}`.otel_logs", log_columns, column_names=names, column_oriented=True)


Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(store: Any, store_dsn: str, capsys: pytest.CaptureFixture[str]) -> Run:
    """``run("report", "--by", "feature")`` -> (exit code, stdout, stderr) against the test store."""
    _, database = store

    def invoke(*argv: str, store_options: bool = True) -> tuple[int, str, str]:
        capsys.readouterr()
        extra = ["--endpoint", store_dsn, "--database", database] if store_options else []
        code = main([*argv, *extra])
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def as_json(text: str) -> Any:
    return json.loads(text)
