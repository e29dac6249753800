"""The README's "Sampling" section, executed as written (see test_readme.py for the substitutions).

Each run of the app makes one call; at 1% sampling nearly every call is recorded by its event,
not its span. Three runs must report three priced calls, and the in-code setup, pasted before the
same app, a fourth; the store must hold events (``Sampled`` 0) for them, the chance that all four
calls were sampled being 10^-8. The OTLP lines do the same through a real collector process (its
address and token substituted), the events reaching it as OTLP logs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from otel_llm.fake_provider import FakeProvider
from tests.collector.harness import start_collector
from tests.e2e.test_readme import blocks, commands, section, sh, user_env

_TOKEN = "sampling-token-3"


def _feature_row(stdout: str) -> list[str]:
    return next(line.split() for line in stdout.splitlines() if line.startswith("document_analysis"))


def test_sampling_as_written_counts_every_call(tmp_path: Path) -> None:
    [app_py, _setup] = blocks(section("Use it in your app"), "python")
    (tmp_path / "app.py").write_text(app_py)
    sampling = section("Sampling")
    [bash, _otlp] = blocks(sampling, "bash")
    [in_code] = blocks(sampling, "python")
    run_app, report = commands(bash)
    assert "OTEL_LOGS_EXPORTER=clickhouse" in run_app and "OTEL_TRACES_SAMPLER_ARG=0.01" in run_app
    with FakeProvider() as fake:
        env = user_env(tmp_path, OPENAI_BASE_URL=fake.openai_base_url, OPENAI_API_KEY="test-key")
        for _ in range(3):
            done = sh(run_app, tmp_path, env)
            assert done.returncode == 0 and done.stderr == "", done.stderr
        reported = sh(report, tmp_path, env)
        assert reported.returncode == 0, reported.stderr
        row = _feature_row(reported.stdout)
        assert row[1] == "3" and float(row[2]) > 0, reported.stdout

        (tmp_path / "in_code.py").write_text(in_code + "\n" + app_py)
        done = subprocess.run(
            [sys.executable, "in_code.py"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert done.returncode == 0 and done.stderr == "", done.stderr
        reported = sh(report, tmp_path, env)
        assert _feature_row(reported.stdout)[1] == "4", reported.stdout
        events = sh('otel-llm sql "SELECT count() FROM otel.llm_calls WHERE Sampled = 0"', tmp_path, env)
        assert events.returncode == 0, events.stderr
        assert int(events.stdout.split()[-1]) >= 1, events.stdout


def test_sampling_over_otlp_to_the_collector_as_written(tmp_path: Path) -> None:
    [app_py, _setup] = blocks(section("Use it in your app"), "python")
    (tmp_path / "app.py").write_text(app_py)
    [_bash, otlp] = blocks(section("Sampling"), "bash")
    run_app, report = (
        line.replace("collector:4318", "127.0.0.1:{port}").replace("$TOKEN", _TOKEN) for line in commands(otlp)
    )
    assert "OTEL_LOGS_EXPORTER=otlp" in run_app and "OTEL_TRACES_SAMPLER_ARG=0.01" in run_app
    collector = start_collector(tmp_path / "collector", token=_TOKEN)
    try:
        with FakeProvider() as fake:
            env = user_env(tmp_path, OPENAI_BASE_URL=fake.openai_base_url, OPENAI_API_KEY="test-key")
            for _ in range(3):
                done = sh(run_app.format(port=collector.http_port), tmp_path, env)
                assert done.returncode == 0 and done.stderr == "", done.stderr
        assert collector.wait_for("SELECT count() FROM llm_calls", 3) == 3, collector.log()
        assert collector.wait_drained() == 0
        reported = sh(report.format(port=collector.http_port), tmp_path, env)
        assert reported.returncode == 0, reported.stderr
        row = _feature_row(reported.stdout)
        assert row[1] == "3" and float(row[2]) > 0, reported.stdout
        assert collector.sql("SELECT count() FROM otel_logs")[0][0] >= 1
        assert collector.sql("SELECT count() FROM llm_calls WHERE Sampled = 0")[0][0] >= 1
    finally:
        collector.stop()
