"""One crawl: list and sample the targets, group files into tables, then write the catalog in one transaction.

Nothing is written before every target was listed, sampled and planned, so a table threshold, a
StopCrawler or an error leaves the catalog exactly as it was, and the crawl is recorded FAILED or
CANCELLED with the reason. Crawlers serialise on that one write transaction: its first statement
takes SQLite's write lock, and on PostgreSQL the database row is locked, so two crawlers writing one
database never interleave their changes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from catalog import types
from catalog.crawler.classification import FileClassification
from catalog.crawler.definitions import (
    Claim,
    CrawlCancelled,
    CrawlerOptions,
    Lease,
    claim_crawler,
    crawl_shape,
    create_crawler,
    default_name,
    finish_crawl,
    take_over,
)
from catalog.crawler.grouping import Columns, PartitionPlan, TablePlan, check_table_threshold, plan_new_tables
from catalog.crawler.grouping import schemas_similar as similar
from catalog.crawler.listing import folder_of, list_target, sample_all
from catalog.models import CrawlerFolderRow, CrawlRunRow, DatabaseRow, PartitionRow, TableRow
from catalog.shapes import storage_descriptor
from catalog.store import Catalog, insert_partitions, values_key
from sluice.clock import utcnow
from sluice.context import SluiceContext
from sluice.errors import EntityNotFoundException, SluiceError
from sluice.lake.fs import ObjectInfo
from sluice.lake.paths import join

Progress = Callable[[int | None, int], None]
"""``progress(total, advance)``: the number of files to read (when it changes), then files just read."""

PROGRESS_EVERY = 256
_CHUNK = 500  # rows per IN (...) list
_UNNAMED_KEY = re.compile(r"partition_\d+")


class CrawlFailedException(SluiceError):
    """A crawl failed on an unexpected error; the catalog is unchanged and the crawl recorded FAILED."""


def crawl(
    paths: list[str],
    *,
    database_name: str,
    name: str | None = None,
    progress: Progress | None = None,
    ctx: SluiceContext | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Define (or redefine) a crawler and run it once: the ``sluice crawl`` one-shot form.

    Without ``name`` the crawler is named from the database and paths, so repeated one-shot crawls of
    the same paths share their recrawl state.
    """
    opts = CrawlerOptions(database_name=database_name, paths=list(paths), **options).resolved(ctx)
    name = name or default_name(database_name, opts.paths)
    create_crawler(name, opts, exist_ok=True, ctx=ctx)
    return start_crawler(name, progress=progress, ctx=ctx)


def start_crawler(
    name: str, *, progress: Progress | None = None, crawl_id: str | None = None, ctx: SluiceContext | None = None
) -> dict[str, Any]:
    """Glue StartCrawler, run to completion; returns the crawl. Raises on failure, after recording it.

    With ``crawl_id``, the crawl is the one StartCrawler claimed for a launcher (:func:`take_over`).
    """
    claim = claim_crawler(name, ctx=ctx) if crawl_id is None else take_over(name, crawl_id, ctx=ctx)
    run = _Crawl(name, claim, progress)
    try:
        with Lease(claim) as lease:
            return run.run(lease)
    except BaseException as exc:
        run.record_failure(exc)
        if isinstance(exc, SluiceError) or not isinstance(exc, Exception):
            raise
        raise CrawlFailedException(
            f"Crawl {claim.run_id} of crawler {name} failed: {type(exc).__name__}: {exc}",
            hint=f"See `sluice crawler list-crawls --crawler-name {name}`.",
        ) from exc


@dataclass
class _Scan:
    """What the read-only phase found: planned tables, files for existing tables, folders seen."""

    incremental: bool
    plans: list[tuple[str, TablePlan]] = field(default_factory=list)
    routed: list[tuple[str, str, ObjectInfo, FileClassification]] = field(default_factory=list)
    folders: set[str] = field(default_factory=set)
    files: dict[str, set[str]] = field(default_factory=dict)


