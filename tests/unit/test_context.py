"""Tags: context manager, decorator, threads, tasks and W3C baggage."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest
from opentelemetry import baggage, context

from otel_llm import tag
from otel_llm.context import current_tag_attributes


def test_nested_tags_override_only_their_keys() -> None:
    with tag(feature="a", user_id="u1", team="x"), tag(feature="b"):
        attrs = dict(current_tag_attributes())
    assert attrs == {
        "otel_llm.feature": "b",
        "enduser.id": "u1",
        "user.id": "u1",
        "otel_llm.tag.team": "x",
    }
    assert dict(current_tag_attributes()) == {}


def test_decorator_on_sync_and_async_functions() -> None:
    @tag(feature="sync")
    def sync_fn() -> dict[str, str]:
        return dict(current_tag_attributes())

    @tag(feature="async", session_id="s1")
    async def async_fn() -> dict[str, str]:
        await asyncio.sleep(0)
        return dict(current_tag_attributes())

    assert sync_fn()["otel_llm.feature"] == "sync"
    result = asyncio.run(async_fn())
    assert result["otel_llm.feature"] == "async"
    assert result["session.id"] == "s1"


def test_concurrent_tasks_do_not_see_each_others_tags() -> None:
    async def worker(name: str) -> str:
        with tag(user_id=name):
            await asyncio.sleep(0.001)
            return current_tag_attributes()["enduser.id"]

    async def main() -> list[str]:
        return await asyncio.gather(*(worker(f"user{i}") for i in range(20)))

    assert asyncio.run(main()) == [f"user{i}" for i in range(20)]


def test_threads_started_with_a_copied_context_inherit_tags() -> None:
    seen: list[str] = []
    with tag(feature="batch"):
        ctx = contextvars.copy_context()
    thread = threading.Thread(target=lambda: seen.append(ctx.run(current_tag_attributes)["otel_llm.feature"]))
    thread.start()
    thread.join()
    assert seen == ["batch"]


def test_baggage_from_upstream_applies_when_no_local_tag() -> None:
    ctx = baggage.set_baggage("otel_llm.feature", "search", baggage.set_baggage("user.id", "acme"))
    token = context.attach(ctx)
    try:
        assert current_tag_attributes()["otel_llm.feature"] == "search"
        assert current_tag_attributes()["enduser.id"] == "acme"
        with tag(feature="local"):
            assert current_tag_attributes()["otel_llm.feature"] == "local"
            assert current_tag_attributes()["enduser.id"] == "acme"
    finally:
        context.detach(token)


def test_default_feature_for_untagged_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_LLM_DEFAULT_FEATURE", "untagged")
    assert current_tag_attributes()["otel_llm.feature"] == "untagged"
    with tag(feature="x"):
        assert current_tag_attributes()["otel_llm.feature"] == "x"
