"""The dashboard's HTML: one layout, and the ``<main>`` of each page rendered from its data.

Everything that came from the store or the URL passes through ``html.escape`` (attribute values
quoted), so a feature named ``<script>`` is shown as text. ``<main>`` is rendered on its own as
well: the page's script swaps it in from ``/api/<page>`` to refresh without reloading.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from html import escape
from typing import Any
from urllib.parse import quote

from otel_llm.query.reads import series_step
from otel_llm.ui.data import Settings
from otel_llm.ui.format import UNKNOWN, count, money, percent
from otel_llm.ui.svg import stacked_bars
from otel_llm.ui.view import RANGES, View

__all__ = ["FILTERED", "PAGES", "error_page", "layout", "main_html"]

PAGES = {"overview": "Overview", "users": "Users", "calls": "Calls", "savings": "Savings", "alerts": "Alerts"}
# The pages with the service/environment filters, whose choices are read from the store; the
# savings page reads nothing (its advice comes from the background thread), so it answers at once.
FILTERED = frozenset({"overview", "users", "calls"})


def _cell(text: str, value: Any = None, numeric: bool = True) -> str:
    """A table cell; ``value`` (exact) goes in ``data-value``, ``null`` when unknown."""
    data = "" if value is ... else f' data-value="{escape("null" if value is None else str(value))}"'
    unknown = ' title="unknown: no price for these calls"' if text == UNKNOWN and value is None else ""
    return f'<td class="{"num" if numeric else "text"}"{data}{unknown}>{escape(text)}</td>'


def _table(caption: str, headers: Sequence[str], rows: Sequence[str], table_id: str, empty: str) -> str:
    if not rows:
        return f'<section aria-labelledby="{table_id}-h"><h2 id="{table_id}-h">{escape(caption)}</h2>' \
               f'<p class="empty">{escape(empty)}</p></section>'
    head = "".join(f"<th scope=col>{escape(h)}</th>" for h in headers)
    return (f'<section aria-labelledby="{table_id}-h"><h2 id="{table_id}-h">{escape(caption)}</h2>'
            f'<div class="scroll"><table id="{table_id}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div></section>')


def _key(value: Any) -> str:
    text = "" if value is None else str(value)
    return f'<th scope=row data-value="{escape(text)}">{escape(text) if text else "<i>(none)</i>"}</th>'


_USAGE_HEADERS = ["calls", "cost", "input tokens", "output tokens", "cache hit rate", "cache savings", "errors",
                  "unpriced calls"]


def _usage_cells(row: dict[str, Any]) -> str:
    return "".join([
        _cell(count(row["calls"]), row["calls"]), _cell(money(row["cost_usd"]), row["cost_usd"]),
        _cell(count(row["input_tokens"]), row["input_tokens"]),
        _cell(count(row["output_tokens"]), row["output_tokens"]),
        _cell(percent(row["cache_hit_rate"]), row["cache_hit_rate"]),
        _cell(money(row["cache_savings_usd"]), row["cache_savings_usd"]),
        _cell(count(row["errors"]), row["errors"]), _cell(count(row["unpriced_calls"]), row["unpriced_calls"]),
    ])


def _card(card: dict[str, Any]) -> str:
    change, before = card["change"], card["before"]
    trend = f'<p class="note">nothing spent {escape(before)}</p>' if change is None else (
        f'<p class="trend {"up" if change > 0 else "down"}">'
        f'<span aria-hidden="true">{"▲" if change > 0 else "▼" if change < 0 else "="}</span> '
        f'{escape(percent(change, signed=True))} vs {escape(before)} '
        f'({escape(money(card["previous_cost_usd"]))})</p>')
    n = card["unpriced_calls"]
    unpriced = f'<p class="warn">{count(n)} unpriced call{"" if n == 1 else "s"} not in this sum</p>' if n else ""
    slug = card["label"].lower().replace(" ", "-")
    return (f'<article class="card" aria-labelledby="card-{slug}"><h3 id="card-{slug}">{escape(card["label"])}</h3>'
            f'<p class="big" data-metric="cost_usd" data-value="{escape(str(card["cost_usd"]))}">'
            f'{escape(money(card["cost_usd"]))}</p><p>{count(card["calls"])} calls</p>{trend}{unpriced}</article>')


def _overview(data: dict[str, Any], view: View, settings: Settings) -> str:
    totals = data["totals"]
    facts = [("Spend", money(totals["cost_usd"]), "cost_usd", totals["cost_usd"]),
             ("Calls", count(totals["calls"]), "calls", totals["calls"]),
             ("Cache hit rate", percent(totals["cache_hit_rate"]), "cache_hit_rate", totals["cache_hit_rate"]),
             ("Cache savings", money(totals["cache_savings_usd"]), "cache_savings_usd", totals["cache_savings_usd"]),
             ("Errors", count(totals["errors"]), "errors", totals["errors"]),
             ("Unpriced calls", count(totals["unpriced_calls"]), "unpriced_calls", totals["unpriced_calls"])]
    dl = "".join(f'<div><dt>{escape(name)}</dt><dd data-metric="{metric}" data-value="{escape(str(value))}">'
                 f'{escape(text)}</dd></div>' for name, text, metric, value in facts)
    features = [f"<tr>{_key(r['feature'])}{_usage_cells(r)}</tr>" for r in data["by_feature"]]
    step = series_step("model", view.since, view.until)
    charts = "".join(
        stacked_bars(f"Priced cost by {name} over time ({'per day' if step.days else 'per hour'})",
                     data[f"series_{name}"].rows, view.since, view.until, step)
        for name in ("model", "provider"))
    unpriced = [f"<tr>{_key(r['provider'])}{_key(r['model'])}{_cell(count(r['unpriced_calls']), r['unpriced_calls'])}"
                f"{_cell(count(r['calls']), r['calls'])}</tr>" for r in data["unpriced"]]
    return (
        f'<section aria-labelledby="spend-h"><h2 id="spend-h">Spend</h2><div class="cards">'
        f'{"".join(_card(c) for c in data["cards"])}</div></section>'
        f'<section aria-labelledby="window-h"><h2 id="window-h">In this window: {escape(view.label)}</h2>'
        f'<dl class="facts" id="totals">{dl}</dl></section>'
        + _table("Cost by feature", ["feature", *_USAGE_HEADERS], features, "by-feature", "No calls in this window.")
        + f'<section class="charts" aria-label="Cost over time">{charts}</section>'
        + _table("Calls without a price (cost unknown, not counted as $0)",
                 ["provider", "model", "unpriced calls", "calls"], unpriced, "unpriced",
                 "Every call in this window has a price.")
    )


def _bar(share: float | None) -> str:
    if share is None:
        return ""
    width = max(0.0, min(share, 1.0)) * 100
    return (f'<svg class="bar" viewBox="0 0 100 8" aria-hidden="true">'
            f'<rect class="s0" width="{width:.1f}" height="8"/></svg>')


def _users(data: dict[str, Any], view: View, settings: Settings) -> str:
    budget = data["daily_budget_usd"]
    headers = ["user", "calls", "cost", "share of spend", "input tokens", "output tokens", "unpriced calls"]
    if budget:
        headers.insert(4, f"share of budget ({money(data['budget_usd'])} = {_days(data['days'])} x {money(budget)})")
    rows = []
    for r in data["users"]:
        cells = [_key(r["user"]), _cell(count(r["calls"]), r["calls"]), _cell(money(r["cost_usd"]), r["cost_usd"]),
                 _cell(percent(r["share"]), r["share"]).replace("</td>", f"{_bar(r['share'])}</td>")]
        if budget:
            cells.append(_cell(percent(r["budget_share"]), r["budget_share"]))
        cells += [_cell(count(r["input_tokens"]), r["input_tokens"]),
                  _cell(count(r["output_tokens"]), r["output_tokens"]),
                  _cell(count(r["unpriced_calls"]), r["unpriced_calls"])]
        rows.append(f"<tr>{''.join(cells)}</tr>")
    notes = ['<p class="note">Whole UTC days, from the daily per-user rollup (as <code>otel-llm report --by user'
             '</code>).']
    if view.environment:
        notes.append(" The environment filter does not apply here: the per-user rollup keeps no environment.")
    if not budget:
        notes.append(" Start the dashboard with <code>--daily-budget USD</code> (or give a user_share rule a "
                     "budget_usd) to see each user's share of a daily budget.")
    if data["more"]:
        notes.append(f" {data['more']} more users not shown (raise limit=).")
    return "".join(notes) + "</p>" + _table("Top spenders", headers, rows, "users", "No calls in this window.")


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _trace_link(trace_id: str, template: str | None) -> str:
    if not template or not trace_id or not all(c in "0123456789abcdefABCDEF" for c in trace_id):
        return f"<code>{escape(trace_id)}</code>"
    url = template.replace("{trace_id}", quote(trace_id))
    return f'<a href="{escape(url)}" rel="noopener noreferrer" target="_blank"><code>{escape(trace_id)}</code></a>'


def _calls(data: dict[str, Any], view: View, settings: Settings) -> str:
    types = [f"<tr>{_key(t['feature'])}{_key(t['model'])}{_key(t['operation'])}"
             f"{_cell(count(t['calls']), t['calls'])}{_cell(money(t['cost_usd']), t['cost_usd'])}"
             f"{_cell(money(t['cost_per_call']), t['cost_per_call'])}"
             f"{_cell(percent(t['cumulative_share']), t['cumulative_share'])}"
             f"{_cell(count(t['unpriced_calls']), t['unpriced_calls'])}</tr>" for t in data["types"]]
    calls = [f"<tr>{_cell(c['time'].strftime('%Y-%m-%d %H:%M:%S'), c['time'], numeric=True)}{_key(c['feature'])}"
             f"{_key(c['model'])}{_key(c['user'])}{_cell(count(c['input_tokens']), c['input_tokens'])}"
             f"{_cell(count(c['output_tokens']), c['output_tokens'])}{_cell(money(c['cost_usd']), c['cost_usd'])}"
             f"<td class=text>{_trace_link(str(c['trace_id']), settings.trace_url)}</td></tr>" for c in data["calls"]]
    note = "" if settings.trace_url else (
        '<p class="note">Start the dashboard with <code>--trace-url '
        "'http://localhost:16686/trace/{trace_id}'</code> to link each trace id to Jaeger or Tempo.</p>")
    return (_table("Call types by cost", ["feature", "model", "operation", "calls", "cost", "cost per priced call",
                                          "cumulative share", "unpriced calls"], types, "types",
                   "No calls in this window.")
            + note + _table("Most expensive calls", ["time (UTC)", "feature", "model", "user", "input tokens",
                                                     "output tokens", "cost", "trace"], calls, "calls",
                            "No calls in this window."))


def _evidence(evidence: dict[str, Any]) -> str:
    """A finding's evidence as name/value pairs; a mapping (fingerprint -> calls) as its items."""
    def value(v: Any) -> str:
        if isinstance(v, dict):
            return ", ".join(f"{escape(str(k))}: {escape(str(n))}" for k, n in v.items()) or "none"
        return escape(str(v))

    return "".join(f"<div><dt>{escape(str(k).replace('_', ' '))}</dt><dd>{value(v)}</dd></div>"
                   for k, v in evidence.items())


