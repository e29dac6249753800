"""``report --chart`` looked at: one bucket (a fresh store) and thirty days, checked through
matplotlib's own figure objects (texts, ticks, data) and the written PNG's pixels."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from matplotlib import colors as mcolors
from matplotlib import image as mimage
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from otel_llm.cli.chart import MAX_SERIES, cost_figure, draw_cost_chart
from otel_llm.query import Result
from tests.cli.newcomer import one_line, otel_llm

COLUMNS = ["series", "t", "cost"]
LONG = "claude-sonnet-4-5-20250929"  # was drawn as "CLAUDE-SONNET-4-5-202"
HOUR = dt.datetime(2026, 12, 7, 6)
DAY0 = dt.datetime(2026, 11, 7)


def one_bucket() -> Result:
    return Result(COLUMNS, [("document_analysis", HOUR, Decimal("0.0057098")), (LONG, HOUR, Decimal("0.0005718"))])


def thirty_days() -> Result:
    rows = [(name, DAY0 + dt.timedelta(days=i), Decimal(str(round((k + 1) * 0.01 * (1.2 + math.sin(i / 3 + k)), 6))))
            for i in range(30) for k, name in enumerate(["gpt-4o", "gpt-4o-mini", LONG])]
    return Result(COLUMNS, rows)


def _drawn(result: Result, grouping: str = "model") -> tuple[Figure, Axes]:
    figure = cost_figure(result, grouping)
    FigureCanvasAgg(figure).draw()  # lays out ticks and the legend as the PNG gets them
    [axes] = figure.axes
    return figure, axes


def _pixels_of(png: Path, color: str) -> np.ndarray:
    """Boolean mask of the pixels drawn in ``color`` (a matplotlib colour spec)."""
    image = mimage.imread(str(png))[:, :, :3]
    return np.all(np.abs(image - np.array(mcolors.to_rgb(color))) < 0.02, axis=2)


def test_one_bucket_is_one_labelled_bar_per_series(tmp_path: Path) -> None:
    figure, axes = _drawn(one_bucket(), "feature")
    assert axes.get_title() == "LLM cost by feature, 2026-12-07 06:00-07:00 UTC (one hour of data)"
    assert axes.get_xlabel() == "feature" and axes.get_ylabel() == "cost (USD)"
    legend = [t.get_text() for t in axes.get_legend().get_texts()]
    assert legend == ["document_analysis  $0.00571", f"{LONG}  $0.0005718"]  # as stored: not upper-cased, not cut
    heights = [bar.get_height() for bar in axes.patches]
    assert heights == pytest.approx([0.0057098, 0.0005718])
    assert [t.get_text() for t in axes.get_xticklabels()] == ["document_analysis", LONG]
    assert [t.get_text() for t in axes.texts if t.get_text().startswith("$")] == ["$0.00571", "$0.0005718"]
    inside = figure.bbox
    assert all(inside.contains(*corner) for corner in axes.get_legend().get_window_extent().corners())

    path = tmp_path / "one.png"
    assert draw_cost_chart(one_bucket(), path, "feature") == ["document_analysis", LONG]
    blue, orange = _pixels_of(path, "C0"), _pixels_of(path, "C1")
    width = blue.shape[1]
    # Each bar is a wide block, side by side across the plot: not a dot at the left edge.
    blue_columns, orange_columns = np.flatnonzero(blue.any(axis=0)), np.flatnonzero(orange.any(axis=0))
    assert blue.sum() > 50_000 and orange.sum() > 5_000
    assert blue_columns.min() < width * 0.2 and orange_columns.max() > width * 0.6


def test_thirty_days_are_thirty_points_per_line_with_distinct_dates(tmp_path: Path) -> None:
    _, axes = _drawn(thirty_days())
    assert axes.get_title() == "LLM cost by model, per day (UTC)"
    assert axes.get_xlabel() == "day (UTC)" and axes.get_ylabel() == "cost (USD)"
    lines = axes.get_lines()
    assert [len(line.get_xdata()) for line in lines] == [30, 30, 30]
    legend = [t.get_text().split("  ")[0] for t in axes.get_legend().get_texts()]
    assert LONG in legend and len(legend) == 3
    ticks = [t.get_text() for t in axes.get_xticklabels() if t.get_text()]
    assert len(ticks) >= 4 and len(set(ticks)) == len(ticks), ticks

    path = tmp_path / "month.png"
    draw_cost_chart(thirty_days(), path, "model")
    for color in ("C0", "C1", "C2"):
        columns = np.flatnonzero(_pixels_of(path, color).any(axis=0))
        assert columns.max() - columns.min() > 500, color  # a line across the plot, 1100 px wide image


def test_hours_over_a_day_are_labelled_by_hour() -> None:
    rows = [("chat", HOUR + dt.timedelta(hours=h), Decimal("0.01")) for h in range(12)]
    _, axes = _drawn(Result(COLUMNS, rows), "feature")
    assert axes.get_title() == "LLM cost by feature, per hour (UTC)"
    ticks = [t.get_text() for t in axes.get_xticklabels() if t.get_text()]
    assert len(set(ticks)) == len(ticks) >= 3 and any(":" in t for t in ticks), ticks


def test_past_the_series_limit_the_cheapest_are_summed_into_other() -> None:
    rows = [(f"feature-{i}", DAY0 + dt.timedelta(days=d), Decimal(i + 1)) for i in range(12) for d in range(2)]
    _, axes = _drawn(Result(COLUMNS, rows), "feature")
    names = [t.get_text().split("  ")[0] for t in axes.get_legend().get_texts()]
    assert len(names) == MAX_SERIES and names[-1] == "other" and names[0] == "feature-11"
    other = axes.get_lines()[-1]
    assert list(other.get_ydata()) == [sum(range(1, 6))] * 2  # features 0..4 cost 1..5 a day


def test_chart_without_matplotlib_names_the_extra(tmp_path: Path) -> None:
    done = otel_llm("report", "--endpoint", f"chdb://{tmp_path}/store", "--chart", str(tmp_path / "c.png"),
                    hide=["matplotlib"])
    assert done.returncode == 2
    line = one_line(done.stderr)
    assert line == 'otel-llm report: matplotlib is not installed: pip install "otel-llm[chart]"'
    assert not (tmp_path / "store").exists()  # said before the store was opened
