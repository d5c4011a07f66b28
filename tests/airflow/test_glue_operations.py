"""Every Glue operation Sluice serves, called once or more through boto3 on ``sluice airflow standalone``
(a viewer's key for the reads, the admin's for the rest), each answered in Glue's shape."""

from __future__ import annotations

import time
from typing import Any

import pytest

import service
from tests.airflow.server import AirflowServer
from tests.airflow.test_aws_endpoint import _glue

COLUMNS = [{"Name": "id", "Type": "bigint"}, {"Name": "kind", "Type": "string"}]
KEYS = [{"Name": "day", "Type": "string"}]
RULESET = 'Rules = [ RowCount > 0, IsComplete "id" ]'


def until(call: Any, done: Any, timeout: float = 180) -> Any:
    deadline = time.monotonic() + timeout
    while not done(value := call()) and time.monotonic() < deadline:
        time.sleep(1)
    return value


@pytest.mark.airflow
def test_every_served_operation_answers_through_boto3(airflow_server: AirflowServer) -> None:
    admin, viewer = _glue(airflow_server, "admin"), _glue(airflow_server, "viewer")
    called: set[str] = set()
    for client in (admin, viewer):
        client.meta.events.register("before-call.glue", lambda model, **_: called.add(model.name))
    home = airflow_server.sluice_home

    # the catalog
    admin.create_database(DatabaseInput={"Name": "ops"})
    admin.update_database(Name="ops", DatabaseInput={"Name": "ops", "Description": "every operation"})
    assert viewer.get_database(Name="ops")["Database"]["Description"] == "every operation"
    assert "ops" in {d["Name"] for d in viewer.get_databases()["DatabaseList"]}
    table = {"Name": "events", "StorageDescriptor": {"Columns": COLUMNS, "Location": "/lake/ops/events"}}
    admin.create_table(DatabaseName="ops", TableInput={**table, "PartitionKeys": KEYS})
    admin.create_table(DatabaseName="ops", TableInput={"Name": "scratch", "StorageDescriptor": {"Columns": COLUMNS}})
    admin.update_table(DatabaseName="ops", TableInput={**table, "PartitionKeys": KEYS, "Description": "v2"})
    assert viewer.get_table(DatabaseName="ops", Name="events")["Table"]["Description"] == "v2"
    versions = viewer.get_table_versions(DatabaseName="ops", TableName="events")["TableVersions"]
    assert [v["VersionId"] for v in versions] == ["1", "0"]  # the update archived the table as it was
    admin.update_table(DatabaseName="ops", TableInput={**table, "PartitionKeys": KEYS}, SkipArchive=True)
    assert len(viewer.get_table_versions(DatabaseName="ops", TableName="events")["TableVersions"]) == 2
    assert viewer.get_table_version(DatabaseName="ops", TableName="events", VersionId="0")["TableVersion"]
    admin.delete_table_version(DatabaseName="ops", TableName="events", VersionId="0")
    assert [t["Name"] for t in viewer.get_tables(DatabaseName="ops", Expression="ev.*")["TableList"]] == ["events"]
    found = viewer.search_tables(SearchText="events")["TableList"]  # other tests' tables may match too
    assert ("ops", "events") in {(t["DatabaseName"], t["Name"]) for t in found}
    admin.batch_delete_table(DatabaseName="ops", TablesToDelete=["scratch"])

    partition = {"StorageDescriptor": {"Columns": COLUMNS, "Location": "/lake/ops/events/day=1"}}
    admin.create_partition(DatabaseName="ops", TableName="events", PartitionInput={"Values": ["1"], **partition})
    more = [{"Values": [str(d)], **partition} for d in range(2, 6)]
    assert admin.batch_create_partition(DatabaseName="ops", TableName="events", PartitionInputList=more)["Errors"] == []
    assert viewer.get_partition(DatabaseName="ops", TableName="events", PartitionValues=["1"])["Partition"]
    got = viewer.batch_get_partition(DatabaseName="ops", TableName="events", PartitionsToGet=[{"Values": ["2"]}])
    assert [p["Values"] for p in got["Partitions"]] == [["2"]]
    admin.update_partition(
        DatabaseName="ops", TableName="events", PartitionValueList=["2"], PartitionInput={"Values": ["2"], **partition}
    )
    entry = {"PartitionValueList": ["3"], "PartitionInput": {"Values": ["3"], **partition}}
    assert admin.batch_update_partition(DatabaseName="ops", TableName="events", Entries=[entry])["Errors"] == []
    admin.delete_partition(DatabaseName="ops", TableName="events", PartitionValues=["5"])
    gone = admin.batch_delete_partition(DatabaseName="ops", TableName="events", PartitionsToDelete=[{"Values": ["4"]}])
    assert gone["Errors"] == []
    found = viewer.get_partitions(DatabaseName="ops", TableName="events", Expression="day IN ('1', '2', '3')")
    assert sorted(p["Values"][0] for p in found["Partitions"]) == ["1", "2", "3"]

    # crawlers
    lake = home / "lake" / "raw" / "ops_events"
    lake.mkdir(parents=True)
    (lake / "part-0.csv").write_text("id,kind\n1,a\n2,b\n")
    targets = {"S3Targets": [{"Path": "raw/ops_events"}]}
    admin.create_crawler(Name="ops_crawler", Role="sluice", DatabaseName="ops", Targets=targets)
    admin.update_crawler(Name="ops_crawler", TablePrefix="crawled_")
    assert viewer.get_crawlers()["Crawlers"]
    admin.start_crawler(Name="ops_crawler")
    crawler = until(lambda: viewer.get_crawler(Name="ops_crawler")["Crawler"], lambda c: c["State"] == "READY")
    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED", crawler
    assert viewer.get_crawler_metrics(CrawlerNameList=["ops_crawler"])["CrawlerMetricsList"][0]["TablesCreated"] == 1
    assert viewer.list_crawls(CrawlerName="ops_crawler")["Crawls"][0]["State"] == "COMPLETED"
    with pytest.raises(admin.exceptions.CrawlerNotRunningException):
        admin.stop_crawler(Name="ops_crawler")

    # jobs
    script = home / "ops_job.py"
    script.write_text("import time\ntime.sleep(600)\n")
    admin.create_job(Name="ops_job", Role="sluice", Command={"Name": "glueetl", "ScriptLocation": str(script)})
    admin.update_job(JobName="ops_job", JobUpdate={"Role": "sluice", "Command": {"ScriptLocation": str(script)}})
    assert "ops_job" in {j["Name"] for j in viewer.get_jobs()["Jobs"]}
    assert viewer.get_job(JobName="ops_job")["Job"]["Command"]["ScriptLocation"] == str(script)
    run_id = admin.start_job_run(JobName="ops_job")["JobRunId"]
    assert viewer.get_job_run(JobName="ops_job", RunId=run_id)["JobRun"]["JobRunState"] in {"STARTING", "RUNNING"}
    stopped = admin.batch_stop_job_run(JobName="ops_job", JobRunIds=[run_id])
    assert stopped["SuccessfulSubmissions"] == [{"JobName": "ops_job", "JobRunId": run_id}]
    assert viewer.get_job_runs(JobName="ops_job")["JobRuns"][0]["JobRunState"] in {"STOPPING", "STOPPED"}
    with pytest.raises(viewer.exceptions.EntityNotFoundException, match="Continuation for job ops_job not found"):
        viewer.get_job_bookmark(JobName="ops_job")  # it never committed one
    with pytest.raises(admin.exceptions.EntityNotFoundException):
        admin.reset_job_bookmark(JobName="ops_job")

    # data quality
    admin.create_data_quality_ruleset(Name="ops_rules", Ruleset=RULESET)
    admin.update_data_quality_ruleset(Name="ops_rules", Description="every operation")
    assert viewer.get_data_quality_ruleset(Name="ops_rules")["Description"] == "every operation"
    assert [r["Name"] for r in viewer.list_data_quality_rulesets()["Rulesets"]] == ["ops_rules"]
    source = {"GlueTable": {"DatabaseName": "ops", "TableName": "crawled_ops_events"}}
    dq_run = admin.start_data_quality_ruleset_evaluation_run(
        DataSource=source, Role="sluice", RulesetNames=["ops_rules"]
    )
    admin.cancel_data_quality_ruleset_evaluation_run(RunId=dq_run["RunId"])
    evaluation = viewer.get_data_quality_ruleset_evaluation_run(RunId=dq_run["RunId"])
    assert evaluation["Status"] in {"STOPPING", "STOPPED"}
    assert viewer.list_data_quality_ruleset_evaluation_runs()["Runs"][0]["RunId"] == dq_run["RunId"]
    results = viewer.list_data_quality_results()["Results"]
    if results:  # another test's evaluation stored one
        assert viewer.get_data_quality_result(ResultId=results[0]["ResultId"])["ResultId"] == results[0]["ResultId"]
    else:
        with pytest.raises(viewer.exceptions.EntityNotFoundException):
            viewer.get_data_quality_result(ResultId="dqresult-none")
    assert viewer.batch_get_data_quality_result(ResultIds=["dqresult-none"])["ResultsNotFound"] == ["dqresult-none"]

    # connections: the password comes back only unless HidePassword, and a viewer cannot create one
    props = {"JDBC_CONNECTION_URL": "jdbc:postgresql://127.0.0.1:5432/test", "USERNAME": "u", "PASSWORD": "s3cret"}
    jdbc = {"Name": "ops_pg", "ConnectionType": "JDBC", "ConnectionProperties": props, "MatchCriteria": ["pg"]}
    assert admin.create_connection(ConnectionInput=jdbc)["CreateConnectionStatus"] == "READY"
    with pytest.raises(admin.exceptions.AlreadyExistsException):
        admin.create_connection(ConnectionInput=jdbc)
    with pytest.raises(viewer.exceptions.ClientError, match="AccessDenied"):
        viewer.create_connection(ConnectionInput={**jdbc, "Name": "ops_viewer"})
    assert viewer.get_connection(Name="ops_pg")["Connection"]["ConnectionProperties"]["PASSWORD"] == "s3cret"
    hidden = viewer.get_connection(Name="ops_pg", HidePassword=True)["Connection"]["ConnectionProperties"]
    assert "PASSWORD" not in hidden and hidden["USERNAME"] == "u"
    admin.update_connection(Name="ops_pg", ConnectionInput={**jdbc, "Description": "warehouse"})
    listed = viewer.get_connections(Filter={"ConnectionType": "JDBC", "MatchCriteria": ["pg"]})["ConnectionList"]
    assert [(c["Name"], c["Description"]) for c in listed] == [("ops_pg", "warehouse")]
    admin.create_connection(ConnectionInput={**jdbc, "Name": "ops_pg2"})
    admin.delete_connection(ConnectionName="ops_pg2")
    batch = admin.batch_delete_connection(ConnectionNameList=["ops_pg", "ops_none"])
    assert batch["Succeeded"] == ["ops_pg"] and set(batch["Errors"]) == {"ops_none"}
    with pytest.raises(viewer.exceptions.EntityNotFoundException):
        viewer.get_connection(Name="ops_pg")

    # and the deletes
    admin.delete_data_quality_ruleset(Name="ops_rules")
    until(lambda: viewer.get_job_run(JobName="ops_job", RunId=run_id)["JobRun"]["JobRunState"], "STOPPED".__eq__, 60)
    admin.delete_job(JobName="ops_job")
    admin.delete_crawler(Name="ops_crawler")
    admin.delete_table(DatabaseName="ops", Name="events")
    admin.delete_database(Name="ops")
    with pytest.raises(viewer.exceptions.EntityNotFoundException):
        viewer.get_database(Name="ops")

    assert called == set(service.OPERATIONS), sorted(set(service.OPERATIONS) - called)