def _calls_count(n: int) -> str:
    return f"{count(n)} call" if n == 1 else f"{count(n)} calls"


def _savings(data: dict[str, Any], view: View, settings: Settings) -> str:
    advice, at = data["advice"], data["computed_at"]
    if at is None:
        then = "refreshes automatically" if view.refresh else "reload to see it"
        return (f'<p class="note" id="advice-state" role="status">Computing savings… ({then}; '
                '<code>otel-llm advise</code> reads single calls, which takes a while on a large store)</p>')
    minutes = data["age_minutes"]
    stamp = (f'<p class="note" id="advice-state">Computed at {at:%H:%M} UTC ({minutes} min ago); recomputed at most '
             f'every {settings.advice_every.total_seconds() / 60:g} min while someone looks.</p>')
    if advice is None:
        return stamp + f'<p class="warn" id="advice-error">{escape(data["error"] or "no advice")}</p>'
    total, spend, share = advice["total_usd_per_month"], advice["spend_usd_per_month"], advice["share_of_spend"]
    of_spend = (f"{escape(percent(share))} of {escape(money(spend))}/month spend" if share is not None
                else "no priced spend in this window")
    headline = (f'<section aria-labelledby="save-h"><h2 id="save-h">Savings available</h2><div class="cards one">'
                f'<article class="card"><p class="big"><small>up to</small> <span data-metric="total_usd_per_month"'
                f' data-value="{escape(total)}">{escape(money(total))}</span> <small>/ month</small></p>'
                f'<p data-metric="share_of_spend" data-value="{escape(str(share))}">{of_spend}</p>'
                f'<p>from {_calls_count(advice["calls"])} in this window</p></article></div></section>')
    unpriced = ""
    if advice["unpriced_models"]:
        models = ", ".join(f"{m['provider']}/{m['model']} ({count(m['calls'])})" for m in advice["unpriced_models"])
        unpriced = (f'<p class="warn">Not counted: {_calls_count(advice["unpriced_calls"])} of unpriced models '
                    f"({escape(models)}); add their prices (<code>otel-llm prices</code>) to include them.</p>")
    rows, how = [], []
    for i, f in enumerate(advice["findings"], 1):
        calls = (f'<a href="/calls?{escape(view.query_string(feature=f["feature"]))}">calls of '
                 f'{escape(f["feature"])}</a>' if f["feature"] else "")
        kind = f["kind"].replace("_", " ") + (" (candidate)" if f["candidate"] else "")
        saving = f["saving_usd_per_month"]
        rows.append(f'<tr>{_cell(money(saving), saving)}<td class=text><a href="#finding-{i}">{escape(kind)}</a></td>'
                    f'{_key(f["feature"])}{_key(f["model"])}<td class=text>{escape(f["title"])}</td>'
                    f"<td class=text>{calls}</td></tr>")
        how.append(f'<li id="finding-{i}"><p><b>{escape(kind)}</b> [{escape(f["feature"] or "-")} / '
                   f'{escape(f["model"])}]: {escape(f["title"])}</p><p class="formula">{escape(money(saving))}'
                   f' / month = {escape(f["formula"])}</p><dl class="evidence">{_evidence(f["evidence"])}</dl></li>')
    note = ('<p class="note">What <code>otel-llm advise</code> finds in this window, priced per month (x 30 days'
            " / the window). Findings can overlap (a repeated request also repeats its prefix), so the total is an"
            f" upper bound. Findings under {escape(money(settings.min_savings_usd))}/month are left out; the service"
            " and environment filters do not apply here.</p>")
    table = _table("Findings", ["$ / month", "finding", "feature", "model", "what", "look at"], rows, "findings",
                   "Nothing to save in this window: no finding is worth the minimum.")
    computed = (f'<section aria-labelledby="how-h"><h2 id="how-h">How each was computed</h2>'
                f'<ol class="how">{"".join(how)}</ol></section>' if how else "")
    return stamp + note + headline + unpriced + table + computed


