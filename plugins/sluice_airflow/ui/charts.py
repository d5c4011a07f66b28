"""Chart geometry (pure): value ranges to pixels, "nice" axis ticks, line series with bands, stacked bars."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 56.0, 16.0, 14.0, 30.0


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering ``[low, high]`` (steps of 1, 2 or 5 times a power of ten)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0]
    if high < low:
        low, high = high, low
    if high == low:
        low, high = (low - 1, high + 1) if low == 0 else (low - abs(low) * 0.1, high + abs(high) * 0.1)
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks: list[float] = []
    value = first
    while value <= high + step * 1e-9 or len(ticks) < 2:
        ticks.append(round(value, 12))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 12))
    return ticks


@dataclass(frozen=True)
class Scale:
    """A linear map of ``[low, high]`` onto pixels ``[start, end]`` (``end`` may be less than ``start``)."""

    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        span = self.high - self.low
        t = (value - self.low) / span if span else 0.5
        return self.start + t * (self.end - self.start)


@dataclass(frozen=True)
class Point:
    """One drawn point: its pixels, its value, its label and an optional mark (``FAILED``, ``FAIL``)."""

    x: float
    y: float
    value: float
    label: str
    mark: str | None = None


@dataclass(frozen=True)
class Band:
    """A shaded range around a series: pixel ``path`` of the polygon, and the bound lines."""

    path: str
    lower: str | None
    upper: str | None


@dataclass
class LineChart:
    """A chart's pixels: a series' points and line, an optional band, and the axes' ticks."""

    width: float
    height: float
    points: list[Point] = field(default_factory=list)
    line: str = ""
    band: Band | None = None
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    x_ticks: list[tuple[float, str]] = field(default_factory=list)


def fmt_number(value: float) -> str:
    """A short label: ``1.2k``, ``3.4M``, ``0.95``."""
    size = abs(value)
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}"


def _when(value: str) -> float:
    parsed = datetime.fromisoformat(value)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def line_chart(
    points: Sequence[Mapping[str, object]],
    *,
    value: str,
    when: str,
    mark: str | None = None,
    lower: str | None = None,
    upper: str | None = None,
    width: float = 560.0,
    height: float = 180.0,
) -> LineChart:
    """A time series chart of ``points`` (dicts): ``when`` holds an ISO time, ``value`` the number (points
    without one are left out), ``mark`` a flag to mark, ``lower``/``upper`` the band's bounds where present."""
    usable = [p for p in points if isinstance(p.get(value), int | float)]
    chart = LineChart(width, height)
    if not usable:
        return chart
    times = [_when(str(p[when])) for p in usable]
    values = [float(p[value]) for p in usable]  # type: ignore[arg-type]
    bounds = [float(b) for p in usable for key in (lower, upper) if key and isinstance(b := p.get(key), int | float)]
    ticks = nice_ticks(min(values + bounds), max(values + bounds), 5)
    ys = Scale(ticks[0], ticks[-1], height - PAD_BOTTOM, PAD_TOP)
    t0, t1 = min(times), max(times)
    xs = Scale(t0, t1, PAD_LEFT, width - PAD_RIGHT) if t1 > t0 else Scale(0, 1, (PAD_LEFT + width) / 2, 0)
    for p, t, v in zip(usable, times, values, strict=True):
        flag = p.get(mark) if mark else None
        chart.points.append(Point(round(xs(t), 1), round(ys(v), 1), v, str(p[when])[:19], str(flag) if flag else None))
    chart.line = "M" + " L".join(f"{pt.x},{pt.y}" for pt in chart.points)
    chart.band = _band(usable, times, xs, ys, lower, upper)
    chart.y_ticks = [(round(ys(t), 1), fmt_number(t)) for t in ticks]
    chart.x_ticks = _time_ticks(t0, t1, xs)
    return chart


