"""Data-quality rulesets and ruleset evaluation runs through ``invoke`` (on SQLite and PostgreSQL), and a
real evaluation (Spark, on a catalog table of Parquet that pyarrow wrote) started by Airflow's
``GlueDataQualityRuleSetEvaluationRunOperator`` through boto3 and Sluice's AWS endpoint."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from service import invoke
from service.quality import run_evaluation
from sluice.context import SluiceContext
from sluice.errors import AlreadyExistsException, EntityNotFoundException, InvalidInputException, SluiceError
from sluice.launch import Work
from sluice.settings import Settings
from tests.service.conftest import check_response

PASSING = 'Rules = [ RowCount = 6, IsComplete "id", ColumnValues "fare" >= 0 ]'
FAILING = 'Rules = [ RowCount > 100, IsUnique "city" ]'
REFERENCE = 'Rules = [ ReferentialIntegrity "city" "ref.city" = 1.0 ]'
TRIPS = {"GlueTable": {"DatabaseName": "curated", "TableName": "trips"}}


@pytest.fixture(params=["sqlite", "postgresql"])
def ctx(request: pytest.FixtureRequest, tmp_path: Path) -> SluiceContext:
    """A context of its own home, its metadata in SQLite there or in a PostgreSQL schema of its own."""
    settings = Settings(home=tmp_path / "explicit")
    if request.param == "postgresql":
        settings = settings.model_copy(update={"metadata_url": request.getfixturevalue("pg_url")})
    return SluiceContext(settings)


class Deferred:
    """A launcher that keeps the work it is given, to be carried out when the test says."""

    def __init__(self) -> None:
        self.work: list[Work] = []

    def launch(self, ctx: SluiceContext, work: Work) -> None:
        self.work.append(work)


class InProcess:
    """A launcher that carries the run out at once, in this process."""

    def launch(self, ctx: SluiceContext, work: Work) -> None:
        run_evaluation(ctx, work.run_id)


class Refusing:
    def launch(self, ctx: SluiceContext, work: Work) -> None:
        raise SluiceError("no executor")


def trips_table(ctx: SluiceContext) -> None:
    """``curated.trips``: six rows of Parquet written by pyarrow under the context's lake, cataloged."""
    location = Path(ctx.settings.lake) / "curated" / "trips"
    location.mkdir(parents=True)
    rows = {"id": [1, 2, 3, 4, 5, 6], "fare": [5.0, 7.5, 3.2, 9.9, 4.1, 6.0], "city": ["a", "b", "a", "c", "b", "a"]}
    pq.write_table(pa.table(rows), location / "part-0.parquet")
    columns = [{"Name": "id", "Type": "bigint"}, {"Name": "fare", "Type": "double"}, {"Name": "city", "Type": "string"}]
    invoke(ctx, "CreateDatabase", {"DatabaseInput": {"Name": "curated"}})
    descriptor = {
        "Columns": columns,
        "Location": str(location),
        "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
    }
    table = {"Name": "trips", "StorageDescriptor": descriptor, "Parameters": {"classification": "parquet"}}
    invoke(ctx, "CreateTable", {"DatabaseName": "curated", "TableInput": table})


def start(glue: Any, rulesets: list[str], **members: Any) -> str:
    request = {"DataSource": TRIPS, "Role": "arn:aws:iam::1:role/dq", "RulesetNames": rulesets} | members
    return str(glue("StartDataQualityRulesetEvaluationRun", request)["RunId"])


# rulesets ---------------------------------------------------------------------------------------


def test_ruleset_create_get_update_delete(glue: Any) -> None:
    target = {"DatabaseName": "curated", "TableName": "trips"}
    request = {"Name": "checks", "Ruleset": PASSING, "Description": "basic", "TargetTable": target, "Tags": {"t": "v"}}
    assert glue("CreateDataQualityRuleset", request | {"ClientToken": "tok-1"}) == {"Name": "checks"}
    assert glue("CreateDataQualityRuleset", request | {"ClientToken": "tok-1"}) == {"Name": "checks"}  # a retry
    with pytest.raises(AlreadyExistsException, match="Data quality ruleset checks already exists"):
        glue("CreateDataQualityRuleset", request)
    got = glue("GetDataQualityRuleset", {"Name": "checks"})
    assert (got["Ruleset"], got["Description"], got["TargetTable"]) == (PASSING, "basic", target)

    updated = glue("UpdateDataQualityRuleset", {"Name": "checks", "Description": "stricter"})
    assert updated == {"Name": "checks", "Description": "stricter", "Ruleset": PASSING}
    updated = glue("UpdateDataQualityRuleset", {"Name": "checks", "Ruleset": FAILING})
    assert (updated["Description"], updated["Ruleset"]) == ("stricter", FAILING)
    after = glue("GetDataQualityRuleset", {"Name": "checks"})
    assert after["CreatedOn"] == got["CreatedOn"] and after["LastModifiedOn"] > got["LastModifiedOn"]

    assert glue("DeleteDataQualityRuleset", {"Name": "checks"}) == {}
    for operation in ("GetDataQualityRuleset", "DeleteDataQualityRuleset", "UpdateDataQualityRuleset"):
        with pytest.raises(EntityNotFoundException, match="Data quality ruleset checks not found"):
            glue(operation, {"Name": "checks"})


