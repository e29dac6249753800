"""The Gemini/Bedrock overhead harness runs every contender it can and says why it left one out.

A tiny run of the real suites (real SDK clients, replies recorded from the fake provider): the
numbers mean nothing here, the bookkeeping does. A contender that silently did nothing would
print a fast row; the exported span counts and the left-out lines are what prevent that.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "instrumentation"
ROUNDS, CALLS, WARMUP = 2, 3, 1


@pytest.fixture(scope="module")
def harness_modules():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(BENCH))
    try:
        import _harness
        import bench_bedrock

        yield _harness, bench_bedrock
    finally:
        sys.path.remove(str(BENCH))


def test_each_contender_is_timed_on_every_scenario_and_exports_one_span_per_call(
    harness_modules, capsys: pytest.CaptureFixture[str]
) -> None:
    harness, bedrock = harness_modules
    args = ["--rounds", str(ROUNDS), "--calls", str(CALLS), "--warmup", str(WARMUP), "--chunks", "3"]
    harness.main([bedrock.SUITE], "test", args)
    out = capsys.readouterr().out

    rows = [line for line in out.splitlines() if line.startswith("| ") and "---" not in line][1:]
    for scenario in bedrock.SUITE.scenarios:
        assert f"| {scenario} | baseline |" in out
        assert f"| {scenario} | **otel-llm** |" in out
    timed = {row.split(" | ")[1] for row in rows}
    spans_line = next(line for line in out.splitlines() if line.startswith("spans exported per scope"))
    calls_per_scenario = ROUNDS * (CALLS + WARMUP)
    bedrock_scenarios = len(bedrock.SUITE.scenarios) - 1  # the S3 call is no Bedrock call: no span of ours
    assert f"'otel_llm.instrumentation.bedrock': {calls_per_scenario * bedrock_scenarios}" in spans_line
    for name in ("official", "OpenLLMetry"):  # a peer runs, or is named as left out with its reason
        assert name in timed or f"{name}: " in out
    # The SDK floor is timed on the plain calls only (``only``), and does trace each of them.
    floor_scenarios = {row.split(" | ")[0].removeprefix("| ") for row in rows if row.split(" | ")[1] == "SDK floor"}
    assert floor_scenarios == set(bedrock.PLAIN)
    assert f"'floor': {calls_per_scenario * len(bedrock.PLAIN)}" in spans_line


def test_a_contender_whose_instrumentor_is_not_installed_has_no_row_and_a_reason(harness_modules) -> None:
    harness, bedrock = harness_modules

    def missing() -> object:
        raise ImportError("no such package", name="opentelemetry_instrumentation_absent")

    suite = bedrock.SUITE.__class__(
        title=bedrock.SUITE.title,
        scenarios=bedrock.SUITE.scenarios,
        candidates=(harness.Candidate("absent", missing),),
        prepare=bedrock.SUITE.prepare,
    )
    rows, left_out = harness.contenders([suite])
    assert [row.name for row in rows] == ["baseline"]
    assert left_out == [
        "absent: opentelemetry_instrumentation_absent not installed here: no row for "
        + ", ".join(bedrock.SUITE.scenarios)
    ]
