"""The pages' pictures (pure): SVG drawn from the same JSON the pages' API routes return."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from sluice_airflow.ui.charts import line_chart, stacked_bars
from sluice_airflow.ui.graph import layout
from sluice_airflow.ui.machine import END, START
from sluice_airflow.ui.svg import NodeView, bars_svg, graph_svg, line_svg

#: Job run trend charts: the metric and its title.
JOB_CHARTS = (
    ("ExecutionTime", "Duration (s)"),
    ("recordsRead", "Records read"),
    ("recordsWritten", "Records written"),
    ("badRecords", "Bad records"),
)


def node_href(base: str, kind: str, name: str) -> str | None:
    """Where a lineage node's click goes: the table, the job's runs, the crawler's crawls, the load ledger."""
    if kind == "table":
        database, _, table = name.partition(".")
        return f"{base}/tables/{quote(database)}/{quote(table)}"
    return {
        "warehouse": f"{base}/loads/{quote(name)}",
        "job": f"{base}/job-runs?job_name={quote(name)}",
        "crawler": f"{base}/crawls?crawler={quote(name)}",
        "state_machine": f"{base}/state-machines/{quote(name)}",
        "dag": f"/dags/{quote(name)}",
    }.get(kind)


KIND_LABEL = {
    "table": "table",
    "warehouse": "warehouse",
    "job": "job",
    "crawler": "crawler",
    "state_machine": "state machine",
}


def lineage_svg(lineage: Mapping[str, Any], base: str, *, focus: str | None = None) -> Markup:
    """The lineage graph, sources on the left; ``focus`` (a node id) is highlighted."""
    nodes = [n["Id"] for n in lineage["Nodes"]]
    edges = [(e["From"], e["To"]) for e in lineage["Edges"]]
    views = {
        n["Id"]: NodeView(
            n["Name"],
            n["Kind"],
            node_href(base, n["Kind"], n["Name"]),
            "focus" if n["Id"] == focus else None,
            KIND_LABEL.get(n["Kind"], n["Kind"]),
        )
        for n in lineage["Nodes"]
    }
    return graph_svg(layout(nodes, edges, direction="LR"), views, element_id="lineage")


def machine_svg(graph: Mapping[str, Any], statuses: Mapping[str, str] | None = None) -> Markup:
    """A state machine top to bottom, Parallel branches and Map iterators boxed; with ``statuses``, each
    state coloured by how the execution left it."""
    names = [s["Name"] for s in graph["States"]]
    groups = {s["Name"]: s["Group"] for s in graph["States"] if s.get("Group")}
    edges = [(t["From"], t["To"]) for t in graph["Transitions"]]
    kinds = {s["Name"]: s["Type"] for s in graph["States"]}
    views = {
        n: NodeView(
            n,
            "pseudo" if n in (START, END) else "state",
            None,
            (statuses or {}).get(n),
            "" if n in (START, END) else kinds[n],
        )
        for n in names
    }
    drawn = layout(names, edges, groups=groups, direction="TB", node_w=150.0, node_h=40.0)
    return graph_svg(drawn, views, element_id="machine")


def dq_trend_svgs(trend: Mapping[str, Any]) -> list[tuple[str, Markup]]:
    """The score chart, then one chart per rule with its bounds' band; failed points are marked."""
    charts = [
        (
            "Score",
            line_svg(
                line_chart(trend["Score"], value="Score", when="CompletedOn"), title="Score", element_id="dq-score"
            ),
        )
    ]
    for i, rule in enumerate(trend["Rules"]):
        points = [p | {"Mark": p.get("Result") if p.get("Result") != "PASS" else None} for p in rule["Points"]]
        chart = line_chart(points, value="Value", when="CompletedOn", mark="Mark", lower="Lower", upper="Upper")
        bound = next((p["Bound"] for p in rule["Points"] if p.get("Bound")), None)
        title = f"{rule['Rule']} · {rule['Metric']}" + (f" · {bound} bounds" if bound else "")
        charts.append((title, line_svg(chart, title=title, element_id=f"dq-rule-{i}")))
    return charts


def job_trend_svgs(trend: Mapping[str, Any]) -> list[tuple[str, Markup]]:
    """Duration and record counts per run; failed runs are marked."""
    out = []
    for key, title in JOB_CHARTS:
        chart = line_chart(trend["Runs"], value=key, when="StartedOn", mark="Failed")
        out.append((title, line_svg(chart, title=title, element_id=f"job-{key}")))
    return out


#: Storage classes from the warmest to the coldest: the stacking order (others follow by name).
CLASS_ORDER = ("STANDARD", "INTELLIGENT_TIERING", "STANDARD_IA", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE")


def class_order(names: Iterable[str]) -> list[str]:
    """Storage classes in :data:`CLASS_ORDER`, unknown ones after them by name."""
    rank = {name: i for i, name in enumerate(CLASS_ORDER)}
    return sorted(set(names), key=lambda n: (rank.get(n, len(rank)), n))


def byte_unit(largest: float) -> tuple[float, str]:
    """The binary unit that shows ``largest`` bytes as a number from 1 to 1024: its size and name."""
    for power, name in ((4, "TiB"), (3, "GiB"), (2, "MiB"), (1, "KiB")):
        if largest >= 1024**power:
            return 1024.0**power, name
    return 1.0, "bytes"


def cost_svgs(cost: Mapping[str, Any]) -> list[tuple[str, Markup]]:
    """Bytes and monthly cost per storage class, stacked per table or prefix; then the latest plan's billable
    bytes per class before and after. Every chart stacks the classes in one order, in the same colours."""
    plan = cost.get("Plan") or {}
    sides = [plan[k] or {} for k in ("BillableBytesBefore", "BillableBytesAfter") if plan.get(k) is not None]
    classes = class_order([c["StorageClass"] for c in cost["StorageClasses"]] + [k for side in sides for k in side])
    by = {g["Name"]: {c["StorageClass"]: c for c in g["StorageClasses"]} for g in cost["Groups"]}
    largest = max([g["Total"]["Bytes"] for g in cost["Groups"]] + [sum(side.values()) for side in sides] + [0])
    size, unit = byte_unit(largest)
    sized = {name: {k: v["Bytes"] / size for k, v in rows.items()} for name, rows in by.items()}
    money = {name: {k: v["MonthlyCost"] for k, v in rows.items()} for name, rows in by.items()}
    currency = cost.get("Currency", "USD")
    out = [
        (
            f"Size ({unit})",
            bars_svg(stacked_bars(sized, series=classes), title="Size", element_id="cost-bytes", unit=f" {unit}"),
        ),
        (
            f"Monthly cost ({currency})",
            bars_svg(
                stacked_bars(money, series=classes), title="Monthly cost", element_id="cost-money", unit=f" {currency}"
            ),
        ),
    ]
    if len(sides) == 2:
        stacks = {
            label: {k: v / size for k, v in side.items()}
            for label, side in zip(("now", "after plan"), sides, strict=True)
        }
        title = f"Latest plan: billable {unit}"
        chart = stacked_bars(stacks, series=classes, width=280.0)
        out.append((title, bars_svg(chart, title=title, element_id="cost-plan", unit=f" {unit}")))
    return out