def test_a_ruleset_that_does_not_parse_is_refused_naming_the_rule_and_position(glue: Any) -> None:
    bad = 'Rules = [ RowCount > 0, Completness "x" > 0.5 ]'
    expected = r'ruleset checks:1:25: rule 2 \(`Completness "x" > 0.5`\): unknown rule type'
    with pytest.raises(InvalidInputException, match=expected):
        glue("CreateDataQualityRuleset", {"Name": "checks", "Ruleset": bad})
    with pytest.raises(EntityNotFoundException):
        glue("GetDataQualityRuleset", {"Name": "checks"})  # nothing was stored
    glue("CreateDataQualityRuleset", {"Name": "checks", "Ruleset": PASSING})
    with pytest.raises(InvalidInputException, match=r"ruleset checks:1:22: rule 1 \(`RowCount > \]`\)"):
        glue("UpdateDataQualityRuleset", {"Name": "checks", "Ruleset": "Rules = [ RowCount > ]"})
    assert glue("GetDataQualityRuleset", {"Name": "checks"})["Ruleset"] == PASSING


def test_list_rulesets_filters_and_pages(glue: Any) -> None:
    trips = {"DatabaseName": "curated", "TableName": "trips"}
    before = datetime.now(UTC) - timedelta(seconds=1)
    glue("CreateDataQualityRuleset", {"Name": "c", "Ruleset": PASSING, "TargetTable": trips, "Tags": {"team": "x"}})
    glue("CreateDataQualityRuleset", {"Name": "a", "Ruleset": FAILING, "Description": "d", "Tags": {"team": "y"}})
    glue("CreateDataQualityRuleset", {"Name": "b", "Ruleset": PASSING, "TargetTable": trips})

    first = glue("ListDataQualityRulesets", {"MaxResults": 2})
    assert [(r["Name"], r["RuleCount"]) for r in first["Rulesets"]] == [("a", 2), ("b", 3)]
    rest = glue("ListDataQualityRulesets", {"MaxResults": 2, "NextToken": first["NextToken"]})
    assert [r["Name"] for r in rest["Rulesets"]] == ["c"] and "NextToken" not in rest
    assert rest["Rulesets"][0]["TargetTable"] == trips

    def names(**request: Any) -> list[str]:
        return [r["Name"] for r in glue("ListDataQualityRulesets", request)["Rulesets"]]

    assert names(Filter={"TargetTable": trips}) == ["b", "c"]
    assert names(Filter={"TargetTable": trips}, MaxResults=1) == ["b"]
    assert names(Filter={"Name": "a"}) == ["a"] and names(Filter={"Description": "d"}) == ["a"]
    assert names(Filter={"CreatedAfter": before}) == ["a", "b", "c"]
    assert names(Filter={"CreatedBefore": before}) == []
    assert names(Filter={"LastModifiedAfter": before.timestamp()}) == ["a", "b", "c"]  # epoch, as boto3 sends
    assert names(Tags={"team": "x"}) == ["c"] and names(Tags={"team": "z"}) == []


# evaluation runs (no evaluation) ----------------------------------------------------------------


