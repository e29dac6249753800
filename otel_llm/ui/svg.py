"""Charts drawn on the server as inline SVG: no charting library, no script, nothing to download.

Colours are classes (``s0`` .. ``s7``, ``grid``, ``axis``) that the stylesheet sets for light and
dark mode; the SVG carries no inline style, so the page's Content-Security-Policy can forbid it.
Every bar has a ``<title>`` (its series, bucket and cost) and the chart a text alternative; the
figures below each chart repeat its numbers as a table for screen readers and copying.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from decimal import Decimal
from html import escape

from otel_llm.ui.format import money

__all__ = ["MAX_SERIES", "stacked_bars"]

MAX_SERIES = 7  # more than this are drawn as one "other" series: eight colours stay distinguishable
_W, _H = 720, 220
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 8, 10, 26


def _nice_ceiling(value: float) -> float:
    """1, 2, 2.5 or 5 times a power of ten, at least ``value``: round gridline labels."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value * (1 - 1e-12))


def _buckets(since: dt.datetime, until: dt.datetime, step: dt.timedelta) -> list[dt.datetime]:
    first = since.replace(minute=0, second=0, microsecond=0)
    if step >= dt.timedelta(days=1):
        first = first.replace(hour=0)
    out = []
    while first < until and len(out) < 1000:
        out.append(first)
        first += step
    return out


def _series(points: Sequence[tuple[str, dt.datetime, Decimal]]) -> list[tuple[str, dict[dt.datetime, Decimal]]]:
    """Series by total cost, the smallest folded into ``other`` beyond MAX_SERIES. A series with no
    priced cost is left out: the rollup's sum reads 0 for unpriced calls, and a legend entry of
    $0.00 would pass an unknown cost off as a known one (the overview lists unpriced calls)."""
    by_name: dict[str, dict[dt.datetime, Decimal]] = {}
    for name, at, cost in points:
        if cost:
            by_name.setdefault(name or "(none)", {})[at] = Decimal(str(cost))
    ranked = sorted(by_name.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    if len(ranked) <= MAX_SERIES + 1:
        return ranked
    other: dict[dt.datetime, Decimal] = {}
    for _, values in ranked[MAX_SERIES:]:
        for at, cost in values.items():
            other[at] = other.get(at, Decimal(0)) + cost
    return [*ranked[:MAX_SERIES], ("other", other)]


def stacked_bars(
    title: str, points: Sequence[tuple[str, dt.datetime, Decimal]], since: dt.datetime, until: dt.datetime,
    step: dt.timedelta,
) -> str:
    """Cost per bucket stacked by series, with a legend and a data table, as one HTML figure.
    ``points`` are (series, bucket start, priced cost) as ``usage_series`` returns them."""
    buckets = _buckets(since, until, step)
    series = _series(points)
    stacks = [sum((values.get(b, Decimal(0)) for _, values in series), Decimal(0)) for b in buckets]
    top = _nice_ceiling(float(max(stacks, default=Decimal(0))))
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    slot = plot_w / max(len(buckets), 1)
    fmt = "%b %d" if step >= dt.timedelta(days=1) else "%b %d %H:00"
    parts = [f'<svg viewBox="0 0 {_W} {_H}" role="img" aria-label="{escape(title)}: stacked bar chart; '
             f'the table below has its numbers" preserveAspectRatio="xMidYMid meet">']
    for i in range(5):
        y = _TOP + plot_h - plot_h * i / 4
        parts.append(f'<line class="grid" x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="axis" x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                     f'{escape(money(Decimal(str(top * i / 4))))}</text>')
    for index, bucket in enumerate(buckets):
        x, base = _LEFT + index * slot, 0.0
        for number, (name, values) in enumerate(series):
            cost = values.get(bucket)
            if not cost:
                continue
            height = plot_h * float(cost) / top
            y = _TOP + plot_h - base - height
            parts.append(f'<rect class="s{number}" x="{x + slot * 0.1:.1f}" y="{y:.1f}" '
                         f'width="{max(slot * 0.8, 1):.1f}" height="{max(height, 0.5):.1f}">'
                         f'<title>{escape(name)}, {bucket:{fmt}}: {escape(money(cost))}</title></rect>')
            base += height
    for index in sorted({0, len(buckets) // 2, len(buckets) - 1}):
        if 0 <= index < len(buckets):
            anchor = "start" if index == 0 else ("end" if index == len(buckets) - 1 else "middle")
            x = _LEFT + index * slot + (0 if anchor == "start" else slot if anchor == "end" else slot / 2)
            parts.append(f'<text class="axis" x="{x:.1f}" y="{_H - 8}" text-anchor="{anchor}">'
                         f'{buckets[index]:{fmt}}</text>')
    parts.append("</svg>")
    totals = [(name, escape(money(sum(values.values(), Decimal(0))))) for name, values in series]
    legend = "".join(f'<li><span class="swatch s{n}" aria-hidden="true"></span>{escape(name)}: {total}</li>'
                     for n, (name, total) in enumerate(totals))
    rows = "".join(f"<tr><th scope=row>{escape(name)}</th><td>{total}</td></tr>" for name, total in totals)
    empty = '<p class="empty">No priced calls in this window.</p>' if not series else ""
    return (f'<figure class="chart"><figcaption>{escape(title)}</figcaption>{"".join(parts)}{empty}'
            f'<ul class="legend">{legend}</ul><details><summary>Numbers</summary><table><thead><tr><th scope=col>'
            f"series</th><th scope=col>priced cost</th></tr></thead><tbody>{rows}</tbody></table></details></figure>")
