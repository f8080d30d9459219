"""The statistics page: styled like the console, printable, in English, French or
Arabic (right to left; its words come from the locale tables, stats/texts.py).

Each chart (SVG, drawn by the server: the page runs no script) has a table beside it
with the same numbers, for screen readers and for print. The language is the one the
operator chose for their console (kept with the account), else their browser's.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from html import escape

from pnav.server.stats.periods import GRAINS
from pnav.server.stats.report import (
    Report,
    histograms,
    report_share,
    series,
    started_series,
    totals,
)
from pnav.server.stats.svg import Series, bar_chart, column_chart
from pnav.server.stats.texts import direction, texts

__all__ = ["PAGE_CSP", "STYLE", "STYLE_HASH", "render_page"]

# The page's only style, allowed by its hash in the page's CSP (no 'unsafe-inline'):
# the console's colours and type (widget/src/console/console.css).
STYLE = (
    "*,*::before,*::after{box-sizing:border-box}"
    "body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;"
    "color:#0b0c0c;background:#f3f2f1}"
    "header{display:flex;flex-wrap:wrap;align-items:center;gap:4px 12px;padding:8px 16px;"
    "background:#2b2256;color:#fff}"
    "header h1{margin:0;font-size:1.2rem;flex:1 1 auto}header a{color:#fff;font-weight:700}"
    "main{max-width:64rem;margin:0 auto;padding:16px;display:flex;flex-direction:column;gap:16px}"
    "section{background:#fff;border-radius:8px;padding:12px 16px}"
    "h2{margin:0 0 8px;font-size:1.1rem}"
    "form{display:flex;flex-wrap:wrap;align-items:flex-end;gap:8px 16px}"
    "label{display:flex;flex-direction:column;font-weight:700}"
    "input,select{font:inherit;min-height:44px;border:2px solid #0b0c0c;border-radius:4px;"
    "padding:8px;background:#fff}"
    "button{font:inherit;font-weight:700;min-height:44px;padding:8px 16px;border-radius:6px;"
    "border:2px solid #2b2256;background:#2b2256;color:#fff;cursor:pointer}"
    ":focus-visible{outline:3px solid #ffdd00;outline-offset:2px;box-shadow:0 0 0 5px #0b0c0c}"
    "table{border-collapse:collapse}caption{text-align:start;font-weight:700}"
    "td,th{padding:.2rem .6rem;text-align:start;border-bottom:1px solid #b1b4b6}"
    "td.n{text-align:end;font-variant-numeric:tabular-nums}"
    ".chart{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}"
    ".chart figure{margin:0;flex:1 1 24rem;min-width:0}"
    "figcaption{font-weight:700;margin-bottom:.5rem}svg{max-width:100%;height:auto}"
    # A chart is a drawing laid out left to right: its labels keep their anchors in a
    # right-to-left page (the table beside it follows the page's direction).
    "svg{direction:ltr}"
    ".note{color:#505a5f}"
    "@media print{header,form,.noprint{display:none}body{background:#fff}"
    "section{break-inside:avoid;padding:0}main{max-width:none;padding:0}}"
)
STYLE_HASH = "sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
# The page runs no script; it may only use its own style and submit its range form.
PAGE_CSP = (
    f"default-src 'none'; style-src '{STYLE_HASH}'; base-uri 'none'; form-action 'self'; "
    "object-src 'none'; frame-ancestors 'none'"
)


def _duration(seconds: float | None, tx: Mapping[str, str]) -> str:
    if seconds is None:
        return tx["none_taken"]
    total = round(seconds)
    minutes, secs = divmod(total, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def _form(report: Report, tx: Mapping[str, str]) -> str:
    options = "".join(
        f'<option value="{g}"{" selected" if g == report.grain else ""}>'
        f"{escape(tx[f'per.{g}'])}</option>"
        for g in GRAINS
    )
    return (
        '<form method="get" action="/console/stats">'
        f'<label>{escape(tx["from"])} <input type="date" name="from" '
        f'value="{report.first.isoformat()}" required></label> '
        f'<label>{escape(tx["to"])} <input type="date" name="to" '
        f'value="{report.last.isoformat()}" required></label> '
        f'<label>{escape(tx["started_by"])} <select name="by">{options}</select></label> '
        f'<button type="submit">{escape(tx["show"])}</button></form>'
    )


def _table(chart_id: str, s: Series, tx: Mapping[str, str]) -> str:
    rows = "".join(
        f'<tr><th scope="row">{escape(label)}</th><td class="n">{n}</td></tr>'
        for _, label, n in s.items
    )
    return (
        f'<table data-table="{s.kind}" aria-describedby="{chart_id}-title">'
        f'<thead><tr><th scope="col">{escape(tx["table.item"])}</th>'
        f'<th scope="col">{escape(tx["table.count"])}</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def _chart(chart_id: str, svg: str, s: Series, tx: Mapping[str, str]) -> str:
    """A chart and, beside it, the table of its numbers."""
    return (
        f'<section class="chart" aria-labelledby="{chart_id}-h"><h2 id="{chart_id}-h">'
        f"{escape(s.title)}</h2><figure>{svg}</figure>{_table(chart_id, s, tx)}</section>"
    )


def render_page(report: Report, lang: str = "en") -> str:
    """The statistics page: a range form, the totals as a table, each chart with its table."""
    tx = texts(lang)
    counts, first, last = report.counts, report.first, report.last
    span = (
        first.isoformat()
        if first == last
        else tx["span"].format(first=first.isoformat(), last=last.isoformat())
    )
    query = f"from={first.isoformat()}&to={last.isoformat()}&by={report.grain}"
    share = report_share(counts)
    rows = [
        f'<tr data-total="{key}" data-count="{n}"><th scope="row">{escape(label)}</th>'
        f'<td class="n">{n}</td></tr>'
        for key, label, n in totals(counts, tx)
    ]
    median = tx["median_wait"].format(count=counts.waits_measured)
    rows.append(
        f'<tr data-total="median_wait"><th scope="row">{escape(median)}</th><td class="n">'
        f"{escape(_duration(counts.median_wait, tx))}</td></tr>"
    )
    shown = tx["no_closed"] if share is None else f"{share:.0f} %"
    rows.append(
        f'<tr data-total="report_share"><th scope="row">{escape(tx["report_share"])}</th>'
        f'<td class="n">{escape(shown)}</td></tr>'
    )
    started = started_series(report, tx, lang)
    charts = [_chart("chart-started", column_chart("chart-started", started, tx), started, tx)]
    charts += [
        _chart(f"chart-{s.kind}", bar_chart(f"chart-{s.kind}", s, tx), s, tx)
        for s in [*series(counts, tx), *histograms(counts, tx)]
    ]
    return (
        f'<!doctype html><html lang="{lang}" dir="{direction(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(tx['title'].format(span=span))}</title><style>{STYLE}</style></head>"
        f"<body><header><h1>{escape(tx['heading'].format(span=span))}</h1>"
        f'<a href="/console">{escape(tx["back"])}</a></header><main>'
        f'<section aria-label="{escape(tx["heading"].format(span=span))}">'
        f"<p>{escape(tx['intro'])}</p>{_form(report, tx)}"
        f'<p class="noprint"><a href="/console/stats.csv?{escape(query)}" download>'
        f"{escape(tx['csv'])}</a></p>"
        f'<p class="note noprint">{escape(tx["print"])}</p></section>'
        f'<section aria-labelledby="totals-h"><h2 id="totals-h">{escape(tx["totals"])}</h2>'
        f"<table><tbody>{''.join(rows)}</tbody></table></section>"
        f"{''.join(charts)}</main></body></html>"
    )