def test_start_records_the_run_and_hands_it_to_the_launcher(glue: Any, ctx: SluiceContext) -> None:
    trips_table(ctx)
    glue("CreateDataQualityRuleset", {"Name": "checks", "Ruleset": PASSING})
    launcher = Deferred()
    deferred = dataclasses.replace(ctx, launcher=launcher)
    run_id = start(lambda op, req: invoke(deferred, op, req), ["checks"], ClientToken="tok")
    assert run_id.startswith("dqrun-") and len(run_id) == len("dqrun-") + 32
    assert [(w.kind, w.run_id, w.name) for w in launcher.work] == [("quality", run_id, "checks")]
    assert start(lambda op, req: invoke(deferred, op, req), ["checks"], ClientToken="tok") == run_id
    assert len(launcher.work) == 1  # the repeated token started nothing

    run = glue("GetDataQualityRulesetEvaluationRun", {"RunId": run_id})
    assert (run["Status"], run["RulesetNames"], run["DataSource"]) == ("STARTING", ["checks"], TRIPS)
    assert (run["NumberOfWorkers"], run["Timeout"], run["Role"]) == (5, 2880, "arn:aws:iam::1:role/dq")
    assert "CompletedOn" not in run and "ResultIds" not in run and run["ExecutionTime"] >= 0

    assert glue("CancelDataQualityRulesetEvaluationRun", {"RunId": run_id}) == {}
    assert run_evaluation(ctx, run_id) == "STOPPED"  # a run cancelled before it ran is not run
    stopped = glue("GetDataQualityRulesetEvaluationRun", {"RunId": run_id})
    assert stopped["Status"] == "STOPPED" and "ResultIds" not in stopped and "CompletedOn" in stopped
    with pytest.raises(InvalidInputException, match=f"run {run_id} is STOPPED: only a STARTING or RUNNING"):
        glue("CancelDataQualityRulesetEvaluationRun", {"RunId": run_id})
    with pytest.raises(EntityNotFoundException, match="evaluation run dqrun-nope not found"):
        glue("GetDataQualityRulesetEvaluationRun", {"RunId": "dqrun-nope"})


def test_start_refuses_what_it_cannot_evaluate(glue: Any, ctx: SluiceContext) -> None:
    trips_table(ctx)
    glue("CreateDataQualityRuleset", {"Name": "checks", "Ruleset": PASSING})
    with pytest.raises(EntityNotFoundException, match="ruleset\\(s\\) not found: nope, gone"):
        start(glue, ["checks", "nope", "gone"])
    missing = {"GlueTable": {"DatabaseName": "curated", "TableName": "missing"}}
    with pytest.raises(EntityNotFoundException, match="missing"):
        start(glue, ["checks"], DataSource=missing)
    options = {"GlueTable": {**TRIPS["GlueTable"], "AdditionalOptions": {"enableS3": "x"}}}
    with pytest.raises(InvalidInputException, match=r"DataSource\.GlueTable\.AdditionalOptions: .* enableS3"):
        start(glue, ["checks"], DataSource=options)
    connection = {"GlueTable": {**TRIPS["GlueTable"], "ConnectionName": "jdbc"}}
    with pytest.raises(InvalidInputException, match=r"DataSource\.GlueTable\.ConnectionName"):
        start(glue, ["checks"], DataSource=connection)
    assert glue("ListDataQualityRulesetEvaluationRuns", {})["Runs"] == []  # nothing was recorded


def test_a_run_the_launcher_cannot_start_ends_failed(glue: Any, ctx: SluiceContext) -> None:
    trips_table(ctx)
    glue("CreateDataQualityRuleset", {"Name": "checks", "Ruleset": PASSING})
    refusing = dataclasses.replace(ctx, launcher=Refusing())
    with pytest.raises(SluiceError, match="no executor"):
        start(lambda op, req: invoke(refusing, op, req), ["checks"])
    (listed,) = glue("ListDataQualityRulesetEvaluationRuns", {})["Runs"]
    run = glue("GetDataQualityRulesetEvaluationRun", {"RunId": listed["RunId"]})
    assert (run["Status"], run["ErrorString"]) == ("FAILED", "The run could not be started: no executor")


def test_an_evaluation_that_raises_ends_the_run_failed(glue: Any, ctx: SluiceContext) -> None:
    trips_table(ctx)
    glue("CreateDataQualityRuleset", {"Name": "checks", "Ruleset": PASSING})
    launcher = Deferred()
    run_id = start(lambda op, req: invoke(dataclasses.replace(ctx, launcher=launcher), op, req), ["checks"])
    glue("DeleteDataQualityRuleset", {"Name": "checks"})  # deleted between the start and the evaluation
    assert run_evaluation(ctx, run_id) == "FAILED"
    run = glue("GetDataQualityRulesetEvaluationRun", {"RunId": run_id})
    assert (run["Status"], run["ErrorString"]) == ("FAILED", "Data quality ruleset(s) not found: checks.")
    assert run_evaluation(ctx, run_id) == "FAILED"  # carried out once only


