"""Task integrations run in process over a real SluiceContext (SQLite in a temp home): aws-sdk:glue calls
through the service layer, a crawler polled in a Wait/Choice loop, glue:startJobRun(.sync), Lambda functions
from a registry and nested executions."""

from __future__ import annotations

import json
import textwrap
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from etl import runs
from service import invoke
from service.runner import run as carry_out
from sluice.context import SluiceContext
from sluice.errors import InvalidInputException
from sluice.launch import Work
from sluice.settings import Settings
from stepfunctions import FakeClock, SystemClock, run_sync, validate
from stepfunctions.integrations import Integrations, load_registry
from tests.stepfunctions.conftest import machine

SDK = "arn:aws:states:::aws-sdk:glue:"
FN = "arn:aws:lambda:us-east-1:123456789012:function:"
SM = "arn:aws:states:us-east-1:123456789012:stateMachine:"


class Deferred:
    """A launcher that keeps the work it is given, for the clock to carry out when the execution waits."""

    def __init__(self) -> None:
        self.work: list[Work] = []

    def launch(self, ctx: SluiceContext, work: Work) -> None:
        self.work.append(work)


class WorkingClock(FakeClock):
    """A fake clock on which time passes only for the work in flight: each sleep carries out one step of
    every piece of deferred work (``step(work)`` returns True when that work is done)."""

    def __init__(self, launcher: Deferred, step: Any) -> None:
        super().__init__()
        self.launcher, self.step = launcher, step

    def sleep_until(self, when: datetime) -> None:
        super().sleep_until(when)
        self.launcher.work = [w for w in self.launcher.work if not self.step(w)]


@pytest.fixture
def launcher() -> Deferred:
    return Deferred()


@pytest.fixture
def ctx(tmp_path: Path, launcher: Deferred) -> SluiceContext:
    """A context of its own home (not the test's SLUICE_HOME) whose started runs wait for the clock."""
    return SluiceContext(Settings(home=tmp_path / "h"), launcher=launcher)


def execute(tasks: Integrations, definition: dict[str, Any], value: Any = None, **kwargs: Any) -> dict[str, Any]:
    """Validate with the runner's resource check, run on its clock; the response gains the parsed output and
    the history's event types."""
    report = validate(definition, check_resource=tasks.check_resource)
    assert report["result"] == "OK", report["diagnostics"]
    response = run_sync(definition, {} if value is None else value, tasks=tasks, clock=tasks.clock, **kwargs)
    response["value"] = json.loads(response["output"]) if response["output"] is not None else None
    response["types"] = [e["type"] for e in response["history"]]
    return response


