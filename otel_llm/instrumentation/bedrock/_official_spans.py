"""Switching off the official botocore instrumentation's Bedrock GenAI spans, so a call is counted once.

``opentelemetry-bootstrap`` installs ``opentelemetry-instrumentation-botocore`` wherever boto3 is.
It wraps the same ``BaseClient._make_api_call`` and, for ``bedrock-runtime``, loads a service
extension that puts ``gen_ai.usage.*`` on its span: with ours, the call would carry usage twice,
and the ClickHouse views (which price other projects' GenAI spans too) would count it twice.

Its extensions are looked up per call in one module-level table (``_BOTOCORE_EXTENSIONS``,
service name -> loader) that its instrumentor keeps a reference to. Taking the ``bedrock-runtime``
row out makes it trace Bedrock calls like any other AWS call: a plain AWS SDK span (``rpc.*``,
no ``gen_ai.*``), still there for latency and errors, whichever of the two wrappers is outermost
and whichever was instrumented first. ``restore()`` puts the row back. If that package is absent
or its layout changed, nothing happens (logged at debug level): both spans are then kept.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, MutableMapping
from typing import Any

from otel_llm.instrumentation._guard import report_bug

__all__ = ["OfficialBedrockSpans"]

_log = logging.getLogger(__name__)
_EXTENSIONS_MODULE = "opentelemetry.instrumentation.botocore.extensions"
_TABLE = "_BOTOCORE_EXTENSIONS"
_SERVICE = "bedrock-runtime"


def _table() -> MutableMapping[str, Callable[[], Any]] | None:
    try:
        module = importlib.import_module(_EXTENSIONS_MODULE)
    except ImportError:
        return None
    table = getattr(module, _TABLE, None)
    if not isinstance(table, MutableMapping):
        _log.debug("otel-llm: %s.%s not found; the official Bedrock spans are kept", _EXTENSIONS_MODULE, _TABLE)
        return None
    return table


class OfficialBedrockSpans:
    def __init__(self) -> None:
        self._removed: Callable[[], Any] | None = None

    def install(self) -> bool:
        """Takes Bedrock Runtime out of the official instrumentation's extension table (a
        :class:`~otel_llm.instrumentation._instrumentor.SpanSilencer`); True when it was there."""
        try:
            table = _table()
            if table is not None and _SERVICE in table:
                self._removed = table.pop(_SERVICE)
        except Exception as exc:
            report_bug("bedrock.official_spans.silence", exc)
        return self._removed is not None

    def uninstall(self) -> None:
        removed, self._removed = self._removed, None
        if removed is None:
            return
        try:
            table = _table()
            if table is not None:
                table.setdefault(_SERVICE, removed)
        except Exception as exc:
            report_bug("bedrock.official_spans.restore", exc)
