"""Delivering firings: one stdout line per rule (for cron mail and CI logs) and a JSON webhook."""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Sequence

from otel_llm.alerts.evaluate import Firing

__all__ = ["post_webhook", "webhook_payload"]

_log = logging.getLogger("otel_llm.alerts")


def webhook_payload(firings: Sequence[Firing], evaluated_at: dt.datetime) -> dict[str, object]:
    """The JSON body: ``{"source", "evaluated_at", "alerts": [{name, kind, threshold, groups, message}]}``;
    ``text`` repeats the lines so Slack-style incoming webhooks show something readable."""
    return {
        "source": "otel-llm",
        "evaluated_at": evaluated_at.isoformat() + "Z",
        "alerts": [f.as_json() for f in firings],
        "text": "\n".join(f.line for f in firings),
    }


def post_webhook(url: str, firings: Sequence[Firing], evaluated_at: dt.datetime, timeout_s: float = 10.0) -> bool:
    """POST the firings; a failing webhook is reported and returns False, it never hides the alert."""
    body = json.dumps(webhook_payload(firings, evaluated_at)).encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "otel-llm"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            response.read()
    except (urllib.error.URLError, OSError) as exc:
        _log.error("alert webhook %s failed: %s", url.split("?")[0], exc)
        return False
    return True