def task(resource: str, **fields: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": resource, **({"End": True} if "Next" not in fields else {}), **fields}


# ---- resources ------------------------------------------------------------------------------------------


def test_unsupported_resources_fail_validation_naming_them(ctx: SluiceContext) -> None:
    tasks = Integrations(ctx)
    definition = machine(
        {
            "Sqs": task("arn:aws:states:::sqs:sendMessage", Next="Typo"),
            "Typo": task(SDK + "getCrawlr", Next="S3"),
            "S3": task("arn:aws:states:::aws-sdk:s3:listBuckets", Next="Token"),
            "Token": task("arn:aws:states:::glue:startJobRun.waitForTaskToken"),  # Glue's has no callback
        }
    )
    report = validate(definition, check_resource=tasks.check_resource)
    found = {d["location"]: d["message"] for d in report["diagnostics"]}
    assert report["result"] == "FAIL" and {d["code"] for d in report["diagnostics"]} == {"INVALID_RESOURCE"}
    assert found["/States/Sqs/Resource"].startswith(
        "The resource provided arn:aws:states:::sqs:sendMessage is not recognized."
    )
    assert (
        "does not implement GetCrawlr (aws-sdk:glue:getCrawlr). Did you mean getCrawler"
        in found["/States/Typo/Resource"]
    )
    assert "only Glue through aws-sdk, not s3" in found["/States/S3/Resource"]
    assert "/States/Token/Resource" in found
    for ok in (
        SDK + "getCrawler",
        "arn:aws:states:::glue:startJobRun.sync",
        FN + "f",
        "arn:aws:states:::lambda:invoke",
        "arn:aws:states:::lambda:invoke.waitForTaskToken",
        SDK + "createDatabase.waitForTaskToken",
        "arn:aws:states:::states:startExecution.waitForTaskToken",
    ):
        assert tasks.check_resource(ok) is None
    unchecked = run_sync(machine({"Sqs": task("arn:aws:states:::sqs:sendMessage")}), tasks=tasks, clock=FakeClock())
    assert unchecked["error"] == "States.TaskFailed" and "is not recognized" in unchecked["cause"]


# ---- aws-sdk:glue ---------------------------------------------------------------------------------------


def test_sdk_calls_go_through_the_service_layer(ctx: SluiceContext) -> None:
    tasks = Integrations(ctx, clock=FakeClock())
    definition = machine(
        {
            "Create": task(
                SDK + "createDatabase",
                Parameters={"DatabaseInput": {"Name.$": "$.db", "Description": "from a state machine"}},
                ResultPath=None,
                Next="Get",
            ),
            "Get": task(SDK + "getDatabase", Parameters={"Name.$": "$.db"}, ResultSelector={"Db.$": "$.Database"}),
        }
    )
    response = execute(tasks, definition, {"db": "raw"})
    db = response["value"]["Db"]
    assert (db["Name"], db["Description"]) == ("raw", "from a state machine")
    assert isinstance(db["CreateTime"], str) and db["CreateTime"].endswith("Z")  # ISO 8601, as the SDK prints
    datetime.fromisoformat(db["CreateTime"])
    assert invoke(ctx, "GetDatabase", {"Name": "raw"})["Database"]["Description"] == "from a state machine"
    scheduled = [e for e in response["history"] if e["type"] == "TaskScheduled"]
    assert [
        (e["taskScheduledEventDetails"]["resourceType"], e["taskScheduledEventDetails"]["resource"]) for e in scheduled
    ] == [
        ("aws-sdk:glue", "createDatabase"),
        ("aws-sdk:glue", "getDatabase"),
    ]


def test_glue_errors_are_caught_by_their_sdk_names(ctx: SluiceContext) -> None:
    tasks = Integrations(ctx, clock=FakeClock())
    definition = machine(
        {
            "Get": task(
                SDK + "getDatabase",
                Parameters={"Name": "missing"},
                Catch=[{"ErrorEquals": ["Glue.EntityNotFoundException"], "ResultPath": "$.error", "Next": "Missing"}],
                Next="Found",
            ),
            "Found": {"Type": "Succeed"},
            "Missing": {"Type": "Pass", "End": True},
        }
    )
    error = execute(tasks, definition)["value"]["error"]
    assert error["Error"] == "Glue.EntityNotFoundException"
    assert error["Cause"].startswith("Database missing not found")
    assert "(Service: Glue, Status Code: 400, Request ID: " in error["Cause"]

    invalid = execute(tasks, machine({"Bad": task(SDK + "getDatabase", Parameters={"Nme": "x"})}))
    assert invalid["error"] == "Glue.InvalidInputException" and "Nme" in invalid["cause"]
    assert invalid["types"][-2:] == ["TaskFailed", "ExecutionFailed"]


def test_a_crawler_is_started_and_polled_in_a_wait_choice_loop(
    ctx: SluiceContext, launcher: Deferred, tmp_path: Path
) -> None:
    for month in ("01", "02"):
        folder = tmp_path / "lake" / "trips" / f"month={month}"
        folder.mkdir(parents=True)
        pq.write_table(pa.table({"trip_id": [1, 2], "fare": [9.5, 7.25]}), folder / "part-0.parquet")
    clock = WorkingClock(launcher, lambda work: carry_out(ctx, work) is not None)
    tasks = Integrations(ctx, clock=clock)
    crawler = {
        "Name": "trips",
        "Role": "sluice",
        "DatabaseName": "raw",
        "Targets": {"S3Targets": [{"Path": str(tmp_path / "lake" / "trips")}]},
    }
    definition = machine(
        {
            "Define": task(SDK + "createCrawler", Parameters=crawler, ResultPath=None, Next="Start"),
            "Start": task(SDK + "startCrawler", Parameters={"Name": "trips"}, ResultPath=None, Next="Poll"),
            "Poll": task(
                SDK + "getCrawler",
                Parameters={"Name": "trips"},
                ResultSelector={"State.$": "$.Crawler.State"},
                ResultPath="$.crawler",
                Next="Ready?",
            ),
            "Ready?": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.crawler.State", "StringEquals": "READY", "Next": "Last"}],
                "Default": "Wait",
            },
            "Wait": {"Type": "Wait", "Seconds": 30, "Next": "Poll"},
            "Last": task(
                SDK + "getCrawler",
                Parameters={"Name": "trips"},
                ResultSelector={"Status.$": "$.Crawler.LastCrawl.Status"},
                ResultPath="$.last",
                Next="Table",
            ),
            "Table": task(
                SDK + "getTable",
                Parameters={"DatabaseName": "raw", "Name": "trips"},
                ResultSelector={"Partitions.$": "$.Table.PartitionKeys[*].Name"},
                ResultPath="$.table",
            ),
        }
    )
    response = execute(tasks, definition)
    assert response["status"] == "SUCCEEDED", response["cause"]
    value = response["value"]
    assert value["crawler"] == {"State": "READY"} and value["last"] == {"Status": "SUCCEEDED"}
    assert value["table"] == {"Partitions": ["month"]}
    assert clock.sleeps == [30.0]  # polled RUNNING, waited (the crawl ran), polled READY
    assert response["types"].count("WaitStateEntered") == 1 and response["types"].count("ChoiceStateEntered") == 2


