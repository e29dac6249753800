"""Settings from environment variables, parsed the OpenTelemetry way: a public API.

A bad value never raises: it falls back to the default and logs once why, as the OpenTelemetry
SDK does for its own ``OTEL_*`` variables. Public so that the collector (a package of its own,
``otel_llm_collector``) parses its variables exactly like otel-llm does without reaching into a
private module; inside ``otel_llm`` the same helpers are imported from ``otel_llm._env``.

- :func:`env_str` (unset or empty: the default), :func:`env_bool` (``true/1/yes/on``,
  ``false/0/no/off``), :func:`env_int` / :func:`env_float` (with an optional minimum) and
  :func:`env_choice` (one of a fixed set, case-insensitive).
"""

from __future__ import annotations

from otel_llm._env import env_bool, env_choice, env_float, env_int, env_str

__all__ = ["env_bool", "env_choice", "env_float", "env_int", "env_str"]