def _table_input(plan: TablePlan, name: str, location: str, params: dict[str, str]) -> dict[str, Any]:
    formats = {
        "InputFormat": plan.input_format,
        "OutputFormat": plan.output_format,
        "SerdeInfo": {"SerializationLibrary": plan.serde, "Parameters": dict(plan.serde_parameters)},
    }
    columns = [{"Name": n, "Type": t} for n, t in plan.columns]
    return {
        "Name": name,
        "TableType": "EXTERNAL_TABLE",
        "StorageDescriptor": storage_descriptor(
            columns, location, formats=formats, compressed=plan.compression is not None, parameters=params
        ),
        "PartitionKeys": [{"Name": k, "Type": t} for k, t in plan.partition_keys],
        "Parameters": params,
    }


def _pairs(columns: list[dict[str, str]]) -> Columns:
    return [(c["Name"], c["Type"]) for c in columns]


def _covers(location: str, uri: str) -> bool:
    """Whether a table at ``location`` (a folder ending in ``/``, or one file) holds the object."""
    return uri.startswith(location) if location.endswith("/") else uri == location


def _partition_values(segments: list[str], keys: list[dict[str, str]]) -> list[str] | None:
    """A new folder's partition values for a table's keys, or None when its levels do not fit them."""
    if len(segments) != len(keys):
        return None
    values = []
    for segment, key in zip(segments, keys, strict=True):
        name, eq, value = segment.partition("=")
        if eq and name.lower() == key["Name"]:
            values.append(unquote(value))
        elif _UNNAMED_KEY.fullmatch(key["Name"]):
            values.append(segment)
        else:
            return None
    return values


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