# ---- glue:startJobRun ------------------------------------------------------------------------------------


def _define_job(ctx: SluiceContext, tmp_path: Path, name: str, script: str = "print('done')\n") -> None:
    path = tmp_path / f"{name}.py"
    path.write_text(script)
    invoke(ctx, "CreateJob", {"Name": name, "Role": "r", "Command": {"ScriptLocation": str(path)}})


def test_start_job_run_returns_the_run_with_its_job_name(
    ctx: SluiceContext, launcher: Deferred, tmp_path: Path
) -> None:
    _define_job(ctx, tmp_path, "nightly")
    tasks = Integrations(ctx, clock=FakeClock())
    start = task("arn:aws:states:::glue:startJobRun", Parameters={"JobName": "nightly", "Arguments": {"--day": "1"}})
    response = execute(tasks, machine({"Start": start}))
    value = response["value"]
    assert set(value) == {"JobName", "JobRunId"} and value["JobName"] == "nightly"
    assert [(w.kind, w.run_id) for w in launcher.work] == [("job", value["JobRunId"])]
    run = invoke(ctx, "GetJobRun", {"JobName": "nightly", "RunId": value["JobRunId"]})["JobRun"]
    assert (run["JobRunState"], run["Arguments"]["--day"]) == ("STARTING", "1")

    missing = execute(tasks, machine({"Start": task("arn:aws:states:::glue:startJobRun", Parameters={"JobName": "x"})}))
    assert missing["error"] == "Glue.EntityNotFoundException"
    assert "(Service: AWSGlue; Status Code: 400; Error Code: EntityNotFoundException; Request ID: " in missing["cause"]


def test_start_job_run_sync_polls_until_the_run_fails_and_fails_the_task(
    ctx: SluiceContext, launcher: Deferred, tmp_path: Path
) -> None:
    """The job's driver, carried out in this process one step per poll: it takes the run over (RUNNING),
    then ends it FAILED with its error, as ``JobContext`` does."""
    _define_job(ctx, tmp_path, "flaky")

    def driver(work: Work) -> bool:
        state = runs.run_state(work.run_id, ctx=ctx)
        if state is not None and state[0] == "STARTING":
            runs.start_run(work.name, {}, run_id=work.run_id, ctx=ctx)
            return False
        with ctx.session() as s:
            runs.finish(s, work.run_id, "FAILED", error="ValueError: no rows for day 1")
        return True

    clock = WorkingClock(launcher, driver)
    tasks = Integrations(ctx, clock=clock, poll_seconds=10)
    definition = machine(
        {
            "Run": task(
                "arn:aws:states:::glue:startJobRun.sync",
                Parameters={"JobName": "flaky"},
                Catch=[{"ErrorEquals": ["States.TaskFailed"], "Next": "Failed"}],
                Next="Done",
            ),
            "Done": {"Type": "Succeed"},
            "Failed": {"Type": "Pass", "End": True},
        }
    )
    response = execute(tasks, definition)
    assert response["status"] == "SUCCEEDED"
    caught = response["value"]
    assert caught["Error"] == "States.TaskFailed"
    job_run = json.loads(caught["Cause"])
    assert (job_run["JobName"], job_run["JobRunState"]) == ("flaky", "FAILED")
    assert job_run["ErrorMessage"] == "ValueError: no rows for day 1"
    assert isinstance(job_run["StartedOn"], int) and isinstance(job_run["CompletedOn"], int)  # epoch ms
    assert clock.sleeps == [10.0, 10.0]  # polled STARTING, RUNNING, then FAILED