def _alerts(data: dict[str, Any], view: View, settings: Settings) -> str:
    rows = []
    for r in data["rules"]:
        state = (f'<td class="state unknown" title="{escape(r["advice"])}"><span aria-hidden="true">?</span> '
                 f'{"computing savings…" if r["advice"] == "computing" else "savings not computed"}</td>'
                 if r["unknown"] and r["advice"]
                 else '<td class="state unknown" title="the store did not answer this rule; the log has why">'
                 '<span aria-hidden="true">?</span> not evaluated</td>' if r["unknown"]
                 else '<td class="state firing"><span aria-hidden="true">●</span> firing</td>' if r["firing"]
                 else '<td class="state ok"><span aria-hidden="true">○</span> ok</td>')
        groups = ", ".join(f"{g or 'all'} = {v:.6g}" for g, v in sorted(r["groups"].items()))
        scope = " ".join(f"{k}={r[k]}" for k in ("by", "service", "feature") if r[k])
        days = r["window_hours"] / 24
        threshold = f"{r['threshold']:g}"
        hours = f"{days:g} d" if r["window_hours"] >= 48 and days.is_integer() else f"{r['window_hours']:g} h"
        rows.append(f"<tr>{_key(r['name'])}<td class=text>{escape(r['kind'])}</td>{_cell(threshold, r['threshold'])}"
                    f"{_cell(hours, r['window_hours'])}<td class=text>{escape(scope)}</td>"
                    f"{state}<td class=text>{escape(groups)}</td></tr>")
    return (f'<p class="note">Rules: {escape(data["origin"])}, evaluated at '
            f'{data["evaluated_at"]:%Y-%m-%d %H:%M} UTC as <code>otel-llm alerts check</code> does (each rule has its '
            f"own window and filters).</p>"
            + _table("Alert rules", ["rule", "kind", "threshold", "window", "scope", "state", "firing groups"],
                     rows, "rules", "No rules."))


