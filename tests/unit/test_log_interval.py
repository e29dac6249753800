"""A condition that recurs at the rate of the traffic logs one line per interval, with a count."""

from __future__ import annotations

import logging
import time

import pytest

from otel_llm.log_interval import IntervalLog


def test_one_line_per_interval_and_the_next_says_how_many_were_not_shown(caplog: pytest.LogCaptureFixture) -> None:
    log = IntervalLog(logging.getLogger("tests.interval"), logging.WARNING, interval=0.3)
    with caplog.at_level(logging.WARNING, logger="tests.interval"):
        written = [log.log("accept failed: %s", n) for n in range(5)]
        time.sleep(0.35)
        written.append(log.log("accept failed: %s", 5))
    assert written == [True, False, False, False, False, True]
    assert [r.getMessage() for r in caplog.records] == [
        "accept failed: 0",
        "accept failed: 5 (4 more like it in the last 0.3 s not shown)",
    ]