def test_start_job_run_sync_times_out_and_stops_the_run(ctx: SluiceContext, launcher: Deferred, tmp_path: Path) -> None:
    _define_job(ctx, tmp_path, "slow")
    tasks = Integrations(ctx, clock=WorkingClock(launcher, lambda work: False), poll_seconds=20)
    run = task("arn:aws:states:::glue:startJobRun.sync", Parameters={"JobName": "slow"}, TimeoutSeconds=50)
    response = execute(tasks, machine({"Run": run}))
    assert (response["error"], response["types"][-2]) == ("States.Timeout", "TaskTimedOut")
    assert tasks.clock.sleeps == [20.0, 20.0, 10.0]  # type: ignore[attr-defined]
    job_run = invoke(ctx, "GetJobRuns", {"JobName": "slow"})["JobRuns"][0]
    assert job_run["JobRunState"] == "STOPPED"


def test_start_job_run_sync_runs_a_real_script_to_success(tmp_path: Path) -> None:
    """The one real run: a plain Python script under spark-submit, launched on this host as `sluice serve`
    launches it, polled on the system clock."""
    ctx = SluiceContext(Settings(home=tmp_path / "real"))
    _define_job(ctx, tmp_path, "hello")
    tasks = Integrations(ctx, clock=SystemClock(), poll_seconds=0.5)
    run = task(
        "arn:aws:states:::glue:startJobRun.sync",
        Parameters={"JobName": "hello"},
        ResultSelector={"State.$": "$.JobRunState", "Id.$": "$.Id", "Job.$": "$.JobName"},
    )
    response = execute(tasks, machine({"Run": run}))
    assert response["status"] == "SUCCEEDED", response["cause"]
    assert response["value"]["State"] == "SUCCEEDED" and response["value"]["Job"] == "hello"
    assert response["value"]["Id"].startswith("jr_")


# ---- Lambda ---------------------------------------------------------------------------------------------


