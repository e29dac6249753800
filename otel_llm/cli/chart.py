"""``report --chart``: cost over time, one line per value of the first grouping, as a PNG.

Drawn with matplotlib (the ``[chart]`` extra): dates, tick placement, legends and text layout
are what a chart is made of, and a hand-written pixel writer got each of them wrong (one dot at
the left edge for a single bucket, identical tick labels, upper-cased and cut legend names).
The figure is built without pyplot, so no global backend or state is touched.

Several buckets are lines over time (the x axis spans the data padded by one bucket, ticks
labelled by matplotlib's concise date formatter, so no two read the same). A single bucket (a
fresh store, a narrow window) has no "over time": it is one bar per series, its cost written on
it, and the bucket named in the title. The legend keeps each name as stored, with its total,
most expensive first.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from otel_llm.query import Result

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["MAX_SERIES", "cost_figure", "draw_cost_chart", "require_matplotlib"]

MAX_SERIES = 8  # more lines are unreadable: the rest are summed into "other"
_SIZE_INCHES, _DPI = (11.0, 5.0), 100
_HOUR, _DAY = dt.timedelta(hours=1), dt.timedelta(days=1)

Series = dict[str, dict[dt.datetime, float]]


def _series(result: Result, grouping: str) -> Series:
    """Cost per bucket for each series, most expensive first, the tail summed into ``other``."""
    by_series: Series = defaultdict(dict)
    for name, moment, cost in result.rows:
        if isinstance(moment, str):
            moment = dt.datetime.fromisoformat(moment)
        label = str(name) if name not in (None, "") else ("total" if grouping == "day" else f"(no {grouping})")
        by_series[label][moment] = float(cost)
    ranked = sorted(by_series, key=lambda s: (-sum(by_series[s].values()), s))
    kept = ranked if len(ranked) <= MAX_SERIES else ranked[:MAX_SERIES - 1]
    series = {name: by_series[name] for name in kept}
    if len(kept) < len(ranked):
        other: dict[dt.datetime, float] = defaultdict(float)
        for name in ranked[len(kept):]:
            for moment, cost in by_series[name].items():
                other[moment] += cost
        series["other"] = dict(other)
    return series


def _bucket(times: list[dt.datetime]) -> dt.timedelta:
    """The rollup bucket the rows come in: the smallest step between them; a lone bucket at
    midnight is a day (report reads days for windows over three days), else an hour."""
    steps = [b - a for a, b in itertools.pairwise(times)]
    if steps:
        return min(steps)
    return _DAY if times and times[0].time() == dt.time(0) else _HOUR


def require_matplotlib() -> None:
    """Raise the ModuleNotFoundError now, before a report's query, when the extra is missing."""
    import matplotlib  # noqa: F401


def cost_figure(result: Result, grouping: str = "feature") -> Figure:
    """The chart as a matplotlib Figure (rows: series name, bucket start, cost in USD)."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    series = _series(result, grouping)
    times = sorted({t for points in series.values() for t in points})
    bucket = _bucket(times)
    step = "day" if bucket >= _DAY else "hour"
    figure = Figure(figsize=_SIZE_INCHES, dpi=_DPI, layout="constrained")
    axes = figure.add_subplot()
    axes.set_ylabel("cost (USD)")
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"${value:,.4g}"))
    axes.grid(True, axis="y", color="#e5e5e5")
    axes.set_axisbelow(True)
    labels = [f"{name}  ${sum(points.values()):,.4g}" for name, points in series.items()]
    if len(times) == 1:
        start = times[0]
        when = f"{start:%Y-%m-%d}" if step == "day" else f"{start:%Y-%m-%d %H:%M}-{start + bucket:%H:%M}"
        axes.set_title(f"LLM cost by {grouping}, {when} UTC (one {step} of data)")
        axes.set_xlabel(grouping)
        colors = [f"C{i}" for i in range(len(series))]
        bars = axes.bar(list(series), [points[start] for points in series.values()], color=colors, label=labels)
        axes.bar_label(bars, labels=[f"${points[start]:,.4g}" for points in series.values()], padding=3)
        axes.tick_params(axis="x", labelrotation=15 if len(series) > 3 else 0)
    else:
        axes.set_title(f"LLM cost by {grouping}, per {step} (UTC)")
        axes.set_xlabel(f"{step} (UTC)")
        for name, label in zip(series, labels, strict=True):
            xs = [t for t in times if t in series[name]]
            axes.plot(xs, [series[name][t] for t in xs], marker="o", markersize=5, linewidth=2, label=label)
        if times:
            axes.set_xlim(times[0] - bucket, times[-1] + bucket)
            locator = AutoDateLocator(minticks=3, maxticks=10)
            axes.xaxis.set_major_locator(locator)
            axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        else:
            axes.text(0.5, 0.5, "no calls in this window", ha="center", va="center", transform=axes.transAxes)
    axes.set_ylim(bottom=0, top=axes.get_ylim()[1] * 1.08)  # room for the bars' labels
    if series:
        axes.legend(title=grouping, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return figure


def draw_cost_chart(result: Result, path: str | Path, grouping: str = "feature") -> list[str]:
    """Write the chart as PNG; returns the legend's series names, in drawing order."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = cost_figure(result, grouping)
    FigureCanvasAgg(figure).print_png(str(path))
    return list(_series(result, grouping))
