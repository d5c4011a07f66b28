"""The pages' pictures, pure and in milliseconds: graph layering and routing, chart scales and ticks, the state
machine graph of a definition and an execution's history read as steps, and the SVG they become."""

from __future__ import annotations

import re

import pytest
from sluice_airflow.ui import pictures
from sluice_airflow.ui.charts import Scale, line_chart, nice_ticks, stacked_bars
from sluice_airflow.ui.graph import back_edges, layer_of, layout
from sluice_airflow.ui.machine import END, START, execution_steps, machine_graph, path_statuses, state_statuses

POLLER = {
    "StartAt": "Crawl",
    "States": {
        "Crawl": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:glue:startCrawler", "Next": "Ready?"},
        "Ready?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.s", "StringEquals": "READY", "Next": "Both"}],
            "Default": "Wait",
        },
        "Wait": {"Type": "Wait", "Seconds": 5, "Next": "Crawl"},
        "Both": {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "End": True}}},
                {
                    "StartAt": "Each",
                    "States": {
                        "Each": {
                            "Type": "Map",
                            "ItemProcessor": {"StartAt": "Item", "States": {"Item": {"Type": "Pass", "End": True}}},
                            "End": True,
                        }
                    },
                },
            ],
            "Next": "Done",
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Oops"}],
        },
        "Done": {"Type": "Succeed"},
        "Oops": {"Type": "Fail"},
    },
}


def test_cycles_are_broken_and_layers_are_longest_paths() -> None:
    nodes = ["a", "b", "c", "d"]
    edges = [("a", "b"), ("b", "c"), ("c", "a"), ("a", "d"), ("d", "c")]
    assert back_edges(nodes, edges) == {("c", "a")}
    assert layer_of(nodes, edges) == {"a": 0, "b": 1, "d": 1, "c": 2}


def test_layout_places_layers_left_to_right_and_keeps_nodes_apart() -> None:
    drawn = layout(["s", "a", "b", "t"], [("s", "a"), ("s", "b"), ("a", "t"), ("b", "t"), ("s", "t")])
    xs = {n: box.x for n, box in drawn.nodes.items()}
    assert xs["s"] < xs["a"] == xs["b"] < xs["t"]
    a, b = drawn.nodes["a"], drawn.nodes["b"]
    assert abs(a.y - b.y) >= a.h  # no overlap within a layer
    assert len(drawn.routes) == 5 and not any(r.back for r in drawn.routes)
    long = next(r for r in drawn.routes if (r.source, r.target) == ("s", "t"))
    assert long.d.count("C") + long.d.count("L") >= 3  # routed through its dummy in the middle layer
    assert all(box.x + box.w <= drawn.width and box.y + box.h <= drawn.height for box in drawn.nodes.values())


def test_layout_of_a_thousand_tables_is_quick() -> None:
    nodes = [f"t{i}" for i in range(1000)] + [f"j{i}" for i in range(100)]
    edges = [(f"t{i}", f"j{i % 100}") for i in range(900)] + [(f"j{i}", f"t{900 + i}") for i in range(100)]
    drawn = layout(nodes, edges)
    assert len(drawn.nodes) == 1100 and len(drawn.routes) == 1000


def test_nice_ticks_and_scales() -> None:
    assert nice_ticks(0, 1) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(3, 97) == [0, 20, 40, 60, 80, 100]
    assert nice_ticks(5, 5)[0] < 5 < nice_ticks(5, 5)[-1]
    y = Scale(0, 10, 100, 0)
    assert (y(0), y(5), y(10)) == (100, 50, 0)


def test_line_chart_has_a_point_per_value_a_band_and_marks() -> None:
    points = [
        {"When": "2026-01-01T00:00:00+00:00", "V": 10, "Lo": 8},
        {"When": "2026-01-02T00:00:00+00:00", "V": None},
        {"When": "2026-01-03T00:00:00+00:00", "V": 30, "Lo": 9, "Hi": 40, "Bad": "FAILED"},
    ]
    chart = line_chart(points, value="V", when="When", mark="Bad", lower="Lo", upper="Hi")
    assert [p.value for p in chart.points] == [10, 30]
    assert [p.mark for p in chart.points] == [None, "FAILED"]
    assert chart.points[0].x < chart.points[1].x and chart.points[0].y > chart.points[1].y
    assert chart.band is not None and chart.band.lower and chart.band.upper
    svg = pictures.line_svg(chart, title="t", element_id="c")
    assert svg.count('class="point') == 2 and svg.count("point marked") == 1 and 'class="band"' in svg


def test_stacked_bars_stack_series_per_category() -> None:
    chart = stacked_bars(
        {"raw.a": {"STANDARD": 3, "GLACIER": 1}, "logs/": {"STANDARD": 2}}, series=["STANDARD", "GLACIER"]
    )
    assert [(b.category, b.series) for b in chart.bars] == [
        ("raw.a", "STANDARD"),
        ("raw.a", "GLACIER"),
        ("logs/", "STANDARD"),
    ]
    standard, glacier = chart.bars[:2]
    assert glacier.y + glacier.h == pytest.approx(standard.y, abs=0.11)  # GLACIER sits on STANDARD
    assert standard.h == pytest.approx(3 * glacier.h, abs=0.3)
    assert pictures.bars_svg(chart, title="t", element_id="b").count('class="bar"') == 3