HANDLERS = """
import sys


def greet(event, context):
    return {"greeting": "hello " + event["who"], "function": context.function_name}


def fail(event, context):
    raise ValueError("no " + event["who"])


def die(event, context):
    sys.exit(3)


def unserializable(event, context):
    return {"when": object()}
"""


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "functions").mkdir()
    (tmp_path / "functions" / "handlers.py").write_text(HANDLERS)
    (tmp_path / "mymod_sfn_tasks.py").write_text("def double(event, context):\n    return [2 * x for x in event]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    path = tmp_path / "lambdas.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            greet: functions/handlers.py:greet
            fail: functions/handlers.py:fail
            die: functions/handlers.py:die
            unserializable: functions/handlers.py:unserializable
            double: mymod_sfn_tasks:double
            """
        )
    )
    return path


def test_lambda_invoke_returns_the_payload_and_lambda_metadata(ctx: SluiceContext, registry: Path) -> None:
    tasks = Integrations(ctx, clock=FakeClock(), functions=load_registry(registry))
    invoke_greet = task(
        "arn:aws:states:::lambda:invoke",
        Parameters={"FunctionName": FN + "greet:$LATEST", "Payload": {"who.$": "$.name"}},
        ResultPath="$.invoked",
        Next="Bare",
    )
    bare = task(FN + "double", InputPath="$.numbers", ResultPath="$.doubled")
    definition = machine({"Invoke": invoke_greet, "Bare": bare})
    response = execute(tasks, definition, {"name": "ada", "numbers": [1, 2]})
    value = response["value"]["invoked"]
    assert value["Payload"] == {"greeting": "hello ada", "function": "greet"}
    assert (value["StatusCode"], value["ExecutedVersion"]) == (200, "$LATEST")
    assert value["SdkHttpMetadata"]["HttpStatusCode"] == 200
    assert value["SdkResponseMetadata"]["RequestId"] == value["SdkHttpMetadata"]["HttpHeaders"]["x-amzn-RequestId"]
    assert response["value"]["doubled"] == [2, 4]  # a bare function ARN: the plain result
    assert response["types"].count("LambdaFunctionSucceeded") == 1 and response["types"].count("TaskSucceeded") == 1


def test_lambda_failures_become_errors_as_step_functions_reports_them(ctx: SluiceContext, registry: Path) -> None:
    tasks = Integrations(ctx, clock=FakeClock(), functions=load_registry(registry))

    def run_fn(name: str, **fields: Any) -> dict[str, Any]:
        parameters = {"FunctionName": name, "Payload": {"who": "rows"}}
        return execute(tasks, machine({"F": task("arn:aws:states:::lambda:invoke", Parameters=parameters, **fields)}))

    failed = run_fn("fail")
    assert failed["error"] == "ValueError"
    cause = json.loads(failed["cause"])
    assert (cause["errorMessage"], cause["errorType"]) == ("no rows", "ValueError")
    assert cause["requestId"] and "raise ValueError" in cause["stackTrace"][-1]
    assert failed["types"][-2:] == ["TaskFailed", "ExecutionFailed"]

    retried = run_fn("fail", Retry=[{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 1, "MaxAttempts": 2}])
    assert retried["types"].count("TaskScheduled") == 3 and retried["error"] == "ValueError"

    died = run_fn("die")
    assert died["error"] == "Lambda.Unknown"
    assert died["cause"] == "The cause could not be determined because Lambda did not return an error type."
    marshal = run_fn("unserializable")
    assert marshal["error"] == "Runtime.MarshalError" and "Unable to marshal response" in marshal["cause"]
    missing = run_fn("nope")
    assert missing["error"] == "Lambda.ResourceNotFoundException"
    assert missing["cause"].startswith("Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope")

    caught = execute(
        tasks,
        machine(
            {
                "F": task(
                    FN + "fail",
                    Catch=[{"ErrorEquals": ["ValueError"], "ResultPath": "$.err", "Next": "Handled"}],
                    Next="Handled",
                ),
                "Handled": {"Type": "Pass", "End": True},
            }
        ),
        {"who": "x"},
    )
    assert caught["value"]["err"]["Error"] == "ValueError"


def test_a_registry_entry_that_is_wrong_is_named(tmp_path: Path) -> None:
    path = tmp_path / "lambdas.json"
    path.write_text(json.dumps({"a": "no_such_module_xyz:handler"}))
    with pytest.raises(InvalidInputException, match=r"lambdas.json: a: 'no_such_module_xyz:handler': No module"):
        load_registry(path)
    path.write_text(json.dumps({"a": "handler"}))
    with pytest.raises(InvalidInputException, match=r"a: 'handler' is not 'python.module:callable'"):
        load_registry(path)
    path.write_text(json.dumps({"a": "json:__doc__"}))
    with pytest.raises(InvalidInputException, match="is not callable"):
        load_registry(path)


# ---- states:startExecution ------------------------------------------------------------------------------


def test_nested_executions_run_in_process_with_the_same_runner(ctx: SluiceContext, registry: Path) -> None:
    child = machine({"Greet": task(FN + "greet")})
    failing = machine({"Boom": {"Type": "Fail", "Error": "Child.Failed", "Cause": "it broke"}})
    tasks = Integrations(
        ctx,
        clock=FakeClock(),
        functions=load_registry(registry),
        state_machines={"child": child, "failing": json.dumps(failing)},
    )

    def nested(pattern: str, arn: str, **fields: Any) -> dict[str, Any]:
        parameters = {"StateMachineArn": arn, "Input": {"who": "nested"}, "Name": "kid"}
        state = task(f"arn:aws:states:::states:{pattern}", Parameters=parameters, **fields)
        return execute(tasks, machine({"Start": state}))

    v2 = nested("startExecution.sync:2", SM + "child")["value"]
    assert v2["Output"] == {"greeting": "hello nested", "function": "greet"}
    assert v2["Input"] == {"who": "nested"} and v2["Status"] == "SUCCEEDED"
    assert v2["ExecutionArn"] == "arn:aws:states:us-east-1:123456789012:execution:child:kid"
    assert isinstance(v2["StartDate"], int) and v2["StopDate"] >= v2["StartDate"]
    v1 = nested("startExecution.sync", SM + "child")["value"]
    assert json.loads(v1["Output"]) == v2["Output"] and json.loads(v1["Input"]) == {"who": "nested"}
    fire = nested("startExecution", SM + "child")["value"]
    assert set(fire) == {"ExecutionArn", "StartDate"}

    failed = nested("startExecution.sync:2", SM + "failing")
    assert failed["error"] == "States.TaskFailed"
    described = json.loads(failed["cause"])
    assert (described["Status"], described["Error"], described["Cause"]) == ("FAILED", "Child.Failed", "it broke")
    missing = nested("startExecution.sync:2", SM + "nothing")
    assert missing["error"] == "StepFunctions.StateMachineDoesNotExistException"
    assert f"State Machine Does Not Exist: '{SM}nothing'" in missing["cause"]


def test_the_runner_uses_the_context_it_is_given_not_the_environment(tmp_path: Path) -> None:
    ctx = SluiceContext(Settings(home=tmp_path / "own"))
    create = task(SDK + "createDatabase", Parameters={"DatabaseInput": {"Name": "x"}})
    execute(Integrations(ctx, clock=FakeClock()), machine({"C": create}))
    assert [d["Name"] for d in invoke(ctx, "GetDatabases", {})["DatabaseList"]] == ["x"]
    assert invoke(SluiceContext.from_env(), "GetDatabases", {}) == {"DatabaseList": []}  # the test's SLUICE_HOME
