"""``python -m collector.healthcheck``: exit 0 when this machine's collector answers ``/healthz``.

For container health checks (the Dockerfile's HEALTHCHECK). It reads the same settings as the
collector (env and the ``--config`` file named by ``OTEL_LLM_COLLECTOR_CONFIG``), so a changed port
or TLS being on does not turn a healthy collector "unhealthy". The certificate is not verified:
the check asks whether the process serves, on loopback, not who it is.
"""

from __future__ import annotations

import ssl
import sys
import urllib.request

from collector.config import ConfigError, load_config

__all__ = ["main"]

_TIMEOUT_S = 2.0
# A collector listening on every interface (as in a container) answers on loopback.
_WILDCARD_TO_LOOPBACK = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


def health_url() -> str:
    """Where the collector configured by this environment serves ``/healthz``."""
    config = load_config([])
    scheme = "https" if config.tls_cert else "http"
    host = _WILDCARD_TO_LOOPBACK.get(config.host, config.host)
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}:{config.http_port}/healthz"


def main() -> int:
    try:
        url = health_url()
    except ConfigError as exc:
        print(f"healthcheck: {exc}", file=sys.stderr)
        return 1
    context = ssl._create_unverified_context() if url.startswith("https") else None
    try:
        with urllib.request.urlopen(url, timeout=_TIMEOUT_S, context=context) as response:
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"healthcheck: {url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
