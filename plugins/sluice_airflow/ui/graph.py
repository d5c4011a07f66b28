"""Layered graph layout (pure): nodes in columns (``LR``) or rows (``TB``) by longest path, ordered to cross little.

Cycles (a Choice loop, a job that reads what it writes) are broken by leaving out the edges a depth-first
walk finds pointing back; those are still drawn, as back edges. Layers come from ``graphlib`` over the rest.
Nodes that share a ``group`` (a Parallel branch, a Map's iterator) stay next to each other within a layer,
and each group gets the box around its nodes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from itertools import pairwise
from typing import Literal

Direction = Literal["LR", "TB"]
NODE_W, NODE_H = 176.0, 40.0
GAP_LAYER, GAP_NODE, MARGIN, GROUP_PAD = 64.0, 18.0, 16.0, 10.0
DUMMY = 8.0
"""The room a long edge takes where it crosses a layer."""


@dataclass(frozen=True)
class Box:
    """A rectangle: top-left corner and size."""

    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class Route:
    """One edge's drawn path (an SVG path ``d``) and whether it points back against the layers."""

    source: str
    target: str
    d: str
    back: bool


@dataclass
class Layout:
    """Where every node, edge and group box goes, and the drawing's size."""

    width: float
    height: float
    nodes: dict[str, Box] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    groups: dict[str, Box] = field(default_factory=dict)
    layers: dict[str, int] = field(default_factory=dict)


