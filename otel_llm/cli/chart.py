"""``report --chart``: cost over time, one line per value of the first grouping, as a PNG."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from pathlib import Path

from otel_llm.cli._png import Canvas, Color
from otel_llm.query import Result

__all__ = ["HEIGHT", "MAX_SERIES", "PALETTE", "WIDTH", "draw_cost_chart"]

WIDTH, HEIGHT = 900, 420
MAX_SERIES = 8  # more lines are unreadable: the rest are summed into "other"
PALETTE: tuple[Color, ...] = (
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40),
    (148, 103, 189), (140, 86, 75), (227, 119, 194), (127, 127, 127), (23, 190, 207),
)
_LEFT, _RIGHT, _TOP, _BOTTOM = 90, 220, 20, 40
_AXIS: Color = (60, 60, 60)
_GRID: Color = (225, 225, 225)


def _series(result: Result) -> tuple[list[dt.datetime], dict[str, dict[dt.datetime, float]]]:
    by_series: dict[str, dict[dt.datetime, float]] = defaultdict(dict)
    for name, moment, cost in result.rows:
        if isinstance(moment, str):
            moment = dt.datetime.fromisoformat(moment)
        by_series[str(name) or "total"][moment] = float(cost)
    ranked = sorted(by_series, key=lambda s: (-sum(by_series[s].values()), s))
    kept = ranked if len(ranked) <= MAX_SERIES else ranked[:MAX_SERIES - 1]
    series = {name: by_series[name] for name in kept}
    if len(kept) < len(ranked):
        other: dict[dt.datetime, float] = defaultdict(float)
        for name in ranked[len(kept):]:
            for moment, cost in by_series[name].items():
                other[moment] += cost
        series["other"] = dict(other)
    times = sorted({t for points in series.values() for t in points})
    return times, series


def draw_cost_chart(result: Result, path: str | Path) -> list[tuple[str, Color]]:
    """Write the chart; returns the legend (series name, colour) in drawing order."""
    times, series = _series(result)
    canvas = Canvas(WIDTH, HEIGHT)
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    top = max((c for points in series.values() for c in points.values()), default=0.0) or 1.0
    for i in range(5):
        y = _TOP + plot_h - plot_h * i // 4
        canvas.line(_LEFT, y, _LEFT + plot_w, y, _GRID)
        canvas.text(4, y - 5, f"${top * i / 4:.4g}", _AXIS)
    canvas.line(_LEFT, _TOP, _LEFT, _TOP + plot_h, _AXIS, 2)
    canvas.line(_LEFT, _TOP + plot_h, _LEFT + plot_w, _TOP + plot_h, _AXIS, 2)
    if times:
        canvas.text(_LEFT, HEIGHT - 25, times[0].strftime("%m-%d %H:%M"), _AXIS)
        canvas.text(_LEFT + plot_w - 88, HEIGHT - 25, times[-1].strftime("%m-%d %H:%M"), _AXIS)
    x_of = {t: _LEFT + (plot_w * i // max(len(times) - 1, 1)) for i, t in enumerate(times)}
    legend = []
    for index, (name, points) in enumerate(series.items()):
        color = PALETTE[index % len(PALETTE)]
        coords = [(x_of[t], _TOP + plot_h - round(plot_h * points.get(t, 0.0) / top)) for t in times]
        for (x0, y0), (x1, y1) in itertools.pairwise(coords):
            canvas.line(x0, y0, x1, y1, color, 3)
        for x, y in coords:
            canvas.rect(x - 3, y - 3, x + 4, y + 4, color)
        ly = _TOP + 10 + index * 22
        canvas.rect(WIDTH - _RIGHT + 15, ly, WIDTH - _RIGHT + 31, ly + 10, color)
        canvas.text(WIDTH - _RIGHT + 38, ly, name[:21], _AXIS)
        legend.append((name, color))
    canvas.save(path)
    return legend
