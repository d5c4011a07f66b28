"""``JobContext``: the analog of GlueContext plus Job, DataFrame-first.

    job = JobContext.from_argv(sys.argv)          # records a RUNNING run, takes a concurrency slot
    df = job.read_catalog("raw", "flights", transformation_ctx="flights")   # only new files
    job.write_lake(df, "curated/flights", partition_keys=["year", "month"], database="curated", table="flights")
    job.commit()                                  # one metadata transaction: run, bookmark, publish journal

A run that fails, is killed, or never calls ``commit()`` leaves bookmarks, lake and catalog exactly as they were.
Row counts come from Spark observations on the reads and writes themselves, so no extra Spark job counts them.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from etl import publish, runs
from etl.args import JobArguments
from etl.bookmarks import store as bookmark_store
from etl.bookmarks.state import (
    FileEntry,
    JdbcBookmark,
    ReadPlan,
    advance_jdbc,
    jdbc_bound_query,
    jdbc_filter,
    load_state,
    render_sql,
    select_new_files,
)
from etl.journal import Entry, FileOp, SourceRead, WarehouseLoad
from etl.models import JobCommitRow, JobRunRow
from etl.sinks import LakeWrite, stage_dataframe, write_quarantine
from etl.sources import jdbc_reader, jdbc_scalar, primary_key
from sluice.context import SluiceContext
from sluice.errors import InvalidInputException, SluiceError
from sluice.lake.fs import ObjectInfo
from sluice.lake.paths import join, to_spark_uri
from sluice.lake.paths import resolve as lake_uri
from sluice.lease import Renewer
from sparkio.read import CORRUPT, SourceFiles, catalog_files, path_files, read_files
from sparkio.session import get_spark, magic_committer

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, Observation, SparkSession

log = logging.getLogger("sluice.job")
METRICS = ("filesRead", "recordsRead", "recordsWritten", "bytesRead", "badRecords")


class BadRecordsExceeded(SluiceError):
    """More malformed records than ``--max-bad-records`` allows."""


class JobStopped(SluiceError):
    """The run was stopped by a signal (SIGTERM) or by its ``--timeout``."""


class RunReclaimed(SluiceError):
    """The run lost its slot (its heartbeat went stale) before it could commit."""


@dataclass(frozen=True)
class _Read:
    """One bookmarked read: its observed counts and, for text sources, what to re-read into the quarantine."""

    ctx: str
    observation: Observation
    source: SourceFiles | None
    files: list[ObjectInfo]


class JobContext:
    """One job run: bookmarked reads, staged writes, and an all-or-nothing ``commit()``."""

    def __init__(
        self, args: JobArguments, spark: SparkSession | None = None, *, ctx: SluiceContext | None = None
    ) -> None:
        self.ctx = SluiceContext.resolve(ctx)
        self.args = args
        self.job_name = args.job_name
        self._spark = spark
        self._starting: Future[SparkSession] | None = None
        if spark is None and "PYSPARK_GATEWAY_PORT" in os.environ:
            # A spark-submit driver: its JVM is up, so the session is built while the run's metadata is read.
            pool = ThreadPoolExecutor(1, thread_name_prefix="sluice-spark")
            self._starting = pool.submit(get_spark, self.job_name, ctx=self.ctx)
            pool.shutdown(wait=False)
        self._plan = ReadPlan(None, None, commit=False)
        self._pending: dict[str, Any] = {}
        self._reads: list[_Read] = []
        self._writes: list[LakeWrite] = []
        self._loads: list[WarehouseLoad] = []
        self._sources: dict[SourceRead, None] = {}  # what the run read, in order, once each (for lineage)
        self._targets: list[str] = []
        self._ending = threading.Lock()
        self._finished = False
        self._timed_out = False
        self._signals: dict[int, Any] = {}
        self.metrics = dict.fromkeys(METRICS, 0)
        self._lease = Renewer(self._heartbeat, every=runs.HEARTBEAT_SECONDS, name="sluice-heartbeat")
        self._timer = threading.Timer(args.timeout * 60, self._time_out) if args.timeout else None
        if self._timer is not None:
            self._timer.daemon = True
        self.run = runs.start_run(
            self.job_name,
            args.recorded(),
            max_concurrent_runs=args.max_concurrent_runs,
            run_id=args.job_run_id,
            ctx=self.ctx,
        )
        self.run_id = self.run.id
        try:
            publish.roll_forward(self.job_name, ctx=self.ctx)
            self._plan = bookmark_store.read_plan(
                self.job_name, args.bookmark_option, args.bookmark_from, args.bookmark_to, ctx=self.ctx
            )
        except BaseException as exc:
            self.fail(exc)
            raise
        if threading.current_thread() is threading.main_thread():
            self._signals = {signal.SIGTERM: signal.signal(signal.SIGTERM, self._on_signal)}
        self._lease.start()
        if self._timer is not None:
            self._timer.start()

    @classmethod
    def from_argv(
        cls,
        argv: Sequence[str] | None = None,
        spark: SparkSession | None = None,
        *,
        ctx: SluiceContext | None = None,
    ) -> JobContext:
        """Parse Glue-style job arguments (``--JOB_NAME``, ``--job-bookmark-option`` …) and start a run."""
        return cls(JobArguments.from_argv(list(argv if argv is not None else sys.argv)), spark, ctx=ctx)

    # lifecycle -----------------------------------------------------------------------------------

    @property
    def spark(self) -> SparkSession:
        if self._spark is None:
            self._spark = self._starting.result() if self._starting else get_spark(self.job_name, ctx=self.ctx)
        return self._spark

    def _heartbeat(self) -> bool:
        state = runs.heartbeat(self.run_id, ctx=self.ctx)
        if state == "STOPPING":  # BatchStopJobRun
            self._interrupt()
        return state is not None

    def _time_out(self) -> None:
        self._timed_out = True
        self._interrupt()

    def _interrupt(self) -> None:
        """Cancel the running Spark jobs and interrupt the main thread with SIGTERM (our handler is in place)."""
        if self._spark is not None:
            with contextlib.suppress(Exception):
                self._spark.sparkContext.cancelAllJobs()
        with self._ending:
            if self._signals and not self._finished:
                signal.pthread_kill(threading.main_thread().ident, signal.SIGTERM)

    def _on_signal(self, signum: int, _frame: Any) -> None:
        raise JobStopped(f"Job run {self.run_id} stopped by signal {signal.Signals(signum).name}.")

    def __enter__(self) -> JobContext:
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if exc is not None:
            self.fail(exc)
        elif not self._finished:
            self.fail(RuntimeError("the job ended without calling commit()"))

    # reads ---------------------------------------------------------------------------------------

    def read_catalog(
        self,
        database: str,
        table: str,
        *,
        transformation_ctx: str | None = None,
        push_down_predicate: str | None = None,
        text: bool = False,
    ) -> DataFrame:
        """Read a catalog table; partitions are pruned in the catalog, then only new files are read.

        With ``text``, its data columns are read as their text (``string``), for callers that type them.
        """
        source = catalog_files(database, table, push_down_predicate, ctx=self.ctx)
        source = source.as_text() if text else source
        self._sources[SourceRead(database=database, table=table)] = None
        return self._read_files(source, transformation_ctx)

    def read_path(
        self,
        format: str,
        paths: str | Sequence[str],
        *,
        transformation_ctx: str | None = None,
        options: dict[str, str] | None = None,
        schema: str | None = None,
    ) -> DataFrame:
        """Read files under ``paths`` (bookmarked by ``transformation_ctx``); ``schema`` is Spark DDL."""
        paths = [paths] if isinstance(paths, str) else list(paths)
        uris = [lake_uri(p, ctx=self.ctx) for p in paths]
        source = path_files(format, uris, schema, dict(options or {}), ctx=self.ctx)
        self._sources[SourceRead(paths=tuple(uris))] = None
        return self._read_files(source, transformation_ctx)

    def read_jdbc(
        self,
        url: str,
        table: str,
        *,
        transformation_ctx: str | None = None,
        bookmark_keys: Sequence[str] | None = None,
        bookmark_keys_sort_order: str = "asc",
        properties: dict[str, str] | None = None,
    ) -> DataFrame:
        """Read a JDBC table; with ``transformation_ctx`` only rows past the bookmark keys are read.

        The keys (by default the primary key) must be non-null and strictly increasing (``asc``) or
        decreasing (``desc``) in insertion order: new rows are picked up, rows updated in place are not.
        ``properties`` are Spark JDBC options (``user``, ``password``, ``fetchsize`` …).
        """
        props = dict(properties or {})
        reader = jdbc_reader(self.spark, url, props)
        self._sources[SourceRead(url=url.split("?")[0], table=table)] = None  # no query string: it may hold secrets
        if transformation_ctx is None or not (self._plan.start is not None or self._plan.commit):
            return self._observe(reader.option("dbtable", table).load(), transformation_ctx, None, [])
        keys = list(bookmark_keys or primary_key(self.spark, url, props, table))
        state = self._jdbc_state(transformation_ctx, keys, bookmark_keys_sort_order, self._plan.start)
        until = None
        if self._plan.until is not None:
            until = self._jdbc_state(transformation_ctx, keys, bookmark_keys_sort_order, self._plan.until)
        upper = self._jdbc_upper(url, props, table, state, until)
        predicate = "1 = 0"
        if upper is not None:
            predicate = render_sql(*jdbc_filter(state, JdbcBookmark(keys, state.sort_order, upper)))
        df = reader.option("dbtable", f"(SELECT * FROM {table} WHERE {predicate}) sluice_src").load()
        if self._plan.commit:
            self._pending[transformation_ctx] = advance_jdbc(state, upper).to_dict()
        return self._observe(df, transformation_ctx, None, [])

    def _jdbc_upper(
        self, url: str, props: dict[str, str], table: str, state: JdbcBookmark, until: JdbcBookmark | None
    ) -> list[Any] | None:
        """The furthest key tuple past ``state`` (within ``until``) now, fixed before the read; None: no rows."""
        upper: list[Any] = []
        for _ in state.keys:
            value = jdbc_scalar(self.spark, url, props, jdbc_bound_query(table, state, until, upper))
            if value is None:
                return None
            upper.append(value)
        return upper

    def _jdbc_state(self, ctx: str, keys: list[str], order: str, bookmark: dict[str, Any] | None) -> JdbcBookmark:
        stored = load_state((bookmark or {}).get(ctx))
        fresh = JdbcBookmark(keys, order)  # type: ignore[arg-type]
        if stored is None:
            return fresh
        if not isinstance(stored, JdbcBookmark) or (stored.keys, stored.sort_order) != (keys, order):
            raise InvalidInputException(
                f"The bookmark of {self.job_name}/{ctx} was written for other bookmark keys than {keys} {order}.",
                hint=f"Reset it with `sluice job reset-job-bookmark --job-name {self.job_name}`.",
            )
        return stored

    def _read_files(self, source: SourceFiles, ctx: str | None) -> DataFrame:
        files = self._select(ctx, source.files)
        self.metrics["filesRead"] += len(files)
        self.metrics["bytesRead"] += sum(f.size for f in files)
        return self._observe(read_files(self.spark, source, files, ctx=self.ctx), ctx, source, files)

    def _select(self, ctx: str | None, files: list[ObjectInfo]) -> list[ObjectInfo]:
        if ctx is None or not (self._plan.start is not None or self._plan.commit):
            return files
        start = load_state((self._plan.start or {}).get(ctx))
        until = load_state(self._plan.until.get(ctx)) if self._plan.until else None
        selection = select_new_files(
            start,  # type: ignore[arg-type]
            [FileEntry(f.uri, f.size, f.mtime) for f in files],
            now=time.time(),
            mode=self.args.bookmark_mode,
            bounded_files=self.args.bounded_files,
            bounded_size=self.args.bounded_size,
            until=until,  # type: ignore[arg-type]
        )
        if selection.deferred:
            log.warning("%s: %d new file(s) wait for the next run (bounded execution)", ctx, selection.deferred)
        if self._plan.commit:
            self._pending[ctx] = selection.next_state.to_dict()
        chosen = {e.path for e in selection.files}
        return [f for f in files if f.uri in chosen]

    def _observe(
        self, df: DataFrame, ctx: str | None, source: SourceFiles | None, files: list[ObjectInfo]
    ) -> DataFrame:
        """Count records (and malformed ones) as the DataFrame is consumed; malformed rows are dropped."""
        from pyspark.sql import Observation
        from pyspark.sql import functions as F

        observation = Observation()
        checked = CORRUPT in df.columns
        counts = [F.count(F.lit(1)).alias("records")]
        if checked:
            counts.append(F.count_if(F.col(CORRUPT).isNotNull()).alias("bad"))
        df = df.observe(observation, *counts)
        name = ctx or f"source{len(self._reads)}"
        self._reads.append(_Read(name, observation, source if checked else None, files))
        return df.filter(F.col(CORRUPT).isNull()).drop(CORRUPT) if checked else df

    def _count(self) -> list[tuple[_Read, dict[str, int]]]:
        """Set the record metrics from the observations; a read no action consumed counts nothing."""
        # Observation.get blocks until an action completes; its JVM future tells whether one has.
        counted = [(r, r.observation.get if r.observation._jo.future().isCompleted() else {}) for r in self._reads]
        self.metrics["recordsRead"] = sum(c.get("records", 0) for _, c in counted)
        self.metrics["badRecords"] = sum(c.get("bad", 0) for _, c in counted)
        self.metrics["recordsWritten"] = sum(w.records for w in self._writes)
        return counted

    def _quarantine(self) -> None:
        """Write each source's malformed records to ``lake/_quarantine/<job>/<run>/<ctx>/``; enforce the limit."""
        for read, counts in self._count():
            if counts.get("bad") and read.source is not None:
                target = join(self.ctx.settings.lake, "_quarantine", self.job_name, self.run_id, read.ctx)
                reason = (
                    f"malformed {read.source.format.upper()} record: a value does not parse as its column's type"
                    " or the record does not fit the table's columns ('parsed' shows what could be read)"
                )
                write_quarantine(read_files(self.spark, read.source, read.files, ctx=self.ctx), target, reason)
        bad = self.metrics["badRecords"]
        if bad > self.args.max_bad_records:
            where = join(self.ctx.settings.lake, "_quarantine", self.job_name, self.run_id)
            raise BadRecordsExceeded(
                f"{bad} malformed record(s) read, more than --max-bad-records {self.args.max_bad_records}.",
                hint=f"Inspect them under {where}, fix the files, or raise --max-bad-records.",
            )

    # writes --------------------------------------------------------------------------------------

    def write_lake(
        self,
        df: DataFrame,
        path: str,
        *,
        format: str = "parquet",
        partition_keys: Sequence[str] = (),
        database: str | None = None,
        table: str | None = None,
        mode: str = "append",
        options: Mapping[str, str] | None = None,
    ) -> LakeWrite:
        """Stage ``df`` under ``path``; ``commit()`` publishes it and updates the catalog (Glue's enableUpdateCatalog).

        ``mode`` is ``append`` or ``overwrite_partitions`` (replace the partitions this run writes); ``options``
        are Spark's writer options for the format (``header``, ``sep``, ``compression`` …).
        """
        from pyspark.sql import Observation
        from pyspark.sql import functions as F

        target = lake_uri(path, ctx=self.ctx)
        publish.sweep_staging(target, keep=self.run_id, ctx=self.ctx)
        self._targets.append(target)
        observation = Observation()
        write = stage_dataframe(
            df.observe(observation, F.count(F.lit(1)).alias("records")),
            target,
            publish.staging_dir(target, self.run_id, len(self._writes)),
            partition_keys=list(partition_keys),
            mode=mode,
            fmt=format,
            database=database,
            table=table,
            options=options,
            ctx=self.ctx,
        )
        write.records = observation.get["records"]
        self._writes.append(write)
        return write

    def write_warehouse(
        self,
        df: DataFrame,
        target: str,
        *,
        glue_connection: str | None = None,
        database: str | None = None,
        **options: Any,
    ) -> None:
        """Stage ``df`` for a load into the warehouse table ``target``, done once this run commits.

        ``options`` are ``warehouse.load_dataframe``'s (``mode``, ``merge_keys``, ``warehouse_url`` …).
        ``glue_connection`` names a Glue connection (PostgreSQL JDBC) to load instead of the warehouse, in its
        ``database`` when given; its URL and password are read when the load runs, never journaled.
        The rows are staged as hidden Parquet and the load is journaled with the commit; it runs after the
        commit point under the ledger key ``<run id>/<n>``, so a failed run loads nothing and a load cut
        short by a kill is finished, once, by the job's next start.
        """
        from warehouse.frames import load_dataframe  # the loader's imports only for jobs that load

        try:
            inspect.signature(load_dataframe).bind(df, target, **options)
        except TypeError as exc:
            raise InvalidInputException(f"write_warehouse options: {exc}") from None
        if glue_connection:
            from catalog.connections import sqlalchemy_url

            sqlalchemy_url(self.ctx, glue_connection, database)  # an unknown or unusable connection fails now
            options |= {"glue_connection": glue_connection, **({"database": database} if database else {})}
        root = lake_uri(join(publish.WAREHOUSE_STAGING, self.job_name), ctx=self.ctx)
        stage = publish.staging_dir(root, self.run_id, len(self._loads))
        publish.sweep_staging(root, keep=self.run_id, ctx=self.ctx)
        self._targets.append(root)
        uri = to_spark_uri(stage)
        with magic_committer(df.sparkSession, uri):
            df.write.mode("overwrite").parquet(uri)
        ledger_key = f"{self.run_id}/{len(self._loads)}"
        self._loads.append(WarehouseLoad(stage=stage, target=target, ledger_key=ledger_key, options=options))

    # end of run ----------------------------------------------------------------------------------

    def commit(self) -> dict[str, Any]:
        """Publish staged writes, advance bookmarks and mark the run SUCCEEDED, atomically.

        The run row, the bookmark and the publish journal change in one metadata transaction; the file
        moves after it are idempotent and roll forward on the job's next start if this process dies.
        """
        if self._finished:
            raise InvalidInputException(f"Job run {self.run_id} has ended already; commit() runs once.")
        try:
            journal = self._commit()
        except BaseException as exc:
            self.fail(exc)
            raise
        publish.finish(journal, ctx=self.ctx)
        publish.discard_staging(self._targets, self.run_id, ctx=self.ctx)
        return runs.get_job_run(self.job_name, self.run_id, ctx=self.ctx)

    def _commit(self) -> JobCommitRow:
        self._quarantine()
        files: list[FileOp] = []
        entries: list[Entry] = []
        for write in self._writes:
            write_files, update = write.plan(self.run_id, self.ctx)
            files += write_files
            if update:
                entries.append(update)
        with self.ctx.session() as s:
            if not runs.finish(s, self.run_id, "SUCCEEDED", metrics=dict(self.metrics), was="RUNNING"):
                if s.scalar(select(JobRunRow.state).where(JobRunRow.id == self.run_id)) == "STOPPING":
                    raise JobStopped(f"Job run {self.run_id} was stopped (BatchStopJobRun); nothing was committed.")
                raise RunReclaimed(
                    f"Job run {self.run_id} was reclaimed (no heartbeat for {runs.STALE_AFTER});"
                    " nothing was committed.",
                    hint=f"See `sluice job get-job-run --job-name {self.job_name} --run-id {self.run_id}`.",
                )
            if self._plan.commit:
                current = s.get(bookmark_store.BookmarkRow, self.job_name)
                bookmark = {**(current.state if current else {}), **self._pending}
                bookmark_store.commit(s, self.job_name, self.run_id, bookmark)
            journal = JobCommitRow.pending(self.run_id, self.job_name, files, [*entries, *self._loads, *self._sources])
            s.add(journal)
        self._end()
        return journal

    def fail(self, exc: BaseException) -> None:
        """Record the failure (FAILED, STOPPED or TIMEOUT); staged files go and the bookmark keeps its state."""
        if self._finished:
            return
        self._end()
        if self._timed_out:
            state, message = "TIMEOUT", f"Job run timed out after --timeout {self.args.timeout} minute(s)."
        else:
            state = "STOPPED" if isinstance(exc, JobStopped | KeyboardInterrupt) else "FAILED"
            message = exc.message if isinstance(exc, SluiceError) else traceback.format_exception_only(exc)[-1].strip()
        with contextlib.suppress(Exception):  # counts are best effort once Spark itself may have failed
            self._count()
        with self.ctx.session() as s:
            if runs.finish(s, self.run_id, state, error=message, metrics=dict(self.metrics)) and self._plan.commit:
                bookmark_store.record_failure(s, self.job_name)
        publish.discard_staging(self._targets, self.run_id, ctx=self.ctx)

    def _end(self) -> None:
        with self._ending:
            self._finished = True
            self._lease.stop(wait=False)  # the caller may hold the metadata write lock a last beat waits for
            if self._timer is not None:
                self._timer.cancel()
            for signum, handler in self._signals.items():
                signal.signal(signum, handler)
