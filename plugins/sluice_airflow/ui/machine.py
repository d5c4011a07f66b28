"""A state machine as a picture (pure): its definition's states and transitions, and an execution's history
read back as each state's status and the input and output of every step.

Parallel branches and Map iterators are groups (``P: branch 1``, ``M: items``, nested with ``/``): the
Parallel or Map state points at each branch's first state, and the branch's last states point at its
``Next``. ``Start`` and ``End`` stand for the execution's start and end, as in the Step Functions console.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

START, END = "Start", "End"


@dataclass
class MachineGraph:
    """States (name → type), transitions (source, target, kind) and each state's group."""

    states: dict[str, str] = field(default_factory=dict)
    edges: list[tuple[str, str, str]] = field(default_factory=list)
    groups: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "States": [{"Name": n, "Type": t, "Group": self.groups.get(n)} for n, t in self.states.items()],
            "Transitions": [{"From": a, "To": b, "Kind": k} for a, b, k in self.edges],
        }


def _targets(state: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    if isinstance(state.get("Next"), str):
        yield state["Next"], "next"
    for rule in state.get("Choices") or []:
        if isinstance(rule, dict) and isinstance(rule.get("Next"), str):
            yield rule["Next"], "choice"
    if isinstance(state.get("Default"), str):
        yield state["Default"], "default"
    for rule in state.get("Catch") or []:
        if isinstance(rule, dict) and isinstance(rule.get("Next"), str):
            yield rule["Next"], "catch"


def _ends(state: Mapping[str, Any]) -> bool:
    return bool(state.get("End")) or state.get("Type") in ("Succeed", "Fail")


def _branches(name: str, state: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    if state.get("Type") == "Parallel":
        return [
            (f"{name}: branch {i + 1}", b) for i, b in enumerate(state.get("Branches") or []) if isinstance(b, dict)
        ]
    if state.get("Type") == "Map":
        inner = state.get("ItemProcessor") or state.get("Iterator")
        return [(f"{name}: items", inner)] if isinstance(inner, dict) else []
    return []


def machine_graph(definition: str | Mapping[str, Any]) -> MachineGraph:
    """The graph of an ASL definition (JSON text or parsed); states are named as in the definition."""
    doc = json.loads(definition) if isinstance(definition, str) else definition
    graph = MachineGraph({START: "Start"})
    ends = _container(graph, doc, "")
    if isinstance(doc.get("StartAt"), str):
        graph.edges.append((START, doc["StartAt"], "next"))
    graph.states[END] = "End"
    graph.edges += [(name, END, "next") for name in ends]
    return graph


def _container(graph: MachineGraph, node: Mapping[str, Any], group: str) -> list[str]:
    """Add the states of one ``States`` object; returns the names its execution can end in."""
    ends: list[str] = []
    for name, state in (node.get("States") or {}).items():
        if not isinstance(state, dict):
            continue
        graph.states[name] = str(state.get("Type", "?"))
        if group:
            graph.groups[name] = group
        targets = list(_targets(state))
        branches = _branches(name, state)
        if not branches:
            graph.edges += [(name, target, kind) for target, kind in targets]
            ends += [name] if _ends(state) else []
            continue
        inner_ends: list[str] = []
        for label, branch in branches:
            inner_ends += _container(graph, branch, f"{group}/{label}" if group else label)
            if isinstance(branch.get("StartAt"), str):
                graph.edges.append((name, branch["StartAt"], "branch"))
        graph.edges += [(name, target, kind) for target, kind in targets if kind != "next"]
        after = [target for target, kind in targets if kind == "next"]
        graph.edges += [(end, target, "next") for end in inner_ends for target in after]
        ends += inner_ends if state.get("End") else []
    return ends


SUCCEEDED, FAILED, RUNNING, CAUGHT, ABORTED = "SUCCEEDED", "FAILED", "RUNNING", "CAUGHT_ERROR", "ABORTED"
_RANK = {RUNNING: 1, SUCCEEDED: 2, CAUGHT: 3, ABORTED: 4, FAILED: 5}


@dataclass
class Step:
    """One state's visit: when it was entered and exited, its input and output, and how it ended."""

    name: str
    type: str
    entered: str
    input: Any = None
    exited: str | None = None
    output: Any = None
    status: str = RUNNING
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Name": self.name, "Type": self.type, "Entered": self.entered, "Status": self.status}
        out |= {"Input": self.input, "Exited": self.exited, "Output": self.output}
        return out | ({"Error": self.error} if self.error else {})


def _payload(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _is_failure(kind: str) -> bool:
    return kind.endswith(("Failed", "TimedOut")) and not kind.startswith(("Execution", "MapIteration", "MapRun"))


def execution_steps(events: Sequence[Mapping[str, Any]], status: str) -> list[Step]:
    """The steps of an execution's history events (oldest first); ``status`` is the execution's.

    A failure event (``TaskFailed``, ``MapStateFailed`` …) marks the latest state still open; one that is
    exited afterwards was caught (``CAUGHT_ERROR``). When the execution failed or was aborted, states still
    open end so too.
    """
    steps: list[Step] = []
    open_steps: list[Step] = []
    for event in events:
        kind = str(event.get("type", ""))
        when = str(event.get("timestamp", ""))
        if kind.endswith("StateEntered"):
            details = event.get("stateEnteredEventDetails") or {}
            step = Step(
                str(details.get("name")), kind.removesuffix("StateEntered"), when, _payload(details.get("input"))
            )
            if step.type == "Fail":
                step.status, step.exited = FAILED, when
            else:
                open_steps.append(step)
            steps.append(step)
        elif kind.endswith("StateExited"):
            details = event.get("stateExitedEventDetails") or {}
            name = details.get("name")
            done = next((s for s in reversed(open_steps) if s.name == name), None)
            if done is not None:
                open_steps.remove(done)
                done.exited, done.output = when, _payload(details.get("output"))
                done.status = CAUGHT if done.status == FAILED else SUCCEEDED
        elif _is_failure(kind) and open_steps:
            details = next((v for k, v in event.items() if k.endswith("EventDetails") and isinstance(v, dict)), {})
            step = open_steps[-1]
            step.status = FAILED
            step.error = " · ".join(str(details[k]) for k in ("error", "cause") if details.get(k)) or kind
    final = {"FAILED": FAILED, "TIMED_OUT": FAILED, "ABORTED": ABORTED}.get(status)
    for step in open_steps:
        if final:
            step.status = final
    return steps


def state_statuses(steps: Sequence[Step]) -> dict[str, str]:
    """Each visited state's status over all its visits (a Map's iterations): the worst one, failures first."""
    out: dict[str, str] = {}
    for step in steps:
        if _RANK[step.status] >= _RANK.get(out.get(step.name, ""), 0):
            out[step.name] = step.status
    return out


def path_statuses(graph: MachineGraph, statuses: Mapping[str, str], status: str) -> dict[str, str]:
    """Statuses of the pseudo-states too: Start once the execution began, End once it ended."""
    out = dict(statuses)
    out[START] = SUCCEEDED
    if status != "RUNNING":
        out[END] = SUCCEEDED if status == "SUCCEEDED" else FAILED
    return {name: out[name] for name in graph.states if name in out}
