"""The README's "Frameworks and gateways" LiteLLM example, executed as written (see test_readme.py).

``gateway.py`` runs under ``opentelemetry-instrument`` with every otel-llm instrumentor loaded
from its entry point (the openai SDK's one included), against the fake provider: LiteLLM's
Anthropic route over its own HTTP client, its OpenAI route over the openai SDK. The report must
show one priced call per provider: a second span from the openai SDK below LiteLLM would make
the openai row two calls. The test's substitutions: the providers' base URLs and keys, and
LiteLLM's bundled price map instead of its download (no network), a longer shutdown wait.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from otel_llm.fake_provider import FakeProvider
from tests.e2e.test_readme import README, blocks, commands, sh, user_env

pytest.importorskip("litellm")


def _subsection(title: str) -> str:
    start = README.index(f"\n### {title}\n")
    rest = README[start + 1 :]
    end = re.search(r"\n##?#? ", rest[4:])
    return rest[: end.start() + 4] if end else rest


def test_litellm_example_counts_each_provider_request_once(tmp_path: Path) -> None:
    text = _subsection("LiteLLM")
    [gateway_py] = blocks(text, "python")
    [bash] = blocks(text, "bash")
    run_app, report = commands(bash)
    assert "opentelemetry-instrument python gateway.py" in run_app and report.startswith("otel-llm report")
    (tmp_path / "gateway.py").write_text(gateway_py)
    with FakeProvider() as fake:
        env = user_env(
            tmp_path,
            ANTHROPIC_API_BASE=fake.anthropic_base_url,
            ANTHROPIC_API_KEY="test-key",
            OPENAI_BASE_URL=fake.openai_base_url,
            OPENAI_API_KEY="test-key",
            LITELLM_LOCAL_MODEL_COST_MAP="True",
            # LiteLLM's import takes seconds of CPU; on a loaded test machine the store's first open
            # can then outlast the exporter's default 5 s shutdown wait (the README names the setting).
            OTEL_EXPORTER_CLICKHOUSE_SHUTDOWN_TIMEOUT="60",
        )
        done = sh(run_app, tmp_path, env)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr, done.stderr
        assert [r.path for r in fake.requests] == ["/v1/messages", "/v1/chat/completions"]
    reported = sh(report, tmp_path, env)
    assert reported.returncode == 0, reported.stderr
    rows = {line.split()[0]: line.split() for line in reported.stdout.splitlines() if line.strip()}
    for provider in ("anthropic", "openai"):
        assert rows[provider][1] == "1", reported.stdout  # one call each: no second span from below
        assert float(rows[provider][2]) > 0, reported.stdout  # priced