def back_edges(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
    """Edges that close a cycle, found by an iterative depth-first walk in node order."""
    out: dict[str, list[str]] = defaultdict(list)
    for a, b in edges:
        out[a].append(b)
    colour: dict[str, int] = {}  # 1 on the walk's stack, 2 done
    back: set[tuple[str, str]] = set()
    for start in nodes:
        if start in colour:
            continue
        colour[start] = 1
        stack = [(start, iter(out[start]))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node] = 2
                stack.pop()
            elif colour.get(child) == 1:
                back.add((node, child))
            elif child not in colour:
                colour[child] = 1
                stack.append((child, iter(out[child])))
    return back


def layer_of(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Each node's layer: the longest path to it from a node with no incoming (forward) edge."""
    skip = back_edges(nodes, edges)
    sorter: TopologicalSorter[str] = TopologicalSorter({n: () for n in nodes})
    preds: dict[str, list[str]] = defaultdict(list)
    for a, b in edges:
        if (a, b) not in skip and a != b:
            sorter.add(b, a)
            preds[b].append(a)
    layers: dict[str, int] = {}
    for node in sorter.static_order():
        layers[node] = max((layers[p] + 1 for p in preds[node]), default=0)
    return layers


def order_layers(
    layers: Mapping[str, int], edges: Sequence[tuple[str, str]], groups: Mapping[str, str], sweeps: int = 4
) -> list[list[str]]:
    """Nodes per layer, ordered by the barycentre of their neighbours (alternating down and up sweeps);
    nodes of one group stay together."""
    count = max(layers.values(), default=-1) + 1
    rows: list[list[str]] = [[] for _ in range(count)]
    for node in layers:  # first order: as given
        rows[layers[node]].append(node)
    near: dict[str, list[str]] = defaultdict(list)
    far: dict[str, list[str]] = defaultdict(list)
    for a, b in edges:
        if a in layers and b in layers and layers[a] != layers[b]:
            near[b].append(a)
            far[a].append(b)
    for sweep in range(sweeps):
        down = sweep % 2 == 0
        indices = range(1, count) if down else range(count - 2, -1, -1)
        for i in indices:
            ref = {n: k for k, n in enumerate(rows[i - 1 if down else i + 1])}
            rows[i] = _by_barycentre(rows[i], near if down else far, ref, groups)
    return rows


def _by_barycentre(
    row: list[str], neighbours: Mapping[str, list[str]], ref: Mapping[str, int], groups: Mapping[str, str]
) -> list[str]:
    position = {n: k for k, n in enumerate(row)}

    def centre(node: str) -> float:
        around = [ref[m] for m in neighbours.get(node, []) if m in ref]
        return sum(around) / len(around) if around else float(position[node])

    centres = {n: centre(n) for n in row}
    group_centre: dict[str, list[float]] = defaultdict(list)
    for n in row:
        group_centre[groups.get(n, "")].append(centres[n])

    def key(node: str) -> tuple[float, str, float]:
        group = groups.get(node, "")
        mean = sum(group_centre[group]) / len(group_centre[group]) if group else centres[node]
        return (mean, group, centres[node])

    return sorted(row, key=key)


def _dummies(
    layers: dict[str, int], edges: Sequence[tuple[str, str]]
) -> tuple[list[tuple[str, str]], dict[tuple[str, str], list[str]]]:
    """Split every forward edge spanning several layers by a dummy node per layer crossed (added to ``layers``),
    so that ordering keeps long edges clear of the nodes; returns the split edges and each edge's dummies."""
    split: list[tuple[str, str]] = []
    chains: dict[tuple[str, str], list[str]] = {}
    for a, b in edges:
        if layers[b] - layers[a] <= 1:
            split.append((a, b))
            continue
        chain, previous = [], a
        for level in range(layers[a] + 1, layers[b]):
            dummy = f"\x00{a}\x00{b}\x00{level}"
            layers[dummy] = level
            chain.append(dummy)
            split.append((previous, dummy))
            previous = dummy
        split.append((previous, b))
        chains[(a, b)] = chain
    return split, chains


def place(rows: list[list[str]], edges: Sequence[tuple[str, str]], size: Callable[[str], float]) -> dict[str, float]:
    """Each node's centre across the layers: under the mean of its predecessors' centres where there is room,
    else pushed along just far enough to keep ``GAP_NODE`` from the node before it in its layer."""
    preds: dict[str, list[str]] = defaultdict(list)
    for a, b in edges:
        preds[b].append(a)
    centre: dict[str, float] = {}
    for row in rows:
        edge = None
        for node in row:
            around = [centre[p] for p in preds[node] if p in centre]
            wanted = sum(around) / len(around) if around else (edge or 0.0) + size(node) / 2
            if edge is not None:
                wanted = max(wanted, edge + size(node) / 2)
            centre[node] = wanted
            edge = wanted + size(node) / 2 + GAP_NODE
    return centre


def layout(
    nodes: Sequence[str],
    edges: Sequence[tuple[str, str]],
    *,
    groups: Mapping[str, str] | None = None,
    direction: Direction = "LR",
    node_w: float = NODE_W,
    node_h: float = NODE_H,
) -> Layout:
    """Place ``nodes`` in layers along ``direction`` and route ``edges`` (unknown endpoints are dropped).

    ``groups`` maps a node to its group's id, whose ``/``-separated levels name the groups it lies in.
    """
    groups = dict(groups or {})
    known = set(nodes)
    edges = [(a, b) for a, b in dict.fromkeys(edges) if a in known and b in known]
    layers = layer_of(nodes, edges)
    real_layers = dict(layers)
    split, chains = _dummies(layers, edges)
    rows = order_layers(layers, split, groups)
    lr = direction == "LR"
    along, across = (node_w, node_h) if lr else (node_h, node_w)

    def size(node: str) -> float:
        return across if node in known else DUMMY

    centres = place(rows, split, size)
    low = min((centres[n] - size(n) / 2 for n in centres), default=0.0)
    span = max((centres[n] + size(n) / 2 - low for n in centres), default=0.0)
    boxes: dict[str, Box] = {}
    for i, row in enumerate(rows):
        at = MARGIN + i * (along + GAP_LAYER)
        for node in row:
            off = MARGIN + centres[node] - size(node) / 2 - low
            w, h = (node_w, size(node)) if lr else (size(node), node_h)
            boxes[node] = Box(at, off, w, h) if lr else Box(off, at, w, h)
    size_along = MARGIN * 2 + len(rows) * (along + GAP_LAYER) - (GAP_LAYER if rows else 0)
    width, height = (size_along, MARGIN * 2 + span) if lr else (MARGIN * 2 + span, size_along)
    boxed = _group_boxes(boxes, groups)
    dx = max([MARGIN - g.x for g in boxed.values()] + [0.0])
    dy = max([MARGIN - g.y for g in boxed.values()] + [0.0])
    if dx or dy:  # group boxes reach past the margin: move everything in
        boxes = {n: Box(b.x + dx, b.y + dy, b.w, b.h) for n, b in boxes.items()}
        boxed = _group_boxes(boxes, groups)
    width = max([width + dx] + [g.x + g.w + MARGIN for g in boxed.values()])
    height = max([height + dy] + [g.y + g.h + MARGIN for g in boxed.values()])
    back = back_edges(nodes, edges)
    routes = []
    for a, b in edges:
        backward = (a, b) in back or real_layers[a] >= real_layers[b]
        via = [boxes[d] for d in chains.get((a, b), [])]
        routes.append(_route(boxes[a], boxes[b], via, a, b, lr, backward))
    if any(r.back for r in routes):  # back edges loop past the last node
        width, height = (width, height + GAP_NODE * 2) if lr else (width + GAP_LAYER, height)
    return Layout(width, height, {n: box for n, box in boxes.items() if n in known}, routes, boxed, real_layers)


def _route(src: Box, dst: Box, via: list[Box], a: str, b: str, lr: bool, back: bool) -> Route:
    """Curves from the source's far side through the dummies' centres to the target's near side; a back
    edge loops around the side of the drawing."""
    if back:
        if lr:
            x1, x2, y1, y2 = src.x + src.w / 2, dst.x + dst.w / 2, src.y + src.h, dst.y + dst.h
            dip = max(y1, y2) + GAP_NODE * 2
            return Route(a, b, f"M{x1:.1f},{y1:.1f} C{x1:.1f},{dip:.1f} {x2:.1f},{dip:.1f} {x2:.1f},{y2:.1f}", True)
        x1, x2, y1, y2 = src.x + src.w, dst.x + dst.w, src.y + src.h / 2, dst.y + dst.h / 2
        bulge = max(x1, x2) + GAP_LAYER
        return Route(a, b, f"M{x1:.1f},{y1:.1f} C{bulge:.1f},{y1:.1f} {bulge:.1f},{y2:.1f} {x2:.1f},{y2:.1f}", True)
    if lr:
        points = [(src.x + src.w, src.y + src.h / 2)]
        points += [p for d in via for p in ((d.x, d.y + d.h / 2), (d.x + d.w, d.y + d.h / 2))]
        points.append((dst.x, dst.y + dst.h / 2))
    else:
        points = [(src.x + src.w / 2, src.y + src.h)]
        points += [p for d in via for p in ((d.x + d.w / 2, d.y), (d.x + d.w / 2, d.y + d.h))]
        points.append((dst.x + dst.w / 2, dst.y))
    d = f"M{points[0][0]:.1f},{points[0][1]:.1f}"
    for (x1, y1), (x2, y2) in pairwise(points):
        if (x1 == x2 and not lr) or (y1 == y2 and lr):  # straight through a dummy
            d += f" L{x2:.1f},{y2:.1f}"
        elif lr:
            mid = (x1 + x2) / 2
            d += f" C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
        else:
            mid = (y1 + y2) / 2
            d += f" C{x1:.1f},{mid:.1f} {x2:.1f},{mid:.1f} {x2:.1f},{y2:.1f}"
    return Route(a, b, d, False)


def _group_boxes(boxes: Mapping[str, Box], groups: Mapping[str, str]) -> dict[str, Box]:
    """The box around the nodes of every group and of every enclosing one: ``/`` separates the nesting levels
    of a group id (``Par#0/Map#0`` lies in ``Par#0``); an outer box pads more than the boxes inside it."""
    members: dict[str, list[Box]] = defaultdict(list)
    below: dict[str, int] = defaultdict(int)  # how many levels of groups lie inside each group
    for node, group in groups.items():
        if node not in boxes or not group:
            continue
        parts = group.split("/")
        for depth in range(1, len(parts) + 1):
            name = "/".join(parts[:depth])
            members[name].append(boxes[node])
            below[name] = max(below[name], len(parts) - depth)
    out: dict[str, Box] = {}
    for group, inside in members.items():
        pad = GROUP_PAD * (1 + below[group])
        x0, y0 = min(b.x for b in inside) - pad, min(b.y for b in inside) - pad - 12
        x1, y1 = max(b.x + b.w for b in inside) + pad, max(b.y + b.h for b in inside) + pad
        out[group] = Box(x0, y0, x1 - x0, y1 - y0)
    return out