def test_machine_graph_has_branches_loops_and_catches() -> None:
    graph = machine_graph(POLLER)
    assert next(iter(graph.states)) == START and list(graph.states)[-1] == END
    assert graph.groups == {"Left": "Both: branch 1", "Each": "Both: branch 2", "Item": "Both: branch 2/Each: items"}
    edges = set(graph.edges)
    assert {("Wait", "Crawl", "next"), ("Both", "Left", "branch"), ("Each", "Item", "branch")} <= edges
    assert {("Left", "Done", "next"), ("Item", "Done", "next"), ("Both", "Oops", "catch")} <= edges
    assert ("Both", "Done", "next") not in edges  # the branches lead on, not the Parallel itself
    assert {("Done", END, "next"), ("Oops", END, "next"), (START, "Crawl", "next")} <= edges
    svg = pictures.machine_svg(graph.to_dict(), {"Crawl": "SUCCEEDED"})
    assert svg.count('<g class="node') == len(graph.states)
    assert svg.count('class="group"') == 3 and svg.count("status-SUCCEEDED") == 1
    assert svg.count('class="edge back"') == 1  # Wait → Crawl


def _event(i: int, kind: str, **details: object) -> dict[str, object]:
    return {"id": i, "type": kind, "timestamp": f"2026-01-01T00:00:{i:02d}", **details}


def test_execution_steps_colour_states_by_how_they_ended() -> None:
    events = [
        _event(1, "ExecutionStarted"),
        _event(2, "TaskStateEntered", stateEnteredEventDetails={"name": "Crawl", "input": '{"a": 1}'}),
        _event(3, "TaskSucceeded"),
        _event(4, "TaskStateExited", stateExitedEventDetails={"name": "Crawl", "output": '{"s": "READY"}'}),
        _event(5, "ParallelStateEntered", stateEnteredEventDetails={"name": "Both", "input": "{}"}),
        _event(6, "PassStateEntered", stateEnteredEventDetails={"name": "Left", "input": "{}"}),
        _event(7, "PassStateExited", stateExitedEventDetails={"name": "Left", "output": "{}"}),
        _event(8, "ParallelStateFailed", parallelStateFailedEventDetails={"error": "E", "cause": "boom"}),
        _event(9, "FailStateEntered", stateEnteredEventDetails={"name": "Oops", "input": "{}"}),
        _event(10, "ExecutionFailed", executionFailedEventDetails={"error": "E"}),
    ]
    steps = execution_steps(events, "FAILED")
    assert [(s.name, s.status) for s in steps] == [
        ("Crawl", "SUCCEEDED"),
        ("Both", "FAILED"),
        ("Left", "SUCCEEDED"),
        ("Oops", "FAILED"),
    ]
    assert steps[0].input == {"a": 1} and steps[0].output == {"s": "READY"} and steps[1].error == "E · boom"
    statuses = path_statuses(machine_graph(POLLER), state_statuses(steps), "FAILED")
    assert statuses[START] == "SUCCEEDED" and statuses[END] == "FAILED" and "Wait" not in statuses


def test_lineage_svg_links_every_node_and_marks_the_focus() -> None:
    lineage = {
        "Nodes": [
            {"Id": "crawler:c", "Kind": "crawler", "Name": "c"},
            {"Id": "table:raw.e", "Kind": "table", "Name": "raw.e"},
            {"Id": "job:j", "Kind": "job", "Name": "j"},
            {"Id": "warehouse:main.w", "Kind": "warehouse", "Name": "main.w"},
        ],
        "Edges": [
            {"From": "crawler:c", "To": "table:raw.e", "Via": "crawl"},
            {"From": "table:raw.e", "To": "job:j", "Via": "read"},
            {"From": "job:j", "To": "warehouse:main.w", "Via": "load"},
        ],
    }
    svg = pictures.lineage_svg(lineage, "/sluice", focus="table:raw.e")
    assert re.findall(r'href="([^"]+)"', svg) == [
        "/sluice/crawls?crawler=c",
        "/sluice/tables/raw/e",
        "/sluice/job-runs?job_name=j",
        "/sluice/loads/main.w",
    ]
    assert svg.count('class="edge"') == 3 and svg.count("status-focus") == 1


def test_cost_charts_share_one_unit_and_class_order() -> None:
    row = {"Objects": 1, "BillableBytes": 0}
    cost = {
        "Currency": "USD",
        "StorageClasses": [{"StorageClass": "GLACIER"}, {"StorageClass": "STANDARD"}],
        "Groups": [
            {
                "Name": "raw.events",
                "StorageClasses": [
                    row | {"StorageClass": "GLACIER", "Bytes": 3 * 2**20, "MonthlyCost": 0.01},
                    row | {"StorageClass": "STANDARD", "Bytes": 2**20, "MonthlyCost": 0.02},
                ],
                "Total": {"Bytes": 4 * 2**20},
            }
        ],
        "Plan": {"BillableBytesBefore": {"STANDARD": 2**20}, "BillableBytesAfter": {"GLACIER": 2**20}},
    }
    assert pictures.byte_unit(4 * 2**20) == (2**20, "MiB") and pictures.byte_unit(10) == (1, "bytes")
    titles = [title for title, _ in pictures.cost_svgs(cost)]
    assert titles == ["Size (MiB)", "Monthly cost (USD)", "Latest plan: billable MiB"]
    size, _money, plan = (svg for _, svg in pictures.cost_svgs(cost))
    assert re.findall(r'data-series="(\w+)"', size) == ["STANDARD", "GLACIER"]  # warm at the bottom
    colour = dict(re.findall(r'fill="(#\w+)" data-category="[^"]+" data-series="(\w+)"', size))
    assert dict(re.findall(r'fill="(#\w+)" data-category="[^"]+" data-series="(\w+)"', plan)) == colour
