"""error.type: low cardinality, and never a success status."""

from __future__ import annotations

import pytest

from otel_llm.instrumentation._lifecycle import error_type


class _StatusError(Exception):
    def __init__(self, status_code: object) -> None:
        super().__init__("boom")
        self.status_code = status_code


@pytest.mark.parametrize(
    ("status", "expected"),
    [(429, "429"), (500, "500"), (200, "_StatusError"), (None, "_StatusError"), (True, "_StatusError")],
)
def test_error_type_uses_only_error_statuses(status: object, expected: str) -> None:
    assert error_type(_StatusError(status)) == expected


def test_plain_exceptions_are_named_by_class() -> None:
    assert error_type(TimeoutError()) == "TimeoutError"


class _CodeError(Exception):
    """Like google-genai's ``APIError``: the HTTP status is ``code``, not ``status_code``."""

    def __init__(self, code: object) -> None:
        super().__init__("boom")
        self.code = code


@pytest.mark.parametrize(
    ("code", "expected"), [(429, "429"), (503, "503"), (200, "_CodeError"), (1, "_CodeError"), ("x", "_CodeError")]
)
def test_error_type_reads_an_http_code_named_code(code: object, expected: str) -> None:
    assert error_type(_CodeError(code)) == expected
