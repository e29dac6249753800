"""``otel-llm ui``: a read-only cost dashboard in the browser, over the CLI's query layer.

Pages (overview, users, calls, savings, alerts) are rendered on the server, charts as inline SVG, from
the named reads of ``otel_llm.query``: the numbers are the ones ``otel-llm report`` and ``top``
print for the same window. Every asset is served from this package (works offline). The
server module says why it is safe to leave running.
"""

from otel_llm.ui.data import Settings
from otel_llm.ui.server import DashboardServer, check_bind, make_server
from otel_llm.ui.view import BadParameter, View, parse_view

__all__ = ["BadParameter", "DashboardServer", "Settings", "View", "check_bind", "make_server", "parse_view"]
