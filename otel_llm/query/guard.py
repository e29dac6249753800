"""What a user's SQL may run, decided on ClickHouse's own parse of the query, before anything runs.

Used by both places a person types SQL: the collector's SQL endpoint (network input) and
``otel-llm sql`` on a store it opens itself (the embedded engine runs every statement of a
multi-statement text and writes INTO OUTFILE in its client half, so ``readonly=1`` alone left
``SELECT 1; TRUNCATE ...`` and file reads and writes possible there too). Both refuse the same
queries with the same one-line reasons.

The engine parses the text: ``SELECT parseQueryToJSON({q:String})`` runs ClickHouse's real parser
(linear in the input, bounded by ``max_query_size`` and ``max_parser_depth``) on the query passed
as a bound parameter, so the query is parsed, never executed, and no string of ours is spliced
into SQL. This module walks the tree that comes back. Why each rule exists:

- **One statement.** The parser refuses ``a; b`` ("Multi-statements are not allowed"). The
  embedded engine runs every statement of a multi-statement text, and a per-query ``SETTINGS``
  clause reaches only the last one: ``SELECT 1; TRUNCATE TABLE ...; SELECT 1`` emptied a table.
- **Statement kinds:** SELECT (with WITH, UNION, INTERSECT, EXCEPT), SHOW TABLES / DATABASES /
  COLUMNS, and EXPLAIN of a SELECT. DESCRIBE, EXISTS and SHOW CREATE have no JSON form, so what
  they name cannot be inspected: ``DESC url(...)`` fetches the URL to infer its columns even in
  read-only mode. ``SHOW COLUMNS FROM table`` answers what DESCRIBE would.
- **No INTO OUTFILE.** The embedded engine writes the file in its client half, which
  ``readonly=1`` does not cover: ``SELECT 'x' INTO OUTFILE 'f'`` wrote ``f``.
- **No FORMAT clause.** The endpoint picks the output format (JSON rows it can cap and check).
- **Table functions from an allow-list** of generators that read nothing outside the engine.
  ``readonly=1`` already refuses most others (they need ``CREATE TEMPORARY TABLE``); the list
  keeps it so on a server whose user may create temporary tables.
- **No function that reaches outside the engine:** ``file()`` reads any path in the embedded
  engine (clickhouse-local skips the ``user_files_path`` check), the AI functions call model APIs,
  introspection functions read the binary and write the server log, naive Bayes loads model
  files; user-defined functions (SQL, executable, WebAssembly) hide bodies this walk cannot see,
  and executable ones run programs. The names come from the engine's own ``system.functions``.
- **Parameters only as ``{name:Type}`` placeholders**, bound by the engine. The names found are
  returned, so a request whose parameters the query does not use is refused: clickhouse-connect
  would otherwise format them into the text with Python's ``%`` (``SELECT '100%'`` then failed
  with a traceback, and client-side formatting is string splicing).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

__all__ = ["QueryRefused", "QuerySyntaxError", "check_query", "check_statement", "denied_functions", "parse"]

_STATEMENTS = frozenset({"SelectWithUnionQuery", "SelectIntersectExceptQuery", "ShowTablesQuery", "ShowColumnsQuery"})
_SELECTS = frozenset({"SelectWithUnionQuery", "SelectIntersectExceptQuery"})
_EXPLAIN_KINDS = frozenset(
    {"EXPLAIN", "EXPLAIN AST", "EXPLAIN SYNTAX", "EXPLAIN QUERY TREE", "EXPLAIN PIPELINE", "EXPLAIN ESTIMATE"}
)
_TABLE_FUNCTIONS = frozenset(
    name.lower() for name in ("numbers", "numbers_mt", "generate_series", "generateSeries", "values", "null")
)
_OUTSIDE_CATEGORIES = ("AI", "Introspection")
_OUTSIDE_FUNCTIONS = (
    "file",
    "naiveBayesClassifier",
    "naiveBayesClassifierWithProb",
    "naiveBayesClassifierWithAllProbs",
    "catboostEvaluate",
)
_ALLOWED = "SELECT, WITH, SHOW TABLES/DATABASES/COLUMNS and EXPLAIN of a SELECT"
_NO_JSON_FORM = "not supported by parseQueryToJSON"
# How the engine quotes the statement that failed; for a syntax error that is our parse wrapper,
# never the user's text, so the message ends where it begins.
_WRAPPER_SCOPE = ": In scope SELECT parseQueryToJSON("
_ENGINE_CODE = "Code: "


class QueryRefused(ValueError):
    """The query is one the endpoint never runs (HTTP 403); the message names what to do instead."""


class QuerySyntaxError(ValueError):
    """The engine could not parse the query (several statements included): its own message about
    the user's text, one line (HTTP 400)."""


