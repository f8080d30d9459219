"""The statistics page's charts, drawn by the server as SVG (the page runs no script).

Every bar carries its label and its number as text, not colour alone, and a
``<g data-<kind>="key" data-count="n">`` that tests (and scrapers) read; each chart has
a title and a description listing every value, for screen readers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

__all__ = ["ENGLISH", "Series", "bar_chart", "column_chart"]


@dataclass(frozen=True)
class Series:
    """What one chart shows: ``kind`` is its ``data-chart`` and the CSV section."""

    kind: str
    title: str
    items: list[tuple[str, str, int]]  # key, label, count


# The words of a chart (stats/texts.py has them in each language).
ENGLISH = {
    "in_all": "{total} in all. {listed}.",
    "no_data": "no data",
    "no_conversations": "No conversations",
}


def _open(
    chart_id: str, series: Series, width: int, height: int, words: Mapping[str, str]
) -> list[str]:
    total = sum(n for _, _, n in series.items)
    listed = ", ".join(f"{label}: {n}" for _, label, n in series.items) or words["no_data"]
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" id="{chart_id}" '
        f'data-chart="{series.kind}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(series.title)}</title>',
        f'<desc id="{chart_id}-desc">'
        f"{escape(words['in_all'].format(total=total, listed=listed))}</desc>",
    ]


def _length(n: int, biggest: int, full: int) -> int:
    """A bar's length: 0 for 0, at least 1 pixel for anything else."""
    return 0 if n == 0 or biggest == 0 else max(1, round(full * n / biggest))


_BAR_H, _GAP, _LABEL_W, _BAR_W, _NUM_W = 22, 8, 190, 320, 60


def bar_chart(chart_id: str, series: Series, words: Mapping[str, str] = ENGLISH) -> str:
    """A horizontal bar chart, one row per item."""
    items = series.items
    biggest = max((n for _, _, n in items), default=0)
    height = max(1, len(items)) * (_BAR_H + _GAP) + _GAP
    parts = _open(chart_id, series, _LABEL_W + _BAR_W + _NUM_W, height, words)
    if not items:
        none = escape(words["no_conversations"])
        parts.append(f'<text x="0" y="{_BAR_H}" font-size="14">{none}</text>')
    for i, (key, label, n) in enumerate(items):
        y = _GAP + i * (_BAR_H + _GAP)
        length = _length(n, biggest, _BAR_W)
        text_y = y + _BAR_H - 6
        parts.append(
            f'<g data-{series.kind}="{escape(key)}" data-count="{n}">'
            f'<text x="{_LABEL_W - 8}" y="{text_y}" text-anchor="end" font-size="14">'
            f"{escape(label)}</text>"
            f'<rect x="{_LABEL_W}" y="{y}" width="{length}" height="{_BAR_H}" fill="#2b2256"/>'
            f'<text x="{_LABEL_W + length + 6}" y="{text_y}" font-size="14">{n}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


_PITCH, _COL_W, _PLOT_H, _TOP, _BOTTOM, _LEFT = 30, 22, 150, 20, 64, 48  # room for slanted labels


def column_chart(chart_id: str, series: Series, words: Mapping[str, str] = ENGLISH) -> str:
    """A column chart over time, one column per period, oldest on the left; each
    column's ``data-period`` is the period's key."""
    items = series.items
    biggest = max((n for _, _, n in items), default=0)
    width = _LEFT * 2 + max(1, len(items)) * _PITCH
    base = _TOP + _PLOT_H
    parts = _open(chart_id, series, width, base + _BOTTOM, words)
    parts.append(
        f'<line x1="{_LEFT}" y1="{base}" x2="{width - _LEFT}" y2="{base}" stroke="#505a5f"/>'
    )
    for i, (key, label, n) in enumerate(items):
        x = _LEFT + i * _PITCH + (_PITCH - _COL_W) // 2
        middle = x + _COL_W // 2
        height = _length(n, biggest, _PLOT_H)
        label_y = base + 14
        parts.append(
            f'<g data-period="{escape(key)}" data-count="{n}">'
            f'<rect x="{x}" y="{base - height}" width="{_COL_W}" height="{height}" '
            'fill="#2f5d8a"/>'
            f'<text x="{middle}" y="{base - height - 4}" text-anchor="middle" font-size="11">'
            f"{n}</text>"
            f'<text x="{middle}" y="{label_y}" text-anchor="end" font-size="11" '
            f'transform="rotate(-45 {middle} {label_y})">{escape(label)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
