"""The Insights page's charts as SVG drawn from the numbers, purely (no plotting library:
a few rectangles and labels). Each chart is an image with a title and a description for
screen readers (role="img", aria-labelledby); the page puts its numbers in a table
beside it. Colours keep text at 4.5:1 contrast or more on what it sits on.
"""

from __future__ import annotations

from html import escape
from typing import Sequence

from bot.insights.figures import DAYS, TopicDays

INK = "#1f2937"
MUTED = "#4b5563"
BAR = "#0f766e"
# Heat map steps from none to most; text is dark on the light steps, white on the dark.
STEPS = (("#f3f4f6", INK), ("#ccfbf1", INK), ("#5eead4", INK), ("#14b8a6", INK), ("#0f766e", "#ffffff"))


def _open(chart_id: str, width: int, height: int, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" class="chart">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]


def bars(chart_id: str, title: str, desc: str, rows: Sequence[tuple[str, int]]) -> str:
    """A horizontal bar for each (label, count)."""
    label_width, bar_width, row_height = 190, 260, 28
    width, height = label_width + bar_width + 50, max(1, len(rows)) * row_height + 8
    most = max((value for _, value in rows), default=0) or 1
    parts = _open(chart_id, width, height, title, desc)
    for index, (label, value) in enumerate(rows):
        y = 4 + index * row_height
        length = round(bar_width * value / most) if value else 0
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 18}" text-anchor="end" font-size="13" fill="{INK}">{escape(label)}</text>'
        )
        if length:
            parts.append(f'<rect x="{label_width}" y="{y + 4}" width="{length}" height="18" rx="2" fill="{BAR}"/>')
        parts.append(f'<text x="{label_width + length + 6}" y="{y + 18}" font-size="13" fill="{INK}">{value}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _step(value: int, most: int) -> tuple[str, str]:
    if value <= 0 or most <= 0:
        return STEPS[0]
    return STEPS[min(len(STEPS) - 1, 1 + (value - 1) * (len(STEPS) - 1) // most)]


def heat_map(chart_id: str, title: str, desc: str, topics: Sequence[TopicDays]) -> str:
    """Topics down, recovery days 0-14 across; each cell shaded and numbered."""
    label_width, cell, top = 170, 30, 34
    width, height = label_width + DAYS * cell + 4, top + max(1, len(topics)) * cell + 4
    most = max((n for row in topics for n in row.by_day), default=0)
    parts = _open(chart_id, width, height, title, desc)
    parts.append(f'<text x="{label_width}" y="12" font-size="12" fill="{MUTED}">recovery day</text>')
    for day in range(DAYS):
        x = label_width + day * cell + cell / 2
        parts.append(f'<text x="{x:g}" y="{top - 6}" text-anchor="middle" font-size="12" fill="{INK}">{day}</text>')
    for index, row in enumerate(topics):
        y = top + index * cell
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 20}" text-anchor="end" font-size="13" fill="{INK}">{escape(row.label)}</text>'
        )
        for day, value in enumerate(row.by_day):
            fill, ink = _step(value, most)
            x = label_width + day * cell
            parts.append(f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{fill}"/>')
            if value:
                parts.append(
                    f'<text x="{x + (cell - 2) / 2:g}" y="{y + 19}" text-anchor="middle" font-size="12" fill="{ink}">{value}</text>'
                )
    parts.append("</svg>")
    return "".join(parts)
