"""``python -m otel_llm_collector.healthcheck``: exit 0 when this machine's collector answers ``/healthz``.

For container health checks (the Dockerfile's HEALTHCHECK). It resolves its settings as the
collector does (flags, env, the ``--config`` / ``OTEL_LLM_COLLECTOR_CONFIG`` YAML file), so a changed
port or TLS being on does not turn a healthy collector "unhealthy". It is a separate process,
though: it sees the container's env, not the collector's command line. Settings given as flags
(``docker run IMAGE --http-port 4319``) must be given to the check as well
(``python -m otel_llm_collector.healthcheck --http-port 4319``), or, simpler, set as env for both.
The certificate is not verified: the check asks whether the process serves, on loopback, not who
it is.
"""

from __future__ import annotations

import http.client
import ssl
import sys
import urllib.request
from collections.abc import Sequence

from otel_llm_collector.config import ConfigError, load_config

__all__ = ["main"]

_TIMEOUT_S = 2.0


def health_url(argv: Sequence[str] | None = None) -> str:
    """Where the collector configured by these flags (None: ``sys.argv``) and env serves ``/healthz``."""
    return load_config(argv).local_url + "/healthz"


def main(argv: Sequence[str] | None = None) -> int:
    try:
        url = health_url(argv)
    except ConfigError as exc:
        print(f"healthcheck: {exc}", file=sys.stderr)
        return 1
    except SystemExit as exc:  # argparse: a bad flag exits 2, which Docker reserves; --help exits 0
        return 1 if exc.code else 0
    context = ssl._create_unverified_context() if url.startswith("https") else None
    try:
        with urllib.request.urlopen(url, timeout=_TIMEOUT_S, context=context) as response:
            return 0 if response.status == 200 else 1
    except (OSError, http.client.HTTPException) as exc:  # refused, timed out, or not HTTP (BadStatusLine)
        print(f"healthcheck: {url}: {type(exc).__name__}: {str(exc).strip()}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