_MAIN: dict[str, Callable[[dict[str, Any], View, Settings], str]] = {
    "overview": _overview, "users": _users, "calls": _calls, "savings": _savings, "alerts": _alerts,
}


def main_html(page: str, data: dict[str, Any], view: View, settings: Settings, now: dt.datetime) -> str:
    """The inside of ``<main>``: what a refresh replaces."""
    label = "" if page == "alerts" else f" <small>{escape(view.label)}</small>"  # rules have their own windows
    return (f'<h1>{escape(PAGES[page])}{label}</h1>{_MAIN[page](data, view, settings)}'
            f'<p class="stamp">Read at {now:%Y-%m-%d %H:%M:%S} UTC</p>')


def _select(name: str, label: str, options: Sequence[str], current: str | None) -> str:
    values = list(options) + ([current] if current and current not in options else [])
    items = "".join(f'<option value="{escape(v)}"{" selected" if v == current else ""}>{escape(v or "(none)")}</option>'
                    for v in values)
    return (f'<label for="f-{name}">{escape(label)}</label><select id="f-{name}" name="{name}">'
            f'<option value="">all</option>{items}</select>')


def _filters(page: str, view: View, choices: dict[str, list[str]]) -> str:
    """The filter form, with only what applies: alert rules carry their own windows and filters,
    advise reads every service and environment."""
    if page == "alerts":
        return ""
    ranges = "".join(f'<option value="{r}"{" selected" if r == view.range else ""}>{r}</option>' for r in RANGES)
    custom = "" if view.range else '<option value="" selected>exact window</option>'
    feature = _select("feature", "Feature", choices["feature"], view.feature) if page == "calls" else ""
    scope = "" if page not in FILTERED else (_select("service", "Service", choices["service"], view.service)
                                          + _select("environment", "Environment", choices["environment"],
                                                    view.environment))
    hidden = "" if view.range else (f'<input type="hidden" name="since" value="{view.since.isoformat()}">'
                                    f'<input type="hidden" name="until" value="{view.until.isoformat()}">')
    return (f'<form class="filters" method="get" action="/{page}" aria-label="Filters">'
            f'<label for="f-range">Range</label><select id="f-range" name="range">{custom}{ranges}</select>{hidden}'
            f'{scope}{feature}'
            f'<button type="submit">Apply</button></form>')


