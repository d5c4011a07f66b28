"""SVG markup (pure) for the pages' pictures: laid-out graphs, line charts with bands, stacked bars.

Every element a test counts has a class: ``g.node``, ``path.edge``, ``rect.group``, ``circle.point``,
``rect.bar``. Text is escaped; links are ``<a href>`` around a node.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from markupsafe import Markup, escape

from sluice_airflow.ui.charts import PAD_LEFT, PAD_RIGHT, BarChart, LineChart
from sluice_airflow.ui.graph import Layout

#: Fill colours of stacked series (storage classes), cycling.
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#e15759", "#9c755f", "#bab0ab")


@dataclass(frozen=True)
class NodeView:
    """How one node is drawn: its text, kind (a CSS class), link, status and a second line."""

    label: str
    kind: str
    href: str | None = None
    status: str | None = None
    detail: str = ""


def _clip(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1] + "…"


def graph_svg(layout: Layout, views: Mapping[str, NodeView], *, element_id: str = "graph") -> Markup:
    """A laid-out graph: group boxes, then edges (arrows; back edges dashed), then the nodes on top."""
    parts = [
        f'<svg id="{escape(element_id)}" class="graph" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {layout.width:.0f} {layout.height:.0f}" width="{layout.width:.0f}" '
        f'height="{layout.height:.0f}" role="img">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>',
    ]
    for name, box in sorted(layout.groups.items(), key=lambda item: item[0].count("/")):
        label = name.rsplit("/", 1)[-1]
        parts.append(
            f'<g class="group-box"><rect class="group" x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" '
            f'height="{box.h:.1f}" rx="8"/><text class="group-label" x="{box.x + 8:.1f}" y="{box.y + 14:.1f}">'
            f"{escape(label)}</text></g>"
        )
    for route in layout.routes:
        cls = "edge back" if route.back else "edge"
        parts.append(
            f'<path class="{cls}" d="{route.d}" marker-end="url(#arrow)" '
            f'data-source="{escape(route.source)}" data-target="{escape(route.target)}"/>'
        )
    for node, box in layout.nodes.items():
        view = views.get(node) or NodeView(node, "other")
        status = f" status-{escape(view.status)}" if view.status else ""
        chars = int((box.w - 12) / 6.3)
        body = (
            f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" height="{box.h:.1f}" rx="6"/>'
            f'<text class="label" x="{box.x + 8:.1f}" y="{box.y + (16 if view.detail else box.h / 2 + 4):.1f}">'
            f"{escape(_clip(view.label, chars))}</text>"
        )
        if view.detail:
            body += (
                f'<text class="detail" x="{box.x + 8:.1f}" y="{box.y + 31:.1f}">'
                f"{escape(_clip(view.detail, chars + 4))}</text>"
            )
        title = f"<title>{escape(view.label)}{' · ' + escape(view.status) if view.status else ''}</title>"
        inner = f'<a href="{escape(view.href)}">{title}{body}</a>' if view.href else title + body
        parts.append(f'<g class="node kind-{escape(view.kind)}{status}" data-id="{escape(node)}">{inner}</g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _axes(width: float, height: float, y_ticks: list[tuple[float, str]], left: float, right: float) -> list[str]:
    parts = []
    for y, label in y_ticks:
        parts.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y}" y2="{y}"/>')
        parts.append(f'<text class="tick" x="{left - 6}" y="{y + 4}" text-anchor="end">{escape(label)}</text>')
    return parts


def line_svg(chart: LineChart, *, title: str, element_id: str) -> Markup:
    """A line chart: grid, band (with its bound lines), the series' line, and a circle per point (marked
    points, failures, get the ``marked`` class and their mark in the tooltip)."""
    w, h = chart.width, chart.height
    parts = [
        f'<svg id="{escape(element_id)}" class="chart line-chart" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {w:.0f} {h:.0f}" width="{w:.0f}" height="{h:.0f}" role="img">',
        f"<title>{escape(title)}</title>",
        *_axes(w, h, chart.y_ticks, PAD_LEFT, PAD_RIGHT),
    ]
    last = len(chart.x_ticks) - 1
    for i, (x, label) in enumerate(chart.x_ticks):
        anchor = "start" if i == 0 and last else "end" if i == last and last else "middle"
        parts.append(f'<text class="tick" x="{x}" y="{h - 10}" text-anchor="{anchor}">{escape(label)}</text>')
    if chart.band is not None:
        parts.append(f'<path class="band" d="{chart.band.path}"/>')
        for line in (chart.band.lower, chart.band.upper):
            if line:
                parts.append(f'<path class="bound" d="{line}"/>')
    if len(chart.points) > 1:
        parts.append(f'<path class="series" d="{chart.line}"/>')
    for p in chart.points:
        cls = "point marked" if p.mark else "point"
        tip = f"{p.label}: {p.value:g}" + (f" · {p.mark}" if p.mark else "")
        parts.append(
            f'<circle class="{cls}" cx="{p.x}" cy="{p.y}" r="{5 if p.mark else 3.5}">'
            f"<title>{escape(tip)}</title></circle>"
        )
    if not chart.points:
        parts.append(f'<text class="tick" x="{w / 2}" y="{h / 2}" text-anchor="middle">no data</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bars_svg(chart: BarChart, *, title: str, element_id: str, unit: str = "") -> Markup:
    """Stacked bars with a legend of the series and a label under each bar."""
    w, h = chart.width, chart.height
    colour = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(chart.series)}
    legend_h = 18.0
    parts = [
        f'<svg id="{escape(element_id)}" class="chart bar-chart" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 -{legend_h:.0f} {w:.0f} {h + legend_h:.0f}" width="{w:.0f}" height="{h + legend_h:.0f}" '
        'role="img">',
        f"<title>{escape(title)}</title>",
        *_axes(w, h, chart.y_ticks, PAD_LEFT, PAD_RIGHT),
    ]
    x = PAD_LEFT
    for name in chart.series:
        parts.append(
            f'<rect class="swatch" x="{x}" y="-{legend_h - 4}" width="10" height="10" fill="{colour[name]}"/>'
            f'<text class="tick" x="{x + 14}" y="-{legend_h - 13}">{escape(name)}</text>'
        )
        x += 22 + 7 * len(name)
    for bar in chart.bars:
        tip = f"{bar.category} · {bar.series}: {bar.value:,.6g}{unit}"
        parts.append(
            f'<rect class="bar" x="{bar.x}" y="{bar.y}" width="{bar.w}" height="{bar.h}" fill="{colour[bar.series]}" '
            f'data-category="{escape(bar.category)}" data-series="{escape(bar.series)}">'
            f"<title>{escape(tip)}</title></rect>"
        )
    for cx, label in chart.labels:
        parts.append(f'<text class="tick" x="{cx}" y="{h - 12}" text-anchor="middle">{escape(_clip(label, 14))}</text>')
    if not chart.bars:
        parts.append(f'<text class="tick" x="{w / 2}" y="{h / 2}" text-anchor="middle">no data</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