def test_a_run_cancelled_while_running_ends_stopped(glue: Any, ctx: SluiceContext) -> None:
    from quality import rulesets

    trips_table(ctx)
    glue("CreateDataQualityRuleset", {"Name": "checks", "Ruleset": PASSING})
    run_id = start(lambda op, req: invoke(dataclasses.replace(ctx, launcher=Deferred()), op, req), ["checks"])
    assert rulesets.move_run(run_id, ("STARTING",), "RUNNING", ctx=ctx)  # as run_evaluation takes it
    glue("CancelDataQualityRulesetEvaluationRun", {"RunId": run_id})
    assert glue("GetDataQualityRulesetEvaluationRun", {"RunId": run_id})["Status"] == "STOPPING"
    assert rulesets.finish_run(run_id, "SUCCEEDED", ["dqresult-1"], ctx=ctx) == "STOPPED"  # as it ends
    run = glue("GetDataQualityRulesetEvaluationRun", {"RunId": run_id})
    assert (run["Status"], run["ResultIds"]) == ("STOPPED", ["dqresult-1"])


def test_list_runs_filters_and_pages_newest_first(glue: Any, ctx: SluiceContext) -> None:
    trips_table(ctx)
    glue("CreateDataQualityRuleset", {"Name": "a", "Ruleset": PASSING})
    glue("CreateDataQualityRuleset", {"Name": "b", "Ruleset": PASSING})
    deferred = dataclasses.replace(ctx, launcher=Deferred())
    ids = [start(lambda op, req: invoke(deferred, op, req), names) for names in (["a"], ["a", "b"], ["b"])]
    first = glue("ListDataQualityRulesetEvaluationRuns", {"MaxResults": 2})
    assert [r["RunId"] for r in first["Runs"]] == ids[:0:-1]
    assert {(r["Status"], r["DataSource"]["GlueTable"]["TableName"]) for r in first["Runs"]} == {("STARTING", "trips")}
    rest = glue("ListDataQualityRulesetEvaluationRuns", {"MaxResults": 2, "NextToken": first["NextToken"]})
    assert [r["RunId"] for r in rest["Runs"]] == ids[:1] and "NextToken" not in rest

    def listed(**criteria: Any) -> list[str]:
        request = {"Filter": {"DataSource": TRIPS, **criteria}}
        return [r["RunId"] for r in glue("ListDataQualityRulesetEvaluationRuns", request)["Runs"]]

    assert listed(RulesetName="a") == ids[1::-1]
    assert listed(StartedAfter=datetime.now(UTC) + timedelta(seconds=5)) == []
    assert listed(StartedBefore=datetime.now(UTC) + timedelta(seconds=5)) == ids[::-1]
    other = {"GlueTable": {"DatabaseName": "curated", "TableName": "other"}}
    assert glue("ListDataQualityRulesetEvaluationRuns", {"Filter": {"DataSource": other}})["Runs"] == []
    with pytest.raises(InvalidInputException, match="NextToken 'x' is not a token"):
        glue("ListDataQualityRulesetEvaluationRuns", {"NextToken": "x"})


# a real evaluation ----------------------------------------------------------------------------


@pytest.fixture
def sqlite_ctx(tmp_path: Path, spark: Any) -> SluiceContext:
    """A SQLite context with ``curated.trips`` and two rulesets, whose runs are evaluated at once (Spark: the
    session's, started once)."""
    ctx = SluiceContext(Settings(home=tmp_path / "evaluated"), launcher=InProcess())
    trips_table(ctx)
    invoke(ctx, "CreateDataQualityRuleset", {"Name": "trips-basic", "Ruleset": PASSING})
    invoke(ctx, "CreateDataQualityRuleset", {"Name": "trips-strict", "Ruleset": FAILING})
    return ctx


