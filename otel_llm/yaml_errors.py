"""One line for a YAML syntax error, for the messages a user reads.

PyYAML's own text spans four or more lines (the context, a quoted excerpt of the file with a
caret, the problem, another excerpt): printed as is, it breaks the one-line error rule and
buries the line number. :func:`yaml_problem` keeps what the user needs: where, and what.
"""

from __future__ import annotations

import yaml

__all__ = ["yaml_problem"]


def yaml_problem(error: yaml.YAMLError) -> str:
    """``"line 4, column 1: expected ',' or ']', but got '<stream end>' (while parsing a flow
    sequence from line 3)"``; a YAML error without a position gives its text on one line."""
    if not isinstance(error, yaml.MarkedYAMLError) or error.problem_mark is None:
        return " ".join(str(error).split())
    mark = error.problem_mark
    text = f"line {mark.line + 1}, column {mark.column + 1}: {error.problem}"
    if error.context:
        start = error.context_mark
        text += f" ({error.context}" + (f" from line {start.line + 1})" if start is not None else ")")
    return text