class _Crawl:
    """The state of one crawl while it runs."""

    def __init__(self, name: str, claim: Claim, progress: Progress | None) -> None:
        self.name, self.claim, self.opts, self.progress = name, claim, claim.options, progress
        self.started = time.monotonic()
        self.metrics = dict.fromkeys(
            (
                "TablesCreated",
                "TablesUpdated",
                "TablesDeleted",
                "PartitionsAdded",
                "PartitionsUpdated",
                "PartitionsDeleted",
                "PartitionSchemaMismatches",
                "FilesScanned",
            ),
            0,
        )
        self.errors: list[dict[str, str]] = []
        self.log: list[dict[str, Any]] = []
        self._to_read = 0

    def _final_metrics(self) -> dict[str, Any]:
        return {**self.metrics, "DurationSeconds": round(time.monotonic() - self.started, 3)}

    def record_failure(self, exc: BaseException) -> None:
        """Record the crawl FAILED (or CANCELLED) with the reason, and set the crawler READY."""
        cancelled = isinstance(exc, CrawlCancelled | KeyboardInterrupt)
        message = exc.message if isinstance(exc, SluiceError) else f"{type(exc).__name__}: {exc}"
        with self.claim.ctx.session() as s:
            finish_crawl(
                s,
                self.claim,
                "CANCELLED" if cancelled else "FAILED",
                metrics=self._final_metrics(),
                errors=self.errors,
                log=self.log,
                error_message=message or type(exc).__name__,
            )

    def run(self, lease: Lease) -> dict[str, Any]:
        scan = self._scan(lease)
        lease.check()
        with Catalog(self.claim.ctx).transaction() as tx:
            s = tx.session
            assert s is not None
            # The first statement writes, so on SQLite it takes the write lock; it also proves the
            # crawl still owns the crawler.
            owned = s.execute(
                update(CrawlRunRow)
                .where(CrawlRunRow.id == self.claim.run_id, CrawlRunRow.status == "RUNNING")
                .values(status="RUNNING")
                .execution_options(synchronize_session=False)
            ).rowcount
            if not owned:
                raise CrawlCancelled("The crawl lost its lease to another process; nothing was written.")
            _Writer(self, tx, s).write(scan)
            finish_crawl(s, self.claim, "SUCCEEDED", metrics=self._final_metrics(), errors=self.errors, log=self.log)
            row = s.get(CrawlRunRow, self.claim.run_id, populate_existing=True)
            assert row is not None
            return crawl_shape(row, self.name)

    # the read-only phase ---------------------------------------------------------------------------

    def _scan(self, lease: Lease) -> _Scan:
        opts = self.opts
        seen: set[str] = set()
        if opts.recrawl_behavior == "CRAWL_NEW_FOLDERS_ONLY":
            with self.claim.ctx.session() as s:
                seen = set(
                    s.scalars(
                        select(CrawlerFolderRow.folder).where(CrawlerFolderRow.crawler_id == self.claim.crawler_id)
                    )
                )
        scan = _Scan(incremental=bool(seen))
        listed = {path: list_target(path, opts.exclusions, skip_folders=seen) for path in opts.paths}
        classified = self._sample([o for objects in listed.values() for o in objects], lease)
        scan.folders = {folder_of(uri) for uri in classified}
        tables = self._existing_tables() if scan.incremental else []
        for path, objects in listed.items():
            entries = [(o, classified[o.uri]) for o in objects if o.uri in classified]
            if scan.incremental:
                entries = self._route(path, entries, tables, scan.routed)
            scan.files[path] = {o.key for o, _ in entries}
            prefix = path.rstrip("/") + "/"
            plans = plan_new_tables(
                [(o.key, info, o.size, o.mtime) for o, info in entries],
                table_locations=[
                    t["StorageDescriptor"]["Location"][len(prefix) :]
                    for t in tables
                    if t["StorageDescriptor"]["Location"].startswith(prefix)
                ],
                root_name=path.rstrip("/").rpartition("/")[2] or path,
                grouping_policy=opts.grouping_policy,
                table_level=opts.table_level,
            )
            scan.plans += [(path, plan) for plan in plans]
        check_table_threshold([plan for _, plan in scan.plans], opts.table_threshold)
        return scan

    def _sample(self, objects: list[ObjectInfo], lease: Lease) -> dict[str, FileClassification]:
        """Classify objects by URI. With a sample size only that many files per leaf folder are read (more
        when all of them were unreadable); the others take the schema of their folder's first readable file.
        """
        limit = self.opts.sample_size
        done: dict[str, FileClassification] = {}
        if not limit:
            self._read(objects, done, lease)
            return done
        by_folder: dict[str, list[ObjectInfo]] = defaultdict(list)
        for obj in objects:
            by_folder[folder_of(obj.uri)].append(obj)
        attempted: set[str] = set()
        todo, offset = list(by_folder.values()), 0
        while todo:
            batch = [o for group in todo for o in group[offset : offset + limit]]
            attempted.update(o.uri for o in batch)
            self._read(batch, done, lease)
            offset += limit
            todo = [g for g in todo if len(g) > offset and not any(o.uri in done for o in g[:offset])]
        for group in by_folder.values():
            reference = next((o for o in group if o.uri in done), None)
            if reference is None:
                continue
            info = done[reference.uri]
            for obj in group:
                if obj.uri not in attempted:
                    estimate = round(info.record_count * obj.size / max(reference.size, 1))
                    done[obj.uri] = dataclasses.replace(info, record_count=estimate, record_count_exact=False)
        return done

    def _read(self, objects: list[ObjectInfo], done: dict[str, FileClassification], lease: Lease) -> None:
        self._to_read += len(objects)
        if self.progress:
            self.progress(self._to_read, 0)
        for i, result in enumerate(sample_all(objects), 1):
            lease.check()
            if result.info is None:
                self.errors.append({"Path": result.obj.uri, "Reason": result.error or "unreadable"})
            else:
                done[result.obj.uri] = result.info
            if self.progress and (i % PROGRESS_EVERY == 0 or i == len(objects)):
                self.progress(None, PROGRESS_EVERY if i % PROGRESS_EVERY == 0 else i % PROGRESS_EVERY)
        self.metrics["FilesScanned"] += len(objects)

    def _existing_tables(self) -> list[dict[str, Any]]:
        try:
            return Catalog(self.claim.ctx).get_tables(self.opts.database_name)
        except EntityNotFoundException:
            return []

    @staticmethod
    def _route(
        path: str,
        entries: list[tuple[ObjectInfo, FileClassification]],
        tables: list[dict[str, Any]],
        routed: list[tuple[str, str, ObjectInfo, FileClassification]],
    ) -> list[tuple[ObjectInfo, FileClassification]]:
        """CRAWL_NEW_FOLDERS_ONLY: files under an existing table go to it; the rest may form new tables."""
        prefix = path.rstrip("/") + "/"
        locations = sorted(
            ((t["StorageDescriptor"]["Location"], t["Name"]) for t in tables),
            key=lambda item: len(item[0]),
            reverse=True,
        )
        locations = [(loc, name) for loc, name in locations if loc.startswith(prefix)]
        rest = []
        for obj, info in entries:
            owner = next((name for loc, name in locations if _covers(loc, obj.uri)), None)
            if owner is None:
                rest.append((obj, info))
            else:
                routed.append((path, owner, obj, info))
        return rest


