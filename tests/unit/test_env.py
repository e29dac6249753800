"""Environment settings: bad values fall back to the default and say why."""

from __future__ import annotations

import logging

import pytest

from otel_llm._env import env_bool, env_choice, env_float, env_int, env_reader, env_str


def test_bad_values_fall_back_and_log(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("X_INT", "lots")
    monkeypatch.setenv("X_BOOL", "maybe")
    with caplog.at_level(logging.WARNING):
        assert env_int("X_INT", 7) == 7
        assert env_bool("X_BOOL", True) is True
    assert "X_INT" in caplog.text and "X_BOOL" in caplog.text


def test_good_values_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_INT", " 42 ")
    monkeypatch.setenv("X_BOOL", "FALSE")
    monkeypatch.setenv("X_FLOAT", "2.5")
    monkeypatch.setenv("X_CHOICE", "span_only")
    assert env_int("X_INT", 0) == 42
    assert env_bool("X_BOOL", True) is False
    assert env_float("X_FLOAT", 0.0) == 2.5
    assert env_choice("X_CHOICE", "NO_CONTENT", ["NO_CONTENT", "SPAN_ONLY"]) == "SPAN_ONLY"


def test_minimum_is_enforced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_INT", "-1")
    assert env_int("X_INT", 5, minimum=0) == 5


@pytest.mark.parametrize("raw", ["nan", "inf", "-inf", "Infinity"])
def test_a_number_that_is_not_finite_falls_back(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, raw: str
) -> None:
    monkeypatch.setenv("X_FLOAT", raw)
    with caplog.at_level(logging.WARNING):
        assert env_float("X_FLOAT", 5.0, minimum=0.0) == 5.0
    assert "X_FLOAT" in caplog.text


def test_a_reader_sees_what_env_str_sees_after_every_change(monkeypatch: pytest.MonkeyPatch) -> None:
    """Made once, read per call: a variable set, changed or removed later is seen at once."""
    monkeypatch.delenv("X_READ", raising=False)
    read = env_reader("X_READ")
    assert read() is None
    for value in ("checkout", "  padded  ", "   ", ""):
        monkeypatch.setenv("X_READ", value)
        assert read() == env_str("X_READ")
    assert read() is None  # blank reads as unset, as env_str says
    monkeypatch.setenv("X_READ", "search")
    assert read() == "search"
    monkeypatch.delenv("X_READ")
    assert read() is None