# What every document's <head> links, error pages included (without the icon, a browser asks for
# /favicon.ico and logs its 404).
_HEAD = ('<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
         '<meta name="color-scheme" content="light dark">'
         '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'
         '<link rel="stylesheet" href="/static/ui.css">')


def layout(page: str, main: str, view: View, choices: dict[str, list[str]]) -> str:
    """The whole document: skip link, navigation (keeping the view's query), filters, ``<main>``."""
    query = view.query_string()
    current = ' aria-current="page"'
    nav = "".join(f'<a href="/{p}?{escape(query)}"{current if p == page else ""}>{escape(t)}</a>'
                  for p, t in PAGES.items())
    return (
        f'<!doctype html><html lang="en"><head>{_HEAD}<title>{escape(PAGES[page])} · otel-llm</title>'
        '<script src="/static/ui.js" defer></script></head>'
        f'<body data-api="/api/{page}?{escape(query)}" data-refresh="{view.refresh}">'
        '<a class="skip" href="#main">Skip to content</a>'
        f'<header><p class="brand">otel-llm</p><nav aria-label="Pages">{nav}</nav>'
        f'{_filters(page, view, choices)}</header>'
        f'<main id="main" tabindex="-1">{main}</main>'
        '<footer><p id="refreshed" role="status" aria-live="polite"></p></footer></body></html>'
    )


def error_page(status: int, message: str) -> str:
    return (f'<!doctype html><html lang="en"><head>{_HEAD}<title>{status} · otel-llm</title></head><body>'
            f'<main id="main"><h1>{status}</h1><p>{escape(message)}</p>'
            '<p><a href="/">Back to the overview</a></p></main></body></html>')
