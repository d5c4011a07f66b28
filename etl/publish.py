"""Atomic lake writes: Spark writes into ``<target>/_staging/<run>/``; commit journals the moves; moves roll forward.

Readers never see staged files (Spark and the crawler skip ``_``-prefixed folders). The commit point is the
metadata transaction that stores the journal (``etl.journal`` entries) with the run's SUCCEEDED state and its
bookmark. Applying the journal is idempotent, so a process killed half-way through is finished by the next run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from sqlalchemy import select

from catalog.updates import apply_catalog_update
from etl.journal import CatalogUpdate, Delete, Move, WarehouseLoad
from etl.models import JobCommitRow, JobRunRow
from etl.spark import get_spark
from sluice import storage
from sluice.db import session_scope
from warehouse.frames import load_dataframe

STAGING = "_staging"
PUBLISH_THREADS = 16
"""Concurrent copies and deletes when a journal is applied on S3 (each object is one request)."""
WAREHOUSE_STAGING = "_warehouse"
"""Rows ``write_warehouse`` stages go under ``<lake>/_warehouse/<job>/_staging/<run>/``."""


def staging_dir(target: str, run_id: str, index: int) -> str:
    """Where write number ``index`` of run ``run_id`` stages its files under ``target``."""
    return storage.join(target, STAGING, run_id, str(index))


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


def staged_files(target: str, stage: str, run_id: str) -> list[StagedFile]:
    """List the data files in ``stage`` (Spark's markers and checksums skipped) and their final paths."""
    tag = run_id.removeprefix("jr_")[:12]
    out = []
    for obj in storage.list_objects(stage):
        name = obj.key.rsplit("/", 1)[-1]
        if name.startswith(("_", ".")):
            continue
        rel_dir = obj.key.rsplit("/", 1)[0] if "/" in obj.key else ""
        dest = storage.join(target, rel_dir, f"part-{tag}-{name.removeprefix('part-')}")
        out.append(StagedFile(obj.uri, dest, rel_dir, tuple(partition_values(rel_dir)), obj.size))
    return out


def existing_files(folder: str) -> list[str]:
    """Visible data files directly inside one partition folder (for overwrite of touched partitions)."""
    if not storage.is_s3(folder) and not Path(folder).is_dir():
        return []
    return [o.uri for o in storage.list_objects(folder) if "/" not in o.key and not o.key.startswith(("_", "."))]


def _move(source: str, target: str) -> None:
    if storage.is_s3(source):
        from botocore.exceptions import ClientError

        src_bucket, src_key = storage.split_s3(source)
        dst_bucket, dst_key = storage.split_s3(target)
        client = storage.s3_client()
        try:  # the managed copy: one CopyObject, or a multipart copy past its size limit
            client.copy({"Bucket": src_bucket, "Key": src_key}, dst_bucket, dst_key)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("404", "NoSuchKey"):
                return  # moved by an earlier, interrupted apply
            raise
        client.delete_object(Bucket=src_bucket, Key=src_key)
        return
    if not os.path.exists(source):
        return
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, target)


def _delete(path: str) -> None:
    if storage.is_s3(path):
        bucket, key = storage.split_s3(path)
        storage.s3_client().delete_object(Bucket=bucket, Key=key)
    elif os.path.exists(path):
        os.remove(path)


def _each(action: Callable[..., None], items: list[tuple[str, ...]]) -> None:
    """Run ``action`` on every item: in parallel on S3, where each is a round trip; in order on disk."""
    if items and storage.is_s3(items[0][0]):
        with ThreadPoolExecutor(PUBLISH_THREADS) as pool:
            for _ in pool.map(lambda item: action(*item), items):
                pass
    else:
        for item in items:
            action(*item)


def apply_journal(row: JobCommitRow) -> None:
    """Carry out a commit journal: deletions, then moves, then its entries in order. Safe to repeat."""
    files = row.files
    _each(_delete, [(op.path,) for op in files if isinstance(op, Delete)])
    _each(_move, [(op.source, op.target) for op in files if isinstance(op, Move)])
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
                )
            case WarehouseLoad():
                _load_warehouse(entry)


def _load_warehouse(load: WarehouseLoad) -> None:
    """Load staged rows; the ledger key makes a repeated apply load nothing."""
    if next(storage.list_objects(load.stage), None) is None:
        return  # loaded and cleaned up by an earlier, interrupted apply
    df = get_spark().read.parquet(storage.to_spark_uri(load.stage))
    load_dataframe(df, load.target, ledger_key=load.ledger_key, **load.options)


def roll_forward(job_name: str) -> int:
    """Finish any committed-but-unapplied journals of ``job_name``; returns how many were finished."""
    with session_scope() as s:
        pending = list(
            s.scalars(select(JobCommitRow).where(JobCommitRow.job_name == job_name, JobCommitRow.status == "PENDING"))
        )
    for row in pending:
        finish(row)
    return len(pending)


def finish(row: JobCommitRow) -> None:
    """Apply one journal, remove what is left of its run's staging folders, and mark it done."""
    apply_journal(row)
    marker = f"/{STAGING}/{row.run_id}/"
    staged = [op.source for op in row.files if isinstance(op, Move)]
    staged += [entry.stage for entry in row.entries if isinstance(entry, WarehouseLoad)]
    discard_staging(sorted({path.split(marker)[0] for path in staged if marker in path}), row.run_id)
    with session_scope() as s:
        current = s.get(JobCommitRow, row.run_id)
        if current is not None:
            current.status = "DONE"


def discard_staging(targets: list[str], run_id: str) -> None:
    """Remove a run's staged files."""
    for target in targets:
        _remove_tree(storage.join(target, STAGING, run_id))
        if storage.is_s3(target):  # the folder marker S3A may have left for _staging/ itself
            _delete(storage.join(target, STAGING) + "/")
        with contextlib.suppress(OSError):  # drop the local _staging folder itself once empty
            os.rmdir(storage.join(target, STAGING))


def sweep_staging(target: str, keep: str) -> list[str]:
    """Remove what dead runs left in ``<target>/_staging/`` (a killed run cannot clean up after itself).

    A folder stays while its run is RUNNING or its journal is PENDING, and always for run ``keep``;
    returns the run ids swept.
    """
    root = storage.join(target, STAGING)
    if storage.is_s3(root):
        found = {obj.key.split("/", 1)[0] for obj in storage.list_objects(root)}
        found |= {key.split("/", 1)[0] for key, _ in storage.list_uploads(root)}
    elif os.path.isdir(root):
        found = set(os.listdir(root))
    else:
        return []
    found.discard(keep)
    with session_scope() as s:
        busy = set(s.scalars(select(JobRunRow.id).where(JobRunRow.id.in_(found), JobRunRow.state == "RUNNING")))
        busy |= set(
            s.scalars(
                select(JobCommitRow.run_id).where(JobCommitRow.run_id.in_(found), JobCommitRow.status == "PENDING")
            )
        )
    dead = sorted(found - busy)
    for run_id in dead:
        _remove_tree(storage.join(root, run_id))
    return dead


def _remove_tree(root: str) -> None:
    if storage.is_s3(root):
        _each(_delete, [(obj.uri,) for obj in storage.list_objects(root, markers=True)])  # S3A folder markers too
        storage.abort_uploads(root)
    else:
        shutil.rmtree(root, ignore_errors=True)