class _Writer:
    """The write phase of a crawl: tables, partitions, deletions and recrawl state, in one transaction."""

    def __init__(self, crawl: _Crawl, tx: Catalog, session: Session) -> None:
        self.crawl, self.opts, self.tx, self.s = crawl, crawl.opts, tx, session
        self.metrics, self.log = crawl.metrics, crawl.log
        self.db = self.opts.database_name
        self.database_id = 0
        self.tables: dict[str, dict[str, Any]] = {}

    def write(self, scan: _Scan) -> None:
        self.tx.create_database(self.db, exist_ok=True)
        # PostgreSQL: crawlers writing one database take turns (SQLite's write lock does this already).
        self.database_id = self.s.scalar(select(DatabaseRow.id).where(DatabaseRow.name == self.db).with_for_update())
        self.tables = {t["Name"]: t for t in self.tx.get_tables(self.db)}
        found = {self._apply(path, plan, scan.files[path]) for path, plan in scan.plans}
        self._add_routed(scan.routed)
        crawler = self.crawl.claim.crawler_id
        if not scan.incremental:
            self._handle_missing_tables(found)
            self.s.execute(delete(CrawlerFolderRow).where(CrawlerFolderRow.crawler_id == crawler))
        if scan.folders:
            rows = [{"crawler_id": crawler, "folder": f} for f in sorted(scan.folders)]
            self.s.execute(insert(CrawlerFolderRow.__table__), rows)  # Core executemany: no ORM bookkeeping

    # tables ----------------------------------------------------------------------------------------

    def _table_name(self, plan: TablePlan, location: str) -> str:
        """The plan's name, or with a hash of its location when a table elsewhere has that name (as Glue does)."""
        name = f"{self.opts.table_prefix}{plan.name}"
        current = self.tables.get(name)
        if current is None or current["StorageDescriptor"]["Location"] == location:
            return name
        renamed = f"{name}_{hashlib.sha1(location.encode()).hexdigest()[:8]}"
        self.log.append({"Event": "TABLE_NAME_CONFLICT", "Table": renamed, "Location": location, "Existing": name})
        return renamed

    def _apply(self, path: str, plan: TablePlan, files: set[str]) -> str:
        """Create or update one planned table and write its partitions; returns the table name."""
        single_file = not plan.partition_keys and plan.location in files
        location = join(path, plan.location) + ("" if single_file else "/")
        name = self._table_name(plan, location)
        params = {**plan.parameters, "UPDATED_BY_CRAWLER": self.crawl.name, "CRAWL_RUN_ID": self.crawl.claim.run_id}
        if self.opts.exclusions:
            params["exclusions"] = json.dumps(self.opts.exclusions)
        table_input = _table_input(plan, name, location, params)
        current = self.tables.get(name)
        if current is None:
            table = self.tx.create_table(self.db, table_input)
            self.metrics["TablesCreated"] += 1
            self.log.append({"Event": "TABLE_CREATED", "Table": name, "Location": location})
        else:
            table = self._update(current, table_input)
        self.tables[name] = table
        self._write_partitions(table, plan.columns, plan.partitions, path, complete=True, new=current is None)
        return name

    def _update(self, current: dict[str, Any], table_input: dict[str, Any]) -> dict[str, Any]:
        """Apply the UpdateBehavior to an existing table; returns the table as stored afterwards."""
        old_columns = current["StorageDescriptor"]["Columns"]
        new_columns = table_input["StorageDescriptor"]["Columns"]
        if self.opts.add_new_columns_only:
            known = {c["Name"] for c in old_columns}
            new_columns = old_columns + [c for c in new_columns if c["Name"] not in known]
            table_input["StorageDescriptor"]["Columns"] = new_columns
            table_input["PartitionKeys"] = current["PartitionKeys"]
        if new_columns != old_columns or table_input["PartitionKeys"] != current["PartitionKeys"]:
            self.log.append(
                {
                    "Event": "SCHEMA_CHANGE",
                    "Table": current["Name"],
                    "Applied": self.opts.update_behavior == "UPDATE_IN_DATABASE",
                    "Before": {"Columns": old_columns, "PartitionKeys": current["PartitionKeys"]},
                    "After": {"Columns": new_columns, "PartitionKeys": table_input["PartitionKeys"]},
                }
            )
        if self.opts.update_behavior == "LOG":
            return current
        params = {k: v for k, v in current["Parameters"].items() if k != "DEPRECATED"}
        table_input["Parameters"] = {**params, **table_input["Parameters"]}
        table, versioned = self.tx.update_table(self.db, table_input)
        if versioned:
            self.metrics["TablesUpdated"] += 1
        return table

    def _handle_missing_tables(self, found: set[str]) -> None:
        """Tables this crawler made whose data is gone: the DeleteBehavior decides (Glue's default deprecates)."""
        behavior = self.opts.delete_behavior
        for name, table in sorted(self.tables.items()):
            if name in found or table["Parameters"].get("UPDATED_BY_CRAWLER") != self.crawl.name:
                continue
            if behavior == "DEPRECATE_IN_DATABASE" and "DEPRECATED" in table["Parameters"]:
                continue  # deprecated by an earlier crawl
            self.log.append({"Event": "TABLE_MISSING", "Table": name, "Action": behavior})
            if behavior == "DELETE_FROM_DATABASE":
                self.tx.delete_table(self.db, name)
                self.metrics["TablesDeleted"] += 1
            elif behavior == "DEPRECATE_IN_DATABASE":
                params = {**table["Parameters"], "DEPRECATED": utcnow().isoformat()}
                self.tx.update_table(self.db, {"Name": name, "Parameters": params})
                self.metrics["TablesDeleted"] += 1

    # partitions ------------------------------------------------------------------------------------

    def _write_partitions(
        self,
        table: dict[str, Any],
        columns: Columns,
        partitions: Iterable[PartitionPlan],
        base: str,
        *,
        complete: bool,
        new: bool = False,
    ) -> None:
        """Insert new partitions in bulk and update changed ones (UPDATE_IN_DATABASE); when ``complete`` (these
        are all the table's partitions) apply the DeleteBehavior to the ones that are gone.

        A partition whose columns (``part.columns``, else ``columns``) differ from the table's records them,
        unless partitions inherit the table's schema.
        """
        name, sd = table["Name"], table["StorageDescriptor"]
        rows: dict[str, dict[str, Any]] = {}
        for part in partitions:
            location = join(base, part.location) + "/"
            own = [{"Name": n, "Type": t} for n, t in (columns if part.columns is None else part.columns)]
            descriptor = None
            if own != sd["Columns"] and not self.opts.partitions_inherit_from_table:
                descriptor = {**sd, "Columns": own, "Location": location}
                self.metrics["PartitionSchemaMismatches"] += 1
                event = {"Event": "PARTITION_SCHEMA_MISMATCH", "Table": name, "Values": part.values, "Columns": own}
                self.log.append(event)
            key = values_key(part.values)
            rows[key] = {
                "values": part.values,
                "values_key": key,
                "location": location,
                "descriptor": descriptor,
                "parameters": {"recordCount": str(part.record_count), "objectCount": str(part.file_count)},
            }
        table_id = self.s.scalar(
            select(TableRow.id).where(TableRow.database_id == self.database_id, TableRow.name == name)
        )
        existing = {} if new else self._existing_partitions(table_id, None if complete else list(rows))
        now = utcnow()
        fresh = [{**row, "table_id": table_id, "creation_time": now} for k, row in rows.items() if k not in existing]
        if fresh:
            insert_partitions(self.s, table_id, table["PartitionKeys"], fresh)  # with their pushdown values
            self.metrics["PartitionsAdded"] += len(fresh)
        if self.opts.update_behavior == "UPDATE_IN_DATABASE":
            changed = [
                {"id": existing[k][0], **{f: row[f] for f in ("location", "descriptor", "parameters")}}
                for k, row in rows.items()
                if k in existing and existing[k][1:4] != (row["location"], row["descriptor"], row["parameters"])
            ]
            if changed:
                self.s.execute(update(PartitionRow), changed)
                self.metrics["PartitionsUpdated"] += len(changed)
        if complete:
            self._handle_missing_partitions(name, [p for k, p in existing.items() if k not in rows])

    def _existing_partitions(self, table_id: int, keys: list[str] | None) -> dict[str, tuple[Any, ...]]:
        """``values_key → (id, location, descriptor, parameters, values)`` of all partitions, or of ``keys``."""
        query = select(
            PartitionRow.values_key,
            PartitionRow.id,
            PartitionRow.location,
            PartitionRow.descriptor,
            PartitionRow.parameters,
            PartitionRow.values,
        ).where(PartitionRow.table_id == table_id)
        batches = [query] if keys is None else [query.where(PartitionRow.values_key.in_(c)) for c in _chunks(keys)]
        return {row[0]: tuple(row[1:]) for batch in batches for row in self.s.execute(batch)}

    def _handle_missing_partitions(self, table: str, missing: list[tuple[Any, ...]]) -> None:
        if not missing:
            return
        delete_them = self.opts.delete_behavior == "DELETE_FROM_DATABASE"
        self.log.append(
            {
                "Event": "PARTITIONS_MISSING",
                "Table": table,
                "Action": "DELETE_FROM_DATABASE" if delete_them else "LOG",
                "Values": [m[4] for m in missing],
            }
        )
        if delete_them:
            for chunk in _chunks([m[0] for m in missing]):
                self.s.execute(delete(PartitionRow).where(PartitionRow.id.in_(chunk)))
            self.metrics["PartitionsDeleted"] += len(missing)

    # incremental crawls ----------------------------------------------------------------------------

    def _add_routed(self, routed: list[tuple[str, str, ObjectInfo, FileClassification]]) -> None:
        """CRAWL_NEW_FOLDERS_ONLY: new folders become partitions of their table; what does not fit is skipped."""
        by_table: dict[tuple[str, str], dict[str, list[tuple[ObjectInfo, FileClassification]]]] = {}
        for path, name, obj, info in routed:
            by_table.setdefault((path, name), {}).setdefault(folder_of(obj.uri), []).append((obj, info))
        for (path, name), folders in by_table.items():
            table = self.tables.get(name)
            if table is None:
                continue  # deleted meanwhile
            columns = _pairs(table["StorageDescriptor"]["Columns"])
            parts = [self._routed_partition(table, columns, folder, files, path) for folder, files in folders.items()]
            found = [p for p in parts if p is not None]
            self._write_partitions(table, columns, found, path, complete=False)

    def _routed_partition(
        self,
        table: dict[str, Any],
        columns: Columns,
        folder: str,
        files: list[tuple[ObjectInfo, FileClassification]],
        path: str,
    ) -> PartitionPlan | None:
        """One new folder as a partition of ``table``, or None (logged) when its levels or schema do not fit."""
        base = table["StorageDescriptor"]["Location"]
        infos = [info for _, info in files]
        own = [(n, types.resolve_void(t)) for n, t in types.merge_columns(i.columns for i in infos)]
        segments = folder[len(base) :].split("/") if folder + "/" != base else []
        values = _partition_values(segments, table["PartitionKeys"]) if base.endswith("/") else None
        classification = table["Parameters"].get("classification")
        if values is None or any(i.classification != classification for i in infos) or not similar([columns, own]):
            self.log.append(
                {
                    "Event": "SKIPPED_NEW_FOLDER",
                    "Table": table["Name"],
                    "Path": folder,
                    "Reason": "its folder levels, format or schema do not fit the table, and CRAWL_NEW_FOLDERS_ONLY "
                    "never changes a table (crawl everything once to take it in)",
                }
            )
            return None
        return PartitionPlan(
            values=values,
            location=folder[len(path.rstrip("/")) + 1 :],
            columns=None if own == columns else own,
            file_count=len(files),
            size=sum(o.size for o, _ in files),
            record_count=sum(i.record_count for i in infos),
            last_modified=max(o.mtime for o, _ in files),
        )