def check_query(client: Client, query: str, denied: frozenset[str] | None = None) -> frozenset[str]:
    """Parses ``query`` and raises unless it is one statement the guard allows; returns its
    ``{name:Type}`` parameter names. ``denied`` (from :func:`denied_functions`) is read from the
    engine when not given."""
    tree = parse(client, query)
    return check_statement(tree, denied_functions(client) if denied is None else denied)


def parse(client: Client, query: str) -> dict[str, Any]:
    """ClickHouse's parse tree of ``query``; :class:`QueryRefused` for a statement kind it cannot
    show (DESCRIBE, EXISTS, SHOW CREATE, ...), :class:`QuerySyntaxError` for one it cannot parse
    (several statements included); other engine errors as the client raised them. Nothing runs."""
    from clickhouse_connect.driver.exceptions import DatabaseError

    try:
        text = client.raw_query("SELECT parseQueryToJSON({q:String})", parameters={"q": query}, fmt="RawBLOB")
    except DatabaseError as exc:
        if _NO_JSON_FORM in str(exc):  # parsed, but of a kind with no JSON form (DESCRIBE, INSERT ... VALUES)
            raise QueryRefused(f"only {_ALLOWED} are answered here (for DESCRIBE: SHOW COLUMNS FROM <table>)") from exc
        if "(SYNTAX_ERROR)" in str(exc):
            raise QuerySyntaxError(_syntax_message(str(exc))) from exc
        raise  # the engine's own words: a query too deep, the store unreachable
    try:
        tree = json.loads(text)
    except RecursionError as exc:  # deeper than Python's JSON reader goes
        raise QueryRefused("query nests too deeply") from exc
    if not isinstance(tree, dict):
        raise QueryRefused("the engine returned no parse tree for this query")
    return tree


def _syntax_message(error: str) -> str:
    """The engine's syntax message about the user's query, one line, as ClickHouse words it for the
    query itself (``Code: 62. DB::Exception: Syntax error: ... (SYNTAX_ERROR)``): without the
    driver's preamble and the ``In scope SELECT parseQueryToJSON('...')`` of our wrapper."""
    start = error.find(_ENGINE_CODE)
    text = error[start:] if start >= 0 else error
    end = text.find(_WRAPPER_SCOPE)
    text = " ".join((text[:end] if end >= 0 else text).split()).rstrip(" :.")
    return f"{text}. (SYNTAX_ERROR)"


def denied_functions(client: Client) -> frozenset[str]:
    """Lower-cased names (aliases included) of the functions that reach outside the engine or hide
    their bodies, read from the engine itself so a new AI function or a user's UDF is covered."""
    rows = client.query(
        "SELECT lower(name) FROM system.functions WHERE origin != 'System' "
        "OR hasAny(splitByString(', ', categories), {categories:Array(String)}) "
        "OR lower(name) IN {names:Array(String)} OR lower(alias_to) IN {names:Array(String)}",
        parameters={"categories": list(_OUTSIDE_CATEGORIES), "names": [n.lower() for n in _OUTSIDE_FUNCTIONS]},
    ).result_rows
    return frozenset(row[0] for row in rows) | {n.lower() for n in _OUTSIDE_FUNCTIONS}


def check_statement(tree: dict[str, Any], denied: frozenset[str]) -> frozenset[str]:
    """Raises :class:`QueryRefused` unless ``tree`` is a statement the endpoint runs; returns the
    names of its ``{name:Type}`` parameters."""
    kind = tree.get("type")
    if kind == "ExplainQuery":
        inner = tree.get("query")
        if tree.get("kind") not in _EXPLAIN_KINDS or not isinstance(inner, dict) or inner.get("type") not in _SELECTS:
            raise QueryRefused(f"only {_ALLOWED} are answered here")
    elif kind not in _STATEMENTS:
        raise QueryRefused(f"only {_ALLOWED} are answered here, not {kind}")
    parameters: set[str] = set()
    for node in _nodes(tree):
        if "out_file" in node:
            raise QueryRefused("INTO OUTFILE is never run here: the endpoint answers with JSON")
        if "format_ast" in node:
            raise QueryRefused("a FORMAT clause is not accepted: the endpoint answers with JSON")
        table_function = node.get("table_function")
        if isinstance(table_function, dict) and str(table_function.get("name", "")).lower() not in _TABLE_FUNCTIONS:
            allowed = ", ".join(sorted(_TABLE_FUNCTIONS))
            raise QueryRefused(f"table function {table_function.get('name')}() is not allowed (allowed: {allowed})")
        if node.get("type") == "Function" and str(node.get("name", "")).lower() in denied:
            raise QueryRefused(f"function {node.get('name')}() reaches outside the database and is not allowed")
        if node.get("type") == "QueryParameter":
            parameters.add(str(node.get("name")))
    return frozenset(parameters)


def _nodes(tree: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every object in the tree, without recursion (a deep query must not exhaust the stack)."""
    stack: list[Any] = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
