"""Atomic lake writes: Spark writes into ``<target>/_staging/<run>/``; commit journals the moves; moves roll forward.

Readers never see staged files (Spark and the crawler skip ``_``-prefixed folders). The commit point is the
metadata transaction that stores the journal (``etl.journal`` entries) with the run's SUCCEEDED state and its
bookmark. Applying the journal is idempotent, so a process killed half-way through is finished by the next run.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from sqlalchemy import select

from catalog.updates import apply_catalog_update
from etl.journal import CatalogUpdate, Delete, Move, SourceRead, WarehouseLoad
from etl.models import JobCommitRow, JobRunRow
from sluice.context import SluiceContext
from sluice.lake.fs import list_objects
from sluice.lake.paths import join, to_spark_uri
from sluice.lake.stage import children, delete, move, remove_folder, remove_tree
from sparkio.session import get_spark

STAGING = "_staging"
WAREHOUSE_STAGING = "_warehouse"
"""Rows ``write_warehouse`` stages go under ``<lake>/_warehouse/<job>/_staging/<run>/``."""


def staging_dir(target: str, run_id: str, index: int) -> str:
    """Where write number ``index`` of run ``run_id`` stages its files under ``target``."""
    return join(target, STAGING, run_id, str(index))


def partition_values(relative_dir: str) -> list[tuple[str, str]]:
    """``year=2013/month=1`` → ``[("year", "2013"), ("month", "1")]`` (Hive escapes undone)."""
    out = []
    for segment in relative_dir.split("/"):
        if "=" in segment:
            key, _, value = segment.partition("=")
            out.append((unquote(key), unquote(value)))
    return out


@dataclass(frozen=True)
class StagedFile:
    """A data file Spark wrote into staging, where it goes on commit, and its partition folder and values."""

    source: str
    target: str
    folder: str
    partition: tuple[tuple[str, str], ...]
    size: int


def staged_files(target: str, stage: str, run_id: str, *, ctx: SluiceContext | None = None) -> list[StagedFile]:
    """List the data files in ``stage`` (Spark's markers and checksums skipped) and their final paths."""
    tag = run_id.removeprefix("jr_")[:12]
    out = []
    for obj in list_objects(stage, ctx=ctx):
        name = obj.key.rsplit("/", 1)[-1]
        if name.startswith(("_", ".")):
            continue
        rel_dir = obj.key.rsplit("/", 1)[0] if "/" in obj.key else ""
        dest = join(target, rel_dir, f"part-{tag}-{name.removeprefix('part-')}")
        out.append(StagedFile(obj.uri, dest, rel_dir, tuple(partition_values(rel_dir)), obj.size))
    return out


def existing_files(folder: str, *, ctx: SluiceContext | None = None) -> list[str]:
    """Visible data files directly inside one partition folder (for overwrite of touched partitions)."""
    return [o.uri for o in list_objects(folder, ctx=ctx) if "/" not in o.key and not o.key.startswith(("_", "."))]


def apply_journal(row: JobCommitRow, *, ctx: SluiceContext | None = None) -> None:
    """Carry out a commit journal: deletions, then moves, then its entries in order. Safe to repeat."""
    ctx = SluiceContext.resolve(ctx)
    files = row.files
    delete([op.path for op in files if isinstance(op, Delete)], ctx=ctx)
    move([(op.source, op.target) for op in files if isinstance(op, Move)], ctx=ctx)
    for entry in row.entries:
        match entry:
            case CatalogUpdate():
                apply_catalog_update(
                    entry.database,
                    entry.table,
                    location=entry.location,
                    columns=entry.columns,
                    partition_keys=entry.partition_keys,
                    partitions=entry.partitions,
                    fmt=entry.fmt,
                    format_options=entry.format_options,
                    ctx=ctx,
                )
            case WarehouseLoad():
                _load_warehouse(entry, ctx)
            case SourceRead():
                pass  # lineage only


def _load_warehouse(load: WarehouseLoad, ctx: SluiceContext) -> None:
    """Load staged rows; the ledger key makes a repeated apply load nothing."""
    if next(list_objects(load.stage, ctx=ctx), None) is None:
        return  # loaded and cleaned up by an earlier, interrupted apply
    from warehouse.frames import load_dataframe  # only jobs that load the warehouse pay for its import

    options = dict(load.options)
    if "glue_connection" in options:  # the URL (and its password) is read now, never journaled
        from catalog.connections import sqlalchemy_url

        options["warehouse_url"] = sqlalchemy_url(ctx, options.pop("glue_connection"), options.pop("database", None))
    df = get_spark(ctx=ctx).read.parquet(to_spark_uri(load.stage))
    load_dataframe(df, load.target, ledger_key=load.ledger_key, ctx=ctx, **options)


def roll_forward(job_name: str, *, ctx: SluiceContext | None = None) -> int:
    """Finish any committed-but-unapplied journals of ``job_name``; returns how many were finished."""
    ctx = SluiceContext.resolve(ctx)
    with ctx.session() as s:
        pending = list(
            s.scalars(select(JobCommitRow).where(JobCommitRow.job_name == job_name, JobCommitRow.status == "PENDING"))
        )
    for row in pending:
        finish(row, ctx=ctx)
    return len(pending)


def finish(row: JobCommitRow, *, ctx: SluiceContext | None = None) -> None:
    """Apply one journal, remove what is left of its run's staging folders, and mark it done."""
    ctx = SluiceContext.resolve(ctx)
    apply_journal(row, ctx=ctx)
    marker = f"/{STAGING}/{row.run_id}/"
    staged = [op.source for op in row.files if isinstance(op, Move)]
    staged += [entry.stage for entry in row.entries if isinstance(entry, WarehouseLoad)]
    discard_staging(sorted({path.split(marker)[0] for path in staged if marker in path}), row.run_id, ctx=ctx)
    with ctx.session() as s:
        current = s.get(JobCommitRow, row.run_id)
        if current is not None:
            current.status = "DONE"


def discard_staging(targets: list[str], run_id: str, *, ctx: SluiceContext | None = None) -> None:
    """Remove a run's staged files, then the ``_staging`` folder itself once empty (its S3A marker on S3)."""
    ctx = SluiceContext.resolve(ctx)
    for target in targets:
        remove_tree(join(target, STAGING, run_id), ctx=ctx)
        remove_folder(join(target, STAGING), ctx=ctx)


def sweep_staging(target: str, keep: str, *, ctx: SluiceContext | None = None) -> list[str]:
    """Remove what dead runs left in ``<target>/_staging/`` (a killed run cannot clean up after itself).

    A folder stays while its run is RUNNING or its journal is PENDING, and always for run ``keep``;
    returns the run ids swept.
    """
    ctx = SluiceContext.resolve(ctx)
    root = join(target, STAGING)
    found = children(root, ctx=ctx) - {keep}
    if not found:
        return []
    with ctx.session() as s:
        busy = set(s.scalars(select(JobRunRow.id).where(JobRunRow.id.in_(found), JobRunRow.state == "RUNNING")))
        busy |= set(
            s.scalars(
                select(JobCommitRow.run_id).where(JobCommitRow.run_id.in_(found), JobCommitRow.status == "PENDING")
            )
        )
    dead = sorted(found - busy)
    for run_id in dead:
        remove_tree(join(root, run_id), ctx=ctx)
    return dead