def _band(
    points: Sequence[Mapping[str, object]],
    times: list[float],
    xs: Scale,
    ys: Scale,
    lower: str | None,
    upper: str | None,
) -> Band | None:
    """The band where points have bounds; a missing side is drawn to the chart's edge."""
    rows = []
    for p, t in zip(points, times, strict=True):
        lo = p.get(lower) if lower else None
        hi = p.get(upper) if upper else None
        if isinstance(lo, int | float) or isinstance(hi, int | float):
            low = ys(float(lo)) if isinstance(lo, int | float) else ys.start
            high = ys(float(hi)) if isinstance(hi, int | float) else ys.end
            rows.append((round(xs(t), 1), round(low, 1), round(high, 1), lo is not None, hi is not None))
    if not rows:
        return None
    if len(rows) == 1:  # one point: a short band around it
        x, lo, hi, has_lo, has_hi = rows[0]
        rows = [(x - 6, lo, hi, has_lo, has_hi), (x + 6, lo, hi, has_lo, has_hi)]
    top = " L".join(f"{x},{hi}" for x, _, hi, _, _ in rows)
    bottom = " L".join(f"{x},{lo}" for x, lo, _, _, _ in reversed(rows))
    lower_line = "M" + " L".join(f"{x},{lo}" for x, lo, _, has, _ in rows if has) if any(r[3] for r in rows) else None
    upper_line = "M" + " L".join(f"{x},{hi}" for x, _, hi, _, has in rows if has) if any(r[4] for r in rows) else None
    return Band(f"M{top} L{bottom} Z", lower_line, upper_line)


def _time_ticks(t0: float, t1: float, xs: Scale, count: int = 4) -> list[tuple[float, str]]:
    if t1 <= t0:
        return [(round(xs(t0), 1), datetime.fromtimestamp(t0, UTC).strftime("%m-%d %H:%M"))]
    span = t1 - t0
    form = "%H:%M:%S" if span < 3600 else "%m-%d %H:%M" if span < 5 * 86400 else "%Y-%m-%d"
    return [
        (round(xs(t), 1), datetime.fromtimestamp(t, UTC).strftime(form))
        for t in (t0 + span * i / (count - 1) for i in range(count))
    ]


@dataclass(frozen=True)
class Bar:
    """One stacked segment: its pixels, its category (a bar) and series (a storage class), and its value."""

    x: float
    y: float
    w: float
    h: float
    category: str
    series: str
    value: float


@dataclass
class BarChart:
    """Stacked bars: the segments, the series in stacking order, the axis ticks and category labels."""

    width: float
    height: float
    bars: list[Bar] = field(default_factory=list)
    series: list[str] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    labels: list[tuple[float, str]] = field(default_factory=list)


def stacked_bars(
    stacks: Mapping[str, Mapping[str, float]],
    *,
    series: Sequence[str] | None = None,
    width: float = 560.0,
    height: float = 220.0,
) -> BarChart:
    """Bars per category (``stacks``' keys, in order), stacked by series (in ``series`` order, else sorted);
    zero segments are not drawn."""
    order = list(series) if series is not None else sorted({s for stack in stacks.values() for s in stack})
    chart = BarChart(width, height, series=order)
    totals = [sum(max(0.0, float(stack.get(s, 0.0))) for s in order) for stack in stacks.values()]
    if not stacks:
        return chart
    ticks = nice_ticks(0.0, max([*totals, 0.0]) or 1.0, 5)
    ys = Scale(0.0, ticks[-1], height - PAD_BOTTOM, PAD_TOP)
    slot = (width - PAD_LEFT - PAD_RIGHT) / len(stacks)
    bar_w = max(4.0, min(48.0, slot * 0.6))
    for i, (category, stack) in enumerate(stacks.items()):
        x = PAD_LEFT + slot * i + (slot - bar_w) / 2
        base = 0.0
        for name in order:
            v = max(0.0, float(stack.get(name, 0.0)))
            if v <= 0:
                continue
            top, bottom = ys(base + v), ys(base)
            chart.bars.append(
                Bar(round(x, 1), round(top, 1), round(bar_w, 1), round(bottom - top, 1), category, name, v)
            )
            base += v
        chart.labels.append((round(x + bar_w / 2, 1), category))
    chart.y_ticks = [(round(ys(t), 1), fmt_number(t)) for t in ticks]
    return chart
