"""``--help`` text from the modules' docstrings, without their reStructuredText markup.

Command modules keep their docstrings as the one description of what a command does (the
parser shows them as is), and those docstrings use Sphinx markup (````otel-llm demo````,
``:class:`X```), which reads as noise in a terminal.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

__all__ = ["CliParser", "plain"]

_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")
_LITERAL = re.compile(r"``(.+?)``")


def plain(text: str) -> str:
    """``text`` with inline literals and roles reduced to their words; a trailing ``::`` becomes ``:``."""
    text = _ROLE.sub(r"\1", text)
    text = _LITERAL.sub(r"\1", text)
    return re.sub(r"::(\s*\n)", r":\1", text)


class _PlainFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the docstrings' line breaks (their lists), strips their markup."""

    def _format_text(self, text: str) -> str:
        return super()._format_text(plain(text))

    def _expand_help(self, action: argparse.Action) -> str:
        return plain(super()._expand_help(action))


class CliParser(argparse.ArgumentParser):
    """The parser of ``otel-llm`` and of every sub-command (argparse gives sub-parsers their
    parent's class): one formatter for all, whatever a command asked for, so every ``--help``
    keeps its docstring's lines and reads as plain text."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["formatter_class"] = _PlainFormatter
        super().__init__(*args, **kwargs)
