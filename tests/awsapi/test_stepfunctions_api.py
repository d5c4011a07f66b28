"""The Step Functions API over real HTTP: boto3's ``stepfunctions`` client against uvicorn on loopback, with
executions carried out by the default launcher (a detached ``python -m service.runner`` each)."""

from __future__ import annotations

import dataclasses
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from awsapi.app import is_read
from service import STATES, invoke
from sluice.context import SluiceContext
from sluice.launch import Work
from sparkio.session import spark_submit_env
from stepfunctions.durable import run_execution
from tests.awsapi.test_app import REGION, Endpoint, endpoint, error  # noqa: F401  (endpoint: a fixture)

ROLE = "arn:aws:iam::123456789012:role/service-role/StepFunctions-role"
WAIT_AND_CHOOSE = {
    "Comment": "Pass, a one-second Wait, a Choice, then Succeed",
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Parameters": {"n.$": "$.n", "greeting": "hello"}, "Next": "Pause"},
        "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Check"},
        "Check": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.n", "NumericGreaterThan": 1, "Next": "Done"}],
            "Default": "TooSmall",
        },
        "Done": {"Type": "Succeed"},
        "TooSmall": {"Type": "Fail", "Error": "TooSmall", "Cause": "n must be above 1"},
    },
}
LONG_WAIT = {"StartAt": "Sleep", "States": {"Sleep": {"Type": "Wait", "Seconds": 600, "End": True}}}
BAD_NEXT = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "X"}, "B": {"Type": "Succeed"}}}


def states_client(at: Endpoint, **config: Any) -> Any:
    """boto3's ``stepfunctions`` client of the endpoint, as its key."""
    return boto3.client(
        "stepfunctions",
        endpoint_url=at.url,
        region_name=REGION,
        aws_access_key_id=at.key_id,
        aws_secret_access_key=at.secret,
        config=Config(**config),
    )


def post_states(at: Endpoint, target: str, body: bytes) -> requests.Response:
    """POST ``body`` as Step Functions' ``target``, signed for the ``states`` service."""
    headers = {"X-Amz-Target": f"AWSStepFunctions.{target}", "Content-Type": "application/x-amz-json-1.0"}
    request = AWSRequest(method="POST", url=f"{at.url}/", data=body, headers=headers)
    SigV4Auth(Credentials(at.key_id, at.secret), "states", REGION).add_auth(request)
    return requests.post(f"{at.url}/", data=body, headers=dict(request.headers), timeout=30)


@pytest.fixture
def sfn(endpoint: Endpoint) -> Any:  # noqa: F811
    return states_client(endpoint)


def create(sfn: Any, name: str, definition: dict[str, Any], **kwargs: Any) -> str:
    return sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE, **kwargs)[
        "stateMachineArn"
    ]


