"""The README's "LangChain, LangGraph and the OpenAI Agents SDK" subsection, executed as written:
its LangGraph app runs under ``opentelemetry-instrument`` (our instrumentors through their entry
points, our exporter into the default embedded store) against the fake provider, and the report
it names shows one priced row per graph node."""

from __future__ import annotations

from pathlib import Path

import pytest

from otel_llm.fake_provider import FakeProvider
from tests.e2e.test_readme import README, blocks, commands, sh, user_env

TITLE = "### LangChain, LangGraph and the OpenAI Agents SDK"

pytest.importorskip("langchain_openai")
pytest.importorskip("langgraph")


def subsection() -> str:
    start = README.index(f"\n{TITLE}\n")
    rest = README[start + len(TITLE) + 2 :]
    return rest[: rest.index("\n#")]


def test_the_langgraph_app_reports_its_nodes_as_features(tmp_path: Path) -> None:
    text = subsection()
    [app_py] = blocks(text, "python")
    [bash] = blocks(text, "bash")
    run_app, report = commands(bash)
    assert (
        "OTEL_LLM_FEATURE_FROM_WORKFLOW=true" in run_app and "opentelemetry-instrument python graph_app.py" in run_app
    )
    (tmp_path / "graph_app.py").write_text(app_py)
    with FakeProvider() as fake:
        env = user_env(tmp_path, OPENAI_BASE_URL=fake.openai_base_url, OPENAI_API_KEY="test-key")
        done = sh(run_app, tmp_path, env)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() and done.stderr == "", done.stderr
        assert len(fake.requests) == 2
        reported = sh(report, tmp_path, env)
    assert reported.returncode == 0, reported.stderr
    rows = {line.split()[0]: line.split() for line in reported.stdout.splitlines() if line.startswith("blog.")}
    assert set(rows) == {"blog.research", "blog.write"}, reported.stdout
    for row in rows.values():
        assert row[1] == "1" and float(row[2]) > 0, reported.stdout  # one call each, priced


def test_an_app_that_does_not_use_the_frameworks_does_not_import_them(tmp_path: Path) -> None:
    """ "Both wrap their framework when the app imports it, not at instrument()": the instrumentors
    are loaded (entry points) while the frameworks stay unimported, then wrap on the app's import."""
    (tmp_path / "plain.py").write_text(
        "import sys\n"
        "print(sorted(m for m in ('langchain_core', 'langgraph', 'agents') if m in sys.modules))\n"
        "from importlib.metadata import entry_points\n"
        "names = {e.name for e in entry_points(group='opentelemetry_instrumentor')}\n"
        "print(sorted(n for n in names if n in ('otel_llm_langchain', 'otel_llm_openai_agents')))\n"
        "import langchain_core.language_models.chat_models as chat_models\n"
        "print(type(chat_models.BaseChatModel.__dict__['stream']).__name__)\n"
    )
    env = user_env(tmp_path, OTEL_TRACES_EXPORTER="none", OTEL_METRICS_EXPORTER="none", OTEL_LOGS_EXPORTER="none")
    done = sh("opentelemetry-instrument python plain.py", tmp_path, env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[]", "['otel_llm_langchain', 'otel_llm_openai_agents']", "FunctionWrapper"]