def test_a_run_evaluates_each_ruleset_and_links_its_results(sqlite_ctx: SluiceContext) -> None:
    def glue(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        response = invoke(sqlite_ctx, operation, request)
        check_response(operation, response)
        return response

    glue("CreateDataQualityRuleset", {"Name": "trips-ref", "Ruleset": REFERENCE})
    options = {"CompositeRuleEvaluationMethod": "ROW", "ResultsS3Prefix": "s3://results/dq/"}
    run_id = start(
        glue,
        ["trips-basic", "trips-strict", "trips-ref"],
        NumberOfWorkers=2,
        Timeout=30,
        AdditionalRunOptions=options,
        AdditionalDataSources={"ref": TRIPS},
    )
    run = glue("GetDataQualityRulesetEvaluationRun", {"RunId": run_id})
    assert run["Status"] == "SUCCEEDED" and "ErrorString" not in run  # failing rules do not fail the run
    assert (run["NumberOfWorkers"], run["Timeout"], run["AdditionalRunOptions"]) == (2, 30, options)
    assert run["StartedOn"] <= run["CompletedOn"] == run["LastModifiedOn"] and run["ExecutionTime"] >= 0
    assert len(run["ResultIds"]) == 3 and run["AdditionalDataSources"] == {"ref": TRIPS}

    results = glue("BatchGetDataQualityResult", {"ResultIds": run["ResultIds"]})["Results"]
    by_name = {r["RulesetName"]: r for r in results}
    assert {r["RulesetEvaluationRunId"] for r in results} == {run_id}
    assert [r["Result"] for r in by_name["trips-basic"]["RuleResults"]] == ["PASS", "PASS", "PASS"]
    assert [r["Result"] for r in by_name["trips-strict"]["RuleResults"]] == ["FAIL", "FAIL"]
    assert [r["Result"] for r in by_name["trips-ref"]["RuleResults"]] == ["PASS"]  # "ref" is the table itself
    assert by_name["trips-basic"]["DataSource"] == TRIPS and by_name["trips-strict"]["Score"] == 0.0

    listed = glue("ListDataQualityResults", {"Filter": {"DataSource": TRIPS}})["Results"]
    assert {(r["RulesetName"], r["RulesetEvaluationRunId"]) for r in listed} == {
        ("trips-basic", run_id),
        ("trips-strict", run_id),
        ("trips-ref", run_id),
    }


@pytest.fixture
def endpoint(sqlite_ctx: SluiceContext, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Sluice's AWS endpoint on the evaluating context; boto3's default chain (which Airflow's hook uses
    with no connection) reaches it with an access key of the context."""
    from awsapi.app import authenticated_only, create_app
    from awsapi.keys import create_access_key
    from tests.awsapi.test_app import serve

    key, secret = create_access_key(sqlite_ctx, "tester")
    for url in serve(create_app(lambda: sqlite_ctx, authenticated_only)):
        for name in [name for name in os.environ if name.startswith("AWS_")]:
            monkeypatch.delenv(name)
        monkeypatch.setenv("AWS_ENDPOINT_URL_GLUE", url)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key.access_key_id)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        yield url


def test_airflows_evaluation_run_operator_runs_and_verifies_results(endpoint: str) -> None:
    from airflow.exceptions import AirflowException
    from airflow.providers.amazon.aws.operators.glue import GlueDataQualityRuleSetEvaluationRunOperator

    def operator(task_id: str, rulesets: list[str]) -> GlueDataQualityRuleSetEvaluationRunOperator:
        return GlueDataQualityRuleSetEvaluationRunOperator(
            task_id=task_id,
            datasource=TRIPS,
            role="arn:aws:iam::1:role/dq",
            rule_set_names=rulesets,
            aws_conn_id=None,
            region_name="us-east-1",
            waiter_delay=1,
            waiter_max_attempts=5,
        )

    run_id = operator("basic", ["trips-basic"]).execute({})
    assert run_id.startswith("dqrun-")
    with pytest.raises(AirflowException, match="failed for one or more rules"):
        operator("strict", ["trips-basic", "trips-strict"]).execute({})
    with pytest.raises(AirflowException, match=r"RulesetNames are not found \['nope'\]"):
        operator("missing", ["trips-basic", "nope"]).execute({})


def test_a_killed_evaluation_is_reported_failed(tmp_path: Path) -> None:
    """SIGKILL the process evaluating a run: the run's lease dies with it, and the run reads FAILED (not RUNNING
    for ever), with no result stored."""
    from sparkio.session import spark_submit_env

    ctx = SluiceContext(Settings(home=tmp_path / "killed"))
    trips_table(ctx)
    invoke(ctx, "CreateDataQualityRuleset", {"Name": "checks", "Ruleset": PASSING})
    launcher = Deferred()
    run_id = start(lambda op, req: invoke(dataclasses.replace(ctx, launcher=launcher), op, req), ["checks"])
    runner = subprocess.Popen(
        [sys.executable, "-m", "service.runner", json.dumps(launcher.work[0].to_conf())],
        env=spark_submit_env(ctx),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while invoke(ctx, "GetDataQualityRulesetEvaluationRun", {"RunId": run_id})["Status"] == "STARTING":
        assert time.monotonic() < deadline and runner.poll() is None
        time.sleep(0.1)
    runner.send_signal(signal.SIGKILL)
    runner.wait()
    run = invoke(ctx, "GetDataQualityRulesetEvaluationRun", {"RunId": run_id})
    assert run["Status"] == "FAILED" and run["ErrorString"].startswith("The run's process stopped:"), run
    assert "ResultIds" not in run
    assert invoke(ctx, "ListDataQualityResults", {})["Results"] == []
