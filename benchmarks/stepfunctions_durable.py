"""Step Functions, durable: what persisting each state transition costs, on SQLite and on PostgreSQL.

The same definitions run twice in this one run: in memory (``stepfunctions.run_sync``: no persistence, the
baseline) and as a recorded execution (``StartExecution`` then ``stepfunctions.durable.run_execution``: every
transition's state and new history events written in one transaction before the next starts). Definitions:

1. a chain of ``--chain`` (200) Pass states;
2. a chain of ``--tasks`` (50) Task states (``aws-sdk:glue:getDatabases``: a Task is persisted in flight, then
   done, so it is two writes).

A state transition is a state entered (as Step Functions counts them). The figure is the durable run's extra
time per transition ((durable - in memory) / transitions), best of ``--repeat`` (3). Goal: at most 5 ms a
transition on each database. PostgreSQL is ``--pg`` (the test server,
a fresh schema dropped afterwards). Run: ``.venv/bin/python benchmarks/stepfunctions_durable.py``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

# This file's name starts as the package's: import the package, not a script here, as ``stepfunctions``.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

GOAL_MS = 5.0
ROLE = "arn:aws:iam::123456789012:role/service-role/bench"
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class Held:
    """A launcher that keeps the work: the benchmark runs the execution itself."""

    def launch(self, ctx: Any, work: Any) -> None:
        pass


def chain(length: int, state: dict[str, Any]) -> dict[str, Any]:
    names = [f"S{i}" for i in range(length)]
    states = {n: {**state, "Next": names[i + 1]} for i, n in enumerate(names[:-1])}
    states[names[-1]] = {**state, "End": True}
    return {"StartAt": names[0], "States": states}


def durable_run(ctx: Any, definition: dict[str, Any]) -> tuple[float, int]:
    """Seconds of ``run_execution`` of a new execution, and its transitions (the states it entered)."""
    from service import STATES, invoke
    from stepfunctions.durable import run_execution

    name = f"bench-{uuid.uuid4().hex[:8]}"
    request = {"name": name, "definition": json.dumps(definition), "roleArn": ROLE}
    machine = invoke(ctx, "CreateStateMachine", request, STATES)["stateMachineArn"]
    arn = invoke(ctx, "StartExecution", {"stateMachineArn": machine, "input": "{}"}, STATES)["executionArn"]
    started = time.perf_counter()
    assert run_execution(ctx, arn) == "SUCCEEDED"
    elapsed = time.perf_counter() - started
    events = invoke(ctx, "GetExecutionHistory", {"executionArn": arn, "maxResults": 1000}, STATES)["events"]
    return elapsed, sum(e["type"].endswith("StateEntered") for e in events)


def memory_run(ctx: Any, definition: dict[str, Any]) -> float:
    from stepfunctions import run_sync
    from stepfunctions.durable import integrations
    from stepfunctions.runtime import SystemClock

    started = time.perf_counter()
    assert run_sync(definition, {}, tasks=integrations(ctx, SystemClock()))["status"] == "SUCCEEDED"
    return time.perf_counter() - started


def measure(ctx: Any, definition: dict[str, Any], repeat: int) -> tuple[float, float, int]:
    memory = min(memory_run(ctx, definition) for _ in range(repeat))
    runs = [durable_run(ctx, definition) for _ in range(repeat)]
    durable = min(seconds for seconds, _ in runs)
    return memory, durable, runs[0][1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chain", type=int, default=200)
    parser.add_argument("--tasks", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pg", default=PG)
    args = parser.parse_args()

    import sqlalchemy as sa

    from sluice.context import SluiceContext
    from sluice.settings import Settings

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(args.pg)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    definitions = {
        f"chain of {args.chain} Pass states": chain(args.chain, {"Type": "Pass"}),
        f"chain of {args.tasks} Tasks (getDatabases)": chain(
            args.tasks, {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:glue:getDatabases", "ResultPath": None}
        ),
    }
    print("| database | definition | transitions | in memory | durable | extra per transition (goal ≤ 5 ms) |")
    print("|---|---|---|---|---|---|")
    try:
        with tempfile.TemporaryDirectory() as home:
            urls = {"SQLite": None, "PostgreSQL": f"{args.pg}?options=-csearch_path%3D{schema}"}
            for database, url in urls.items():
                settings = Settings(home=Path(home) / database, metadata_url=url)
                ctx = dataclasses.replace(SluiceContext(settings), launcher=Held())
                for label, definition in definitions.items():
                    memory, durable, transitions = measure(ctx, definition, args.repeat)
                    extra = (durable - memory) / transitions * 1000
                    mark = "**" if extra <= GOAL_MS else ""
                    print(
                        f"| {database} | {label} | {transitions} | {memory:.3f} s | {durable:.3f} s "
                        f"| {mark}{extra:.2f} ms{mark} |"
                    )
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
