"""A cumulative line chart as inline SVG: the HTML report's "progress over time", with no JavaScript.

Hand-written rather than a charting library: the report must be one file that opens offline, and a
step chart of a few series needs only axes, polylines and labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

WIDTH, HEIGHT = 960, 320
PLOT_BACKGROUND = "#fcfaff"  # a faint violet no blend of the page's greys and white gives
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 24, 20, 44  # margins for the axis labels


@dataclass(frozen=True, slots=True)
class Series:
    label: str
    colour: str  # a CSS colour; the tests look for it in the rendered chart
    values: Sequence[int]  # one per time, cumulative


def step_chart(times: Sequence[datetime], series: Sequence[Series]) -> str:
    """An SVG of ``series`` against ``times`` (ascending), each drawn as a step line over a light fill."""
    if not times:
        return '<p class="empty">No user has reached migrated or failed yet.</p>'
    start, end = times[0].timestamp(), times[-1].timestamp()
    span = max(end - start, 1e-6)
    top = max(1, *(max(s.values, default=0) for s in series))
    ceiling = _nice_ceiling(top)
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM

    def x(at: datetime) -> float:
        return _LEFT + (at.timestamp() - start) / span * plot_w

    def y(value: int) -> float:
        return _TOP + plot_h - value / ceiling * plot_h

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        f'aria-label="Users migrated and failed over time" xmlns="http://www.w3.org/2000/svg">'
    ]
    # The plot area's own light background: it frames the series (and lets a test find the chart).
    parts.append(
        f'<rect x="{_LEFT}" y="{_TOP}" width="{plot_w}" height="{plot_h}" fill="{PLOT_BACKGROUND}"/>'
    )
    for tick in _ticks(ceiling):
        parts.append(
            f'<line x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" class="grid"/>'
            f'<text x="{_LEFT - 8}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:,}</text>'
        )
    for i in range(5):
        at = datetime.fromtimestamp(start + span * i / 4, tz=times[0].tzinfo)
        anchor = ("start", "middle", "middle", "middle", "end")[i]
        parts.append(
            f'<text x="{x(at):.1f}" y="{HEIGHT - _BOTTOM + 20}" text-anchor="{anchor}">'
            f"{escape(_time_label(at, span))}</text>"
        )
    parts.append(f'<line x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{y(0):.1f}" y2="{y(0):.1f}" class="axis"/>')
    for one in series:
        points = _steps([x(at) for at in times], [y(v) for v in one.values])
        colour = escape(one.colour)
        area = f"{_LEFT},{y(0):.1f} {points} {x(times[-1]):.1f},{y(0):.1f}"
        parts.append(f'<polygon points="{area}" fill="{colour}" fill-opacity="0.12" stroke="none"/>')
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="4" '
            f'stroke-linejoin="round"><title>{escape(one.label)}</title></polyline>'
        )
    parts.append(
        f'<text x="{(WIDTH + _LEFT) / 2:.0f}" y="{HEIGHT - 6}" text-anchor="middle" class="caption">'
        f"time (UTC) from the first to the last user settled</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def _steps(xs: Sequence[float], ys: Sequence[float]) -> str:
    # Horizontal then vertical: a cumulative count holds its value until the next bucket adds to it.
    points = [f"{xs[0]:.1f},{ys[0]:.1f}"]
    for i in range(1, len(xs)):
        points.append(f"{xs[i]:.1f},{ys[i - 1]:.1f}")
        points.append(f"{xs[i]:.1f},{ys[i]:.1f}")
    return " ".join(points)


def _nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 × 10ⁿ at or above ``value``: round numbers on the y axis."""
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude >= value:
                return step * magnitude
        magnitude *= 10


def _ticks(ceiling: int) -> list[int]:
    step = max(1, ceiling // 5) if ceiling >= 5 else 1
    return list(range(0, ceiling + 1, step))


def _time_label(at: datetime, span: float) -> str:
    if span < 120:
        return at.strftime("%H:%M:%S.%f")[:-3] if span < 10 else at.strftime("%H:%M:%S")
    if span < 86400:
        return at.strftime("%H:%M")
    return at.strftime("%Y-%m-%d %H:%M")