def wait_for(check: Callable[[], Any], seconds: float = 60) -> Any:
    """``check()``'s first truthy value, polled until ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.1)
    return found


def ended(sfn: Any, arn: str) -> dict[str, Any]:
    return wait_for(lambda: (d := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and d)


def history(sfn: Any, arn: str, **kwargs: Any) -> list[dict[str, Any]]:
    return sfn.get_execution_history(executionArn=arn, **kwargs)["events"]


def test_state_machines_are_created_described_updated_listed_and_deleted(sfn: Any) -> None:
    arn = create(sfn, "orders", WAIT_AND_CHOOSE)
    assert arn == f"arn:aws:states:{REGION}:123456789012:stateMachine:orders"
    assert create(sfn, "orders", WAIT_AND_CHOOSE) == arn  # the same configuration again: idempotent
    with pytest.raises(sfn.exceptions.StateMachineAlreadyExists):
        create(sfn, "orders", LONG_WAIT)

    described = sfn.describe_state_machine(stateMachineArn=arn)
    assert (described["name"], described["status"], described["type"], described["roleArn"]) == (
        "orders",
        "ACTIVE",
        "STANDARD",
        ROLE,
    )
    assert json.loads(described["definition"]) == WAIT_AND_CHOOSE
    assert described["creationDate"].tzinfo is not None

    updated = sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(LONG_WAIT))
    assert updated["revisionId"] != described["revisionId"]
    assert json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"]) == LONG_WAIT

    for name in ("alpha", "beta"):
        create(sfn, name, LONG_WAIT, type="EXPRESS")
    first = sfn.list_state_machines(maxResults=2)
    assert [m["name"] for m in first["stateMachines"]] == ["alpha", "beta"]
    rest = sfn.list_state_machines(maxResults=2, nextToken=first["nextToken"])
    assert [m["name"] for m in rest["stateMachines"]] == ["orders"] and "nextToken" not in rest
    paged = [m["name"] for page in sfn.get_paginator("list_state_machines").paginate() for m in page["stateMachines"]]
    assert paged == ["alpha", "beta", "orders"]

    sfn.delete_state_machine(stateMachineArn=arn)
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist) as missing:
        sfn.describe_state_machine(stateMachineArn=arn)
    assert arn in error(missing)[1]


def test_an_execution_runs_to_success_in_its_runner_with_its_history(sfn: Any) -> None:
    machine = create(sfn, "greeter", WAIT_AND_CHOOSE)
    started = sfn.start_execution(stateMachineArn=machine, name="run-1", input='{"n": 5}')
    arn = started["executionArn"]
    assert arn == f"arn:aws:states:{REGION}:123456789012:execution:greeter:run-1"
    again = sfn.start_execution(stateMachineArn=machine, name="run-1", input='{"n": 5}')
    assert again["executionArn"] == arn  # same name and input while running: the same execution
    with pytest.raises(sfn.exceptions.ExecutionAlreadyExists):
        sfn.start_execution(stateMachineArn=machine, name="run-1", input='{"n": 6}')

    described = ended(sfn, arn)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == {"n": 5, "greeting": "hello"}
    assert json.loads(described["input"]) == {"n": 5}
    assert (described["stopDate"] - described["startDate"]).total_seconds() >= 1  # the Wait took its second

    events = history(sfn, arn)
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert all(e["previousEventId"] == e["id"] - 1 for e in events)
    assert [e["type"] for e in events] == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "WaitStateEntered",
        "WaitStateExited",
        "ChoiceStateEntered",
        "ChoiceStateExited",
        "SucceedStateEntered",
        "SucceedStateExited",
        "ExecutionSucceeded",
    ]
    assert json.loads(events[0]["executionStartedEventDetails"]["input"]) == {"n": 5}
    assert events[0]["executionStartedEventDetails"]["roleArn"] == ROLE
    assert events[2]["stateExitedEventDetails"]["name"] == "Prepare"
    assert (events[4]["timestamp"] - events[3]["timestamp"]).total_seconds() >= 1

    pages = sfn.get_paginator("get_execution_history").paginate(executionArn=arn, PaginationConfig={"PageSize": 3})
    assert [e["id"] for page in pages for e in page["events"]] == [e["id"] for e in events]
    assert [e["id"] for e in history(sfn, arn, reverseOrder=True)] == list(range(len(events), 0, -1))
    bare = history(sfn, arn, includeExecutionData=False)
    assert "input" not in bare[0]["executionStartedEventDetails"]

    assert [e["executionArn"] for e in sfn.list_executions(stateMachineArn=machine)["executions"]] == [arn]
    assert sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"] == []
    with pytest.raises(sfn.exceptions.ExecutionAlreadyExists):  # a name is not reused once it has ended
        sfn.start_execution(stateMachineArn=machine, name="run-1", input='{"n": 5}')


def test_a_fail_state_fails_the_execution(sfn: Any) -> None:
    machine = create(sfn, "greeter", WAIT_AND_CHOOSE)
    arn = sfn.start_execution(stateMachineArn=machine, input='{"n": 1}')["executionArn"]
    described = ended(sfn, arn)
    assert (described["status"], described["error"], described["cause"]) == ("FAILED", "TooSmall", "n must be above 1")
    assert "output" not in described
    last = history(sfn, arn, reverseOrder=True, maxResults=1)[0]
    assert last["type"] == "ExecutionFailed"
    assert last["executionFailedEventDetails"] == {"error": "TooSmall", "cause": "n must be above 1"}
    assert sfn.list_executions(stateMachineArn=machine, statusFilter="FAILED")["executions"][0]["executionArn"] == arn


def test_an_execution_stopped_in_a_wait_ends_aborted_and_its_runner_stops(sfn: Any, endpoint: Endpoint) -> None:  # noqa: F811
    machine = create(sfn, "sleeper", LONG_WAIT)
    arn = sfn.start_execution(stateMachineArn=machine, name="nap")["executionArn"]
    wait_for(lambda: any(e["type"] == "WaitStateEntered" for e in history(sfn, arn)))  # the runner is in the Wait
    stopped = sfn.stop_execution(executionArn=arn, error="Operator", cause="no longer needed")
    described = sfn.describe_execution(executionArn=arn)
    assert (described["status"], described["error"], described["cause"]) == ("ABORTED", "Operator", "no longer needed")
    assert described["stopDate"] == stopped["stopDate"]
    events = history(sfn, arn)
    assert events[-1]["type"] == "ExecutionAborted" and events[-1]["id"] == len(events)
    assert events[-1]["executionAbortedEventDetails"] == {"error": "Operator", "cause": "no longer needed"}
    log = endpoint.ctx.settings.home / "runs" / f"{arn}.log"
    wait_for(lambda: log.exists() and "ended ABORTED" in log.read_text(), 30)  # it left its Wait within a second
    assert history(sfn, arn) == events


def test_start_sync_execution_runs_an_express_machine_in_the_request(endpoint: Endpoint, sfn: Any) -> None:  # noqa: F811
    express = create(sfn, "quick", WAIT_AND_CHOOSE, type="EXPRESS")
    # StartSyncExecution's endpoint has the host prefix "sync-", which a loopback address cannot take
    sync = states_client(endpoint, inject_host_prefix=False)
    result = sync.start_sync_execution(stateMachineArn=express, name="now", input='{"n": 3}')
    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"]) == {"n": 3, "greeting": "hello"}
    assert result["executionArn"].startswith(f"arn:aws:states:{REGION}:123456789012:express:quick:now:")
    assert (result["stopDate"] - result["startDate"]).total_seconds() >= 1
    failed = sync.start_sync_execution(stateMachineArn=express, input='{"n": 0}')
    assert (failed["status"], failed["error"]) == ("FAILED", "TooSmall") and "output" not in failed
    standard = create(sfn, "slow", LONG_WAIT)
    with pytest.raises(sync.exceptions.StateMachineTypeNotSupported):
        sync.start_sync_execution(stateMachineArn=standard)


def test_validate_state_machine_definition(sfn: Any) -> None:
    assert sfn.validate_state_machine_definition(definition=json.dumps(WAIT_AND_CHOOSE))["result"] == "OK"
    bad = sfn.validate_state_machine_definition(definition=json.dumps(BAD_NEXT))
    assert bad["result"] == "FAIL" and bad["truncated"] is False
    assert {d["location"] for d in bad["diagnostics"] if "location" in d} >= {"/States/A/Next"}
    assert all(d["severity"] == "ERROR" for d in bad["diagnostics"])
    unsupported = {
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": True}},
    }
    found = sfn.validate_state_machine_definition(definition=json.dumps(unsupported))["diagnostics"]
    assert [d["code"] for d in found] == ["INVALID_RESOURCE"] and "sqs:sendMessage" in found[0]["message"]


def test_errors_are_the_apis_error_shapes(sfn: Any, endpoint: Endpoint) -> None:  # noqa: F811
    missing = "arn:aws:states:us-east-1:123456789012:stateMachine:nope"
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist) as absent:
        sfn.start_execution(stateMachineArn=missing)
    assert error(absent) == ("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{missing}'", 400)
    with pytest.raises(sfn.exceptions.InvalidDefinition) as invalid:
        create(sfn, "broken", BAD_NEXT)
    assert "/States/A/Next" in error(invalid)[1] and "MISSING_TRANSITION_TARGET" in error(invalid)[1]
    with pytest.raises(sfn.exceptions.InvalidArn):
        sfn.describe_state_machine(stateMachineArn="arn:aws:glue:us-east-1:123456789012:job/x")
    with pytest.raises(sfn.exceptions.InvalidArn):
        sfn.describe_execution(executionArn="not-an-arn")
    with pytest.raises(sfn.exceptions.ExecutionDoesNotExist):
        sfn.describe_execution(executionArn="arn:aws:states:us-east-1:123456789012:execution:nope:x")
    with pytest.raises(sfn.exceptions.InvalidName):
        create(sfn, "has space", LONG_WAIT)
    machine = create(sfn, "sleeper", LONG_WAIT)
    with pytest.raises(sfn.exceptions.InvalidExecutionInput):
        sfn.start_execution(stateMachineArn=machine, input="{not json")
    with pytest.raises(sfn.exceptions.InvalidToken):
        sfn.list_state_machines(nextToken="forged")
    with pytest.raises(sfn.exceptions.ValidationException) as invalid_page:
        sfn.list_state_machines(maxResults=1001)
    assert "maxResults" in error(invalid_page)[1]
    with pytest.raises(sfn.exceptions.ValidationException):
        sfn.list_executions()

    response = endpoint.post("ListStateMachines", b"{}")  # a Glue target of that name: Glue has none
    assert response.json()["__type"] == "UnknownOperationException"
    unknown = post_states(endpoint, "CreateActivity", b"{}")  # not served (yet)
    assert (unknown.status_code, unknown.headers["content-type"]) == (400, "application/x-amz-json-1.0")
    assert unknown.json() == {"__type": "UnknownOperationException", "message": unknown.json()["message"]}
    assert unknown.headers["x-amzn-ErrorType"] == "UnknownOperationException"
    listed = sfn.list_state_machines()["ResponseMetadata"]["HTTPHeaders"]
    assert listed["content-type"] == "application/x-amz-json-1.0"


class Deferred:
    """A launcher that only keeps the work, for the test to run."""

    def __init__(self) -> None:
        self.work: list[Work] = []

    def launch(self, ctx: SluiceContext, work: Work) -> None:
        self.work.append(work)


def test_a_killed_runner_resumes_at_the_state_it_was_in(ctx: SluiceContext) -> None:
    """SIGKILL the runner in a Wait: a second run resumes from the persisted state, so no state runs twice and
    the history goes on from the last persisted event."""
    deferred = Deferred()
    on = dataclasses.replace(ctx, launcher=deferred)
    definition = {
        "StartAt": "First",
        "States": {
            "First": {"Type": "Pass", "Result": 1, "ResultPath": "$.first", "Next": "Pause"},
            "Pause": {"Type": "Wait", "Seconds": 2, "Next": "Last"},
            "Last": {"Type": "Pass", "Result": 2, "ResultPath": "$.last", "End": True},
        },
    }
    request = {"name": "resumable", "definition": json.dumps(definition), "roleArn": ROLE}
    machine = invoke(on, "CreateStateMachine", request, STATES)["stateMachineArn"]
    arn = invoke(on, "StartExecution", {"stateMachineArn": machine, "input": "{}"}, STATES)["executionArn"]
    runner = subprocess.Popen(
        [sys.executable, "-m", "service.runner", json.dumps(deferred.work[0].to_conf())],
        env=spark_submit_env(ctx),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def types() -> list[str]:
        return [e["type"] for e in invoke(ctx, "GetExecutionHistory", {"executionArn": arn}, STATES)["events"]]

    wait_for(lambda: "WaitStateEntered" in types() and runner.poll() is None)
    runner.send_signal(signal.SIGKILL)
    runner.wait()
    assert invoke(ctx, "DescribeExecution", {"executionArn": arn}, STATES)["status"] == "RUNNING"
    assert run_execution(ctx, arn) == "SUCCEEDED"
    described = invoke(ctx, "DescribeExecution", {"executionArn": arn}, STATES)
    assert json.loads(described["output"]) == {"first": 1, "last": 2}
    events = invoke(ctx, "GetExecutionHistory", {"executionArn": arn}, STATES)["events"]
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert [e["type"] for e in events] == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "WaitStateEntered",
        "WaitStateExited",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]


def test_reads_include_step_functions_describe_list_get_and_validate() -> None:
    reads = ("DescribeExecution", "ListExecutions", "GetExecutionHistory", "ValidateStateMachineDefinition")
    assert all(is_read(op) for op in reads)
    assert not any(is_read(op) for op in ("StartExecution", "StopExecution", "CreateStateMachine"))
