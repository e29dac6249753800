"""``otel-llm demo`` under a 1% trace sampler in the environment still reports every call.

The demo's TracerProvider reads ``OTEL_TRACES_SAMPLER`` like any app's; the calls it drops arrive
as usage events (issue 13), so the report equals the unsampled one, call for call and cent for cent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def _demo(data: Path, **env: str) -> dict:
    base = {**os.environ, "OTEL_EXPORTER_CLICKHOUSE_ENDPOINT": "", "OPENAI_API_KEY": "", "ANTHROPIC_API_KEY": ""}
    done = subprocess.run(
        [sys.executable, "-m", "otel_llm.cli", "demo", "--data-dir", str(data), "--format", "json"],
        capture_output=True, text=True, timeout=180, env={**base, **env}, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_demo_at_one_percent_sampling_reports_what_it_reports_unsampled(tmp_path: Path) -> None:
    sampled = _demo(
        tmp_path / "sampled", OTEL_TRACES_SAMPLER="parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG="0.01"
    )
    full = _demo(tmp_path / "full", OTEL_TRACES_SAMPLER="always_on")
    assert sum(row["calls"] for row in full["feature"]) == 36  # 3 rounds of 12 calls
    assert sampled == full
