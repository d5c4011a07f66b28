"""Keep catalog partitions pointing at their data after an apply moved or expired it.

A partition follows its objects once its folder holds no data file: to the one folder they all moved to,
or, when table rules expired them all, out of the catalog. A partition whose objects went to several
folders, or that still holds data beside moved objects, keeps its location and is reported as split.
Each partition touched records the storage class of its files in its ``lifecycle_storage_class`` parameter.
Everything is derived from the journal, so repeating it after an interrupted apply is harmless.
"""

from __future__ import annotations

from typing import Any

from catalog.store import Catalog
from lifecycle.journal import APPLIED, actions_of
from lifecycle.planner import DELETE_MARKER, EXPIRE, TRANSITION
from lifecycle.rulesets import TABLES
from lifecycle.state import states_at
from sluice.context import SluiceContext
from sluice.lake.fs import list_objects
from sluice.lake.paths import normalize

#: The partition parameter that names the storage class of the partition's files (or MIXED).
STORAGE_CLASS_PARAMETER = "lifecycle_storage_class"
MIXED = "MIXED"


def follow(plan_id: str, kind: str, *, ctx: SluiceContext | None = None) -> dict[str, Any]:
    """Update (or, for table rules, delete) the partitions whose objects the plan moved or expired."""
    ctx = SluiceContext.resolve(ctx)
    moves: dict[str, set[str | None]] = {}
    for row in actions_of(plan_id):
        source = row.before.get("Location")
        if row.status != APPLIED or row.action not in (TRANSITION, EXPIRE, DELETE_MARKER) or not source:
            continue
        dest = row.after.get("Location", source) if row.action == TRANSITION else None
        moves.setdefault(_parent(source), set()).add(_parent(dest) if dest else None)
    if not moves:
        return {}
    catalog = Catalog(ctx)
    report: dict[str, list[str]] = {"PartitionsMoved": [], "PartitionsDeleted": [], "PartitionsSplit": []}
    for folder, (database, table, values, location, parameters) in _partitions(catalog, set(moves)).items():
        name = f"{database}.{table}{values}"
        targets = moves[folder] - {None}
        final = folder
        if folder in targets:  # some objects stayed
            if len(targets) > 1:
                report["PartitionsSplit"].append(name)
        elif not targets:  # expired
            if kind == TABLES and not _data_files(folder, ctx):
                catalog.delete_partition(database, table, values)
                report["PartitionsDeleted"].append(name)
                continue
        elif len(targets) > 1 or _data_files(folder, ctx):
            report["PartitionsSplit"].append(name)
        else:
            final = targets.pop()
            report["PartitionsMoved"].append(name)
        changes: dict[str, Any] = {}
        if final != folder:
            changes["location"] = final + "/" if location.endswith("/") else final
        storage_class = _storage_class(final, ctx)
        if storage_class and parameters.get(STORAGE_CLASS_PARAMETER) != storage_class:
            changes["parameters"] = {**parameters, STORAGE_CLASS_PARAMETER: storage_class}
        if changes:
            catalog.update_partition(database, table, values, **changes)
    return {name: items for name, items in report.items() if items}


def _storage_class(folder: str, ctx: SluiceContext) -> str | None:
    """The one storage class of a folder's data files (files never tiered are STANDARD), MIXED, or None if empty."""
    files = _data_files(folder, ctx)
    if not files:
        return None
    known = states_at(files, ctx=ctx)
    classes = {known[path][2].storage_class if path in known else "STANDARD" for path in files}
    return classes.pop() if len(classes) == 1 else MIXED


def _parent(location: str) -> str:
    return location.rstrip("/").rpartition("/")[0]


def _partitions(catalog: Catalog, folders: set[str]) -> dict[str, tuple[str, str, list[str], str, dict[str, str]]]:
    """The catalog partitions at ``folders``: folder → (database, table, values, location as stored, parameters)."""
    found = {}
    for database in catalog.get_databases():
        for table in catalog.get_tables(database["Name"]):
            if not table["PartitionKeys"]:
                continue
            for partition in catalog.get_partitions(database["Name"], table["Name"]):
                location = partition["StorageDescriptor"].get("Location", "")
                folder = normalize(location)
                if folder in folders:
                    found[folder] = (
                        database["Name"],
                        table["Name"],
                        partition["Values"],
                        location,
                        dict(partition.get("Parameters") or {}),
                    )
    return found


def _data_files(folder: str, ctx: SluiceContext) -> list[str]:
    """The data files (not hidden, not ``_``-prefixed) directly in ``folder``, as lifecycle locations."""
    listed = list_objects(folder, ctx=ctx)
    return [o.uri for o in listed if "/" not in o.key and not o.key.startswith(("_", "."))]
