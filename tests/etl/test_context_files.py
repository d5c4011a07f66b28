"""JobContext over real files and real Spark: Glue bookmark options on catalog tables and paths, pruning in the
catalog, the malformed-record quarantine, empty incremental runs, and failed or interrupted runs."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from catalog import Catalog
from etl import publish, runs
from etl.args import JobArguments
from etl.bookmarks.store import get_job_bookmark, reset_job_bookmark
from etl.context import BadRecordsExceeded, JobContext
from sluice.errors import EntityNotFoundException, InvalidInputException
from tests.etl.conftest import RawEvents, parquet_ids, visible_files

pytestmark = pytest.mark.spark
JOB = "events_job"


def job(spark, option: str = "job-bookmark-enable", **kwargs: object) -> JobContext:
    return JobContext(JobArguments(job_name=JOB, bookmark_option=option, **kwargs), spark)  # type: ignore[arg-type]


def read_ids(spark, option: str = "job-bookmark-enable", predicate: str | None = None, **kwargs: object) -> list[int]:
    """One committed run that only reads ``raw.events``; the ids it read."""
    with job(spark, option, **kwargs) as run:
        df = run.read_catalog("raw", "events", transformation_ctx="events", push_down_predicate=predicate)
        ids = sorted(r.id for r in df.select("id").collect())
        run.commit()
    return ids


def curate(spark, mode: str = "append", *, fail: bool = False, **kwargs: object) -> JobContext:
    """One run of raw.events → curated.events (Parquet by day); ``fail`` raises after the write, before commit."""
    with job(spark, **kwargs) as run:
        df = run.read_catalog("raw", "events", transformation_ctx="events")
        run.write_lake(df, "curated/events", partition_keys=["day"], database="curated", table="events", mode=mode)
        if fail:
            raise RuntimeError("boom after the write")
        run.commit()
    return run


def bookmark() -> dict:
    return get_job_bookmark(JOB)["JobBookmarkEntry"]


def test_bookmark_options_follow_glue(spark, raw_events: RawEvents) -> None:
    raw_events.land("2024-01-01", range(0, 3))
    raw_events.land("2024-01-02", range(10, 13))
    assert read_ids(spark) == [0, 1, 2, 10, 11, 12]
    assert read_ids(spark) == []  # nothing new
    first = bookmark()["RunId"]
    raw_events.land("2024-01-03", range(20, 22))
    assert read_ids(spark, "job-bookmark-pause") == [20, 21]  # pause reads from the bookmark …
    assert bookmark()["RunId"] == first  # … and leaves it
    assert read_ids(spark, "job-bookmark-disable") == [0, 1, 2, 10, 11, 12, 20, 21]
    assert read_ids(spark) == [20, 21]
    second = bookmark()["RunId"]
    raw_events.land("2024-01-04", [30])
    # pause between two committed states reads exactly what the later run read
    assert read_ids(spark, "job-bookmark-pause", bookmark_from=first, bookmark_to=second) == [20, 21]
    reset_job_bookmark(JOB, first)  # rewind to the state after the first run
    assert read_ids(spark) == [20, 21, 30]
    reset_job_bookmark(JOB)
    assert read_ids(spark) == [0, 1, 2, 10, 11, 12, 20, 21, 30]
    assert [r["JobRunState"] for r in runs.get_job_runs(JOB)] == ["SUCCEEDED"] * 8


def test_rewritten_and_old_mtime_files_in_both_bookmark_modes(spark, raw_events: RawEvents) -> None:
    for mode in ("mtime", "manifest"):
        path = raw_events.land("2024-01-01", [1, 2])
        assert read_ids(spark, bookmark_mode=mode) == [1, 2]
        path.write_text("id,name,amount\n1,n1,1.5\n2,n2,2.5\n3,n3,3.5\n")  # rewritten: a new mtime
        assert read_ids(spark, bookmark_mode=mode) == [1, 2, 3]
        old = raw_events.land("2024-01-02", [7], name=f"late-{mode}.csv")
        past = time.time() - 7200
        os.utime(old, (past, past))  # copied in with an old mtime
        # Glue's mtime mode misses it by design; the manifest mode remembers every file and reads it
        assert read_ids(spark, bookmark_mode=mode) == ([] if mode == "mtime" else [7])
        reset_job_bookmark(JOB)
        os.remove(old)


def test_bounded_files_leave_the_rest_for_the_next_run(spark, raw_events: RawEvents) -> None:
    for day in (1, 2, 3):
        raw_events.land(f"2024-01-0{day}", [day])
    assert read_ids(spark, bounded_files=2) == [1, 2]
    assert read_ids(spark, bounded_files=2) == [3]
    assert read_ids(spark, bounded_files=2) == []


def test_push_down_predicate_prunes_in_the_catalog_before_listing(
    spark, raw_events: RawEvents, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sparkio import read as sources

    for day in (1, 2, 3):
        raw_events.land(f"2024-01-0{day}", [day])
    stray = raw_events.root / "day=2024-01-09"  # on disk but not in the catalog: never read
    stray.mkdir()
    (stray / "x.csv").write_text("id,name,amount\n99,n99,9.5\n")
    listed: list[str] = []
    real = sources.list_visible
    monkeypatch.setattr(sources, "list_visible", lambda root, *a, **kw: (listed.append(root), real(root, *a, **kw))[1])
    assert read_ids(spark, predicate="day >= '2024-01-02'") == [2, 3]
    assert sorted(Path(p).name for p in listed) == ["day=2024-01-02", "day=2024-01-03"]
    assert read_ids(spark) == [1]  # the pruned partition is still new for an unpruned run
    with job(spark, "job-bookmark-disable") as ctx:  # types come from the catalog
        schema = ctx.read_catalog("raw", "events").schema.simpleString()
        ctx.commit()
    assert schema == "struct<id:int,name:string,amount:double,day:string>"


def test_read_path_is_bookmarked(spark, lake: Path) -> None:
    folder = lake / "landing"
    folder.mkdir()
    (folder / "a.json").write_text('{"id": 1}\n{"id": 2}\n')

    def run() -> list[int]:
        with job(spark) as ctx:
            df = ctx.read_path("json", "landing", transformation_ctx="landing", schema="id INT")
            ids = sorted(r.id for r in df.collect())
            ctx.commit()
        return ids

    assert run() == [1, 2]
    (folder / "b.json").write_text('{"id": 3}\n')
    assert run() == [3]
    assert json.loads(bookmark()["JobBookmark"])["landing"]["kind"] == "mtime"


def test_malformed_rows_are_quarantined_and_the_limit_fails_the_run(spark, raw_events: RawEvents) -> None:
    raw_events.land("2024-01-01", [1, 2], lines=["x,bad,1.0"])
    with pytest.raises(BadRecordsExceeded, match=r"1 malformed record\(s\) read, more than --max-bad-records 0"):
        curate(spark)
    failed = runs.get_job_runs(JOB)[0]
    assert failed["JobRunState"] == "FAILED" and failed["Metrics"]["badRecords"] == 1
    assert not (raw_events.lake / "curated").exists() or visible_files(raw_events.lake / "curated") == {}
    assert not Catalog().table_exists("curated", "events")
    with pytest.raises(EntityNotFoundException):  # no bookmark was ever committed
        bookmark()

    run = curate(spark, max_bad_records=1)
    assert parquet_ids(spark, raw_events.lake / "curated" / "events") == [1, 2]
    metrics = runs.get_job_run(JOB, run.run_id)["Metrics"]
    assert metrics == {"filesRead": 1, "recordsRead": 3, "recordsWritten": 2, "bytesRead": metrics["bytesRead"],
                       "badRecords": 1}  # fmt: skip
    quarantined = raw_events.lake / "_quarantine" / JOB / run.run_id / "events"
    (record,) = [json.loads(line) for f in quarantined.glob("*.json") for line in f.read_text().splitlines()]
    assert record["record"] == "x,bad,1.0" and record["file"].endswith("day=2024-01-01/part.csv")
    assert "malformed CSV record" in record["reason"] and record["parsed"]["name"] == "bad"


def test_an_empty_incremental_run_publishes_nothing(spark, raw_events: RawEvents) -> None:
    raw_events.land("2024-01-01", [1, 2])
    curate(spark, "overwrite_partitions")
    target = raw_events.lake / "curated" / "events"
    before, versions = visible_files(target), Catalog().get_table_versions("curated", "events")
    run = curate(spark, "overwrite_partitions")  # no new files: zero rows
    assert visible_files(target) == before and parquet_ids(spark, target) == [1, 2]
    assert Catalog().get_table_versions("curated", "events") == versions
    assert runs.get_job_run(JOB, run.run_id)["Metrics"]["recordsWritten"] == 0
    # unpartitioned too: Spark stages an empty file for an empty DataFrame, which must not replace the data
    for _ in range(2):
        with job(spark) as ctx:
            df = ctx.read_catalog("raw", "events", transformation_ctx="flat")
            ctx.write_lake(df.drop("day"), "curated/flat", mode="overwrite_partitions")
            ctx.commit()
    assert parquet_ids(spark, raw_events.lake / "curated" / "flat") == [1, 2]


def test_overwrite_partitions_replaces_only_the_partitions_written(spark, raw_events: RawEvents) -> None:
    raw_events.land("2024-01-01", [1, 2])
    raw_events.land("2024-01-02", [3])
    curate(spark, "overwrite_partitions")
    raw_events.land("2024-01-02", [4, 5], name="more.csv")
    curate(spark, "overwrite_partitions")
    assert parquet_ids(spark, raw_events.lake / "curated" / "events") == [1, 2, 4, 5]
    assert [p["Values"] for p in Catalog().get_partitions("curated", "events")] == [["2024-01-01"], ["2024-01-02"]]


def test_a_failed_run_changes_nothing_and_the_retry_reads_its_input_once(spark, raw_events: RawEvents) -> None:
    raw_events.land("2024-01-01", [1, 2])
    curate(spark)
    target = raw_events.lake / "curated" / "events"
    before = visible_files(target)
    partitions = Catalog().get_partitions("curated", "events")
    state = bookmark()
    raw_events.land("2024-01-02", [3, 4])
    with pytest.raises(RuntimeError, match="boom"):
        curate(spark, fail=True)
    assert visible_files(target) == before  # no staged files left behind either
    assert Catalog().get_partitions("curated", "events") == partitions
    after = bookmark()
    assert (after["JobBookmark"], after["RunId"], after["Attempt"]) == (state["JobBookmark"], state["RunId"], 1)
    retry = curate(spark)
    assert retry.run.attempt == 1
    assert parquet_ids(spark, target) == [1, 2, 3, 4]
    curate(spark)  # a rerun with nothing new adds nothing
    assert parquet_ids(spark, target) == [1, 2, 3, 4]


def test_a_run_killed_after_its_commit_point_is_finished_by_the_next_start(
    spark, raw_events: RawEvents, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw_events.land("2024-01-01", [1, 2])

    def die(journal: object, **_: object) -> None:
        raise SystemExit("killed after the commit transaction")

    monkeypatch.setattr(publish, "finish", die)
    with pytest.raises(SystemExit):
        curate(spark)
    target = raw_events.lake / "curated" / "events"
    assert parquet_ids(spark, target) == [] and not Catalog().table_exists("curated", "events")
    assert runs.get_job_runs(JOB)[0]["JobRunState"] == "SUCCEEDED"
    monkeypatch.undo()
    assert read_ids(spark) == []  # the next start rolls the journal forward; the input stays read
    assert parquet_ids(spark, target) == [1, 2]
    assert [p["Values"] for p in Catalog().get_partitions("curated", "events")] == [["2024-01-01"]]
    assert publish.roll_forward(JOB) == 0
    assert not (target / publish.STAGING).exists()


@pytest.mark.postgres
def test_write_warehouse_loads_once_after_the_commit_point(
    spark, raw_events: RawEvents, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlalchemy as sa

    schema = pg_url.rsplit("search_path%3D", 1)[1]
    engine = sa.create_engine(pg_url)

    def warehouse_ids() -> list[int]:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("events", schema=schema):
                return []
            return sorted(conn.execute(sa.text(f"SELECT id FROM {schema}.events")).scalars())

    def load(*, fail: bool = False) -> None:
        with job(spark) as ctx:
            df = ctx.read_catalog("raw", "events", transformation_ctx="events")
            ctx.write_warehouse(df, f"{schema}.events", warehouse_url=pg_url)
            if fail:
                raise RuntimeError("boom after the write")
            ctx.commit()

    raw_events.land("2024-01-01", [1, 2])
    with pytest.raises(RuntimeError, match="boom"):
        load(fail=True)
    assert warehouse_ids() == []  # a failed run loads nothing
    monkeypatch.setattr(publish, "finish", lambda journal, **_: (_ for _ in ()).throw(SystemExit("killed")))
    with pytest.raises(SystemExit):
        load()
    assert warehouse_ids() == []  # committed, but killed before the load ran
    monkeypatch.undo()
    raw_events.land("2024-01-02", [3])
    load()  # its start finishes the killed run's load, then it loads its own input
    assert warehouse_ids() == [1, 2, 3]
    assert not list((raw_events.lake / publish.WAREHOUSE_STAGING).rglob("*.parquet"))
    with (
        pytest.raises(Exception, match="unexpected keyword argument 'nope'"),
        job(spark, "job-bookmark-disable") as ctx,
    ):
        ctx.write_warehouse(ctx.read_catalog("raw", "events"), "events", nope=1)
    engine.dispose()


def test_write_lake_records_schema_changes_as_table_versions(spark, lake: Path) -> None:
    def write(ddl: str, rows: list[tuple]) -> None:
        with job(spark, "job-bookmark-disable") as ctx:
            ctx.write_lake(spark.createDataFrame(rows, ddl), "curated/t", partition_keys=["p"], database="c", table="t")
            ctx.commit()

    write("id INT, p STRING", [(1, "a")])
    write("id BIGINT, note STRING, p STRING", [(2, "x", "b")])  # widened and a new column
    table = Catalog().get_table("c", "t")
    assert table["StorageDescriptor"]["Columns"] == [
        {"Name": "id", "Type": "bigint"},
        {"Name": "note", "Type": "string"},
    ]
    assert [v["VersionId"] for v in Catalog().get_table_versions("c", "t")] == ["1", "0"]
    assert [p["Values"] for p in Catalog().get_partitions("c", "t")] == [["a"], ["b"]]
    before = visible_files(lake / "curated" / "t")
    with pytest.raises(InvalidInputException, match="note is string in the catalog but int in the DataFrame"):
        write("id INT, note INT, p STRING", [(3, 3, "c")])
    assert visible_files(lake / "curated" / "t") == before


def test_many_local_files_are_listed_on_the_driver_without_a_spark_job(spark, raw_events: RawEvents) -> None:
    for day in range(1, 41):  # more paths than Spark lists on the driver by default (32)
        raw_events.land(f"2024-03-{day:02d}", [day])
    threshold = "spark.sql.sources.parallelPartitionDiscovery.threshold"
    before = spark.conf.get(threshold)
    spark.sparkContext.setJobGroup("listing", "read_catalog of 40 partitions")
    try:
        with job(spark, "job-bookmark-disable") as run:
            df = run.read_catalog("raw", "events", transformation_ctx="events")
            listing_jobs = spark.sparkContext.statusTracker().getJobIdsForGroup("listing")
            assert sorted(r.id for r in df.select("id").collect()) == list(range(1, 41))
            run.commit()
    finally:
        spark.sparkContext.setJobGroup(None, None)  # type: ignore[arg-type]
    assert listing_jobs == []  # no distributed listing job before the first action
    assert spark.conf.get(threshold) == before  # the setting is scoped to the read
