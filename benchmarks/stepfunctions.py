"""Step Functions: Sluice's in-process ASL interpreter against moto's Step Functions executor, same definitions.

Three definitions, each run through both in this one run:

1. an inline Map of ``--items`` (10,000) items whose iterations are a Pass, a Choice and a Succeed or Pass;
2. a chain of ``--chain`` (200) Pass states;
3. a Parallel of ``--branches`` (50) branches of one Pass each.

Sluice runs ``stepfunctions.run_sync`` (validation, every state, the whole history) on a fake clock; moto runs
inside ``mock_aws(config={"stepfunctions": {"execute_state_machine": True}})`` (its ASL executor, in this
process) through boto3: CreateStateMachine, StartExecution, then DescribeExecution every 2 ms until the
execution ends. Moto's time is its own ``stopDate - startDate`` (what it spent executing, not the polling),
Sluice's the wall time of ``run_sync``; best of ``--repeat`` (3). Both outputs are checked equal. Throughput
is states entered per second (the count from Sluice's history, the same work for both). Goal: Sluice at
least 5x moto's throughput on each. Run: ``.venv/bin/python benchmarks/stepfunctions.py [--items N]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

# This file's name is the package's: import the package, not this script, as ``stepfunctions``.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

GOAL = 5.0
ROLE = "arn:aws:iam::123456789012:role/service-role/bench"


def map_definition(items: int) -> tuple[dict[str, Any], Any]:
    """An inline Map over ``items`` numbers: each iteration a Pass, a Choice on its value, then Succeed or Pass."""
    processor = {
        "StartAt": "Shape",
        "States": {
            "Shape": {"Type": "Pass", "Parameters": {"n.$": "$"}, "Next": "Big?"},
            "Big?": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": items // 2, "Next": "Big"}],
                "Default": "Small",
            },
            "Big": {"Type": "Succeed"},
            "Small": {"Type": "Pass", "Result": "small", "End": True},
        },
    }
    state = {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": processor, "End": True}
    return {"StartAt": "Each", "States": {"Each": state}}, {"items": list(range(items))}


def chain_definition(length: int) -> tuple[dict[str, Any], Any]:
    """``length`` Pass states in a row, each adding a key."""
    states: dict[str, Any] = {}
    for i in range(length):
        state: dict[str, Any] = {"Type": "Pass", "Result": i, "ResultPath": f"$.s{i % 10}"}
        states[f"S{i}"] = state | ({"Next": f"S{i + 1}"} if i + 1 < length else {"End": True})
    return {"StartAt": "S0", "States": states}, {"start": True}


def parallel_definition(branches: int) -> tuple[dict[str, Any], Any]:
    """A Parallel of ``branches`` branches, each one Pass."""
    branch = [
        {"StartAt": f"B{i}", "States": {f"B{i}": {"Type": "Pass", "Result": {"branch": i}, "End": True}}}
        for i in range(branches)
    ]
    return {"StartAt": "Fan", "States": {"Fan": {"Type": "Parallel", "Branches": branch, "End": True}}}, {}


def sluice_run(definition: dict[str, Any], value: Any) -> tuple[float, Any, int]:
    """One run_sync: wall seconds, parsed output and the number of states entered."""
    from stepfunctions import FakeClock, run_sync

    started = time.perf_counter()
    response = run_sync(definition, value, clock=FakeClock())
    seconds = time.perf_counter() - started
    assert response["status"] == "SUCCEEDED", response
    entered = sum(1 for e in response["history"] if e["type"].endswith("StateEntered"))
    return seconds, json.loads(response["output"]), entered


def moto_run(client: Any, definition: dict[str, Any], value: Any, name: str) -> tuple[float, Any]:
    """One moto execution of a fresh state machine: moto's own start-to-stop seconds and the parsed output."""
    arn = client.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
    execution = client.start_execution(stateMachineArn=arn, input=json.dumps(value))["executionArn"]
    while True:
        described = client.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING" and (described["status"] != "SUCCEEDED" or "output" in described):
            break  # moto marks an execution SUCCEEDED a moment before it stores the output
        time.sleep(0.002)
    assert described["status"] == "SUCCEEDED", described
    seconds = (described["stopDate"] - described["startDate"]).total_seconds()
    return seconds, json.loads(described["output"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000, help="Map items (default 10,000)")
    parser.add_argument("--chain", type=int, default=200, help="Pass states in the chain (default 200)")
    parser.add_argument("--branches", type=int, default=50, help="Parallel branches (default 50)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, best taken (default 3)")
    args = parser.parse_args()

    import boto3
    from moto import mock_aws

    cases = {
        f"inline Map, {args.items:,} items (Pass+Choice)": map_definition(args.items),
        f"chain of {args.chain} Pass states": chain_definition(args.chain),
        f"Parallel of {args.branches} branches": parallel_definition(args.branches),
    }
    rows = []
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        client = boto3.client(
            "stepfunctions", region_name="us-east-1", aws_access_key_id="bench", aws_secret_access_key="bench"
        )
        for index, (label, (definition, value)) in enumerate(cases.items()):
            moto_runs = [moto_run(client, definition, value, f"bench{index}-{i}") for i in range(args.repeat)]
            moto_seconds, moto_output = min(moto_runs, key=lambda r: r[0])
            runs = [sluice_run(definition, value) for _ in range(args.repeat)]
            sluice_seconds, sluice_output, entered = min(runs, key=lambda r: r[0])
            assert sluice_output == moto_output, f"{label}: the outputs differ"
            rows.append((label, entered, sluice_seconds, moto_seconds))
            print(
                f"{label}: {entered:,} states;"
                f" Sluice {sluice_seconds:.3f} s ({entered / sluice_seconds:,.0f} states/s),"
                f" moto {moto_seconds:.3f} s ({entered / moto_seconds:,.0f} states/s),"
                f" ratio {moto_seconds / sluice_seconds:.1f}x",
                flush=True,
            )
    print()
    print("| definition | states entered | Sluice | moto | Sluice states/s | moto states/s | ratio (goal ≥ 5×) |")
    print("|---|---|---|---|---|---|---|")
    for label, entered, sluice_seconds, moto_seconds in rows:
        ratio = moto_seconds / sluice_seconds
        mark = "" if ratio >= GOAL else " (below goal)"
        print(
            f"| {label} | {entered:,} | {sluice_seconds:.3f} s | {moto_seconds:.3f} s | {entered / sluice_seconds:,.0f}"
            f" | {entered / moto_seconds:,.0f} | **{ratio:.1f}×**{mark} |"
        )


if __name__ == "__main__":
    main()
