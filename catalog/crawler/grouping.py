"""Group classified files under one include path into tables and partitions, as Glue does.

The folder tree is walked bottom up. A folder's members are its sub-folders (each already
found to be one table-able unit) and, for a folder without sub-folders, its files. The members
become one unit, so partitions of one table, when

* they are *compatible*: same classification and compression (and CSV delimiter and header), and
  the same folder depth down to their files; and
* their schemas are *similar* (skipped under ``CombineCompatibleSchemas``): members are clustered
  greedily, a member joining the first cluster whose first schema shares more than 70% of the
  smaller schema's column names; there are at most 5 clusters and the largest holds more than 70%
  of the members.

Otherwise each member unit becomes its own table, named from its folder (lower case, other
characters than letters and digits as ``_``: ``year=2017`` → ``year_2017``); files of one folder
that do not group become one table per cluster, named from the first file. A unit reaching the
include path becomes one table named ``root_name``.

Folder levels below a table root are partition keys: ``key=value`` folders give ``key`` (values
are Hive-unescaped), other levels ``partition_0``, ``partition_1``, … (values are folder names);
keys are typed ``string``. A table's columns merge its files' columns in path order with
:func:`catalog.types.widen`; columns missing from some files stay. A partition records its own
columns when they differ from the table's (Athena's ``HIVE_PARTITION_SCHEMA_MISMATCH``).

``table_level`` is Glue's ``TableLevelConfiguration``: tables sit at that absolute folder level
(the bucket's top-level folders are level 1); ``include_level`` is the include path's level.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import unquote

from catalog import types
from catalog.crawler.classification import FileClassification
from catalog.formats import JSON_SERDE, LAZY_SIMPLE_SERDE, OPEN_CSV_SERDE
from sluice.errors import InvalidInputException

SIMILARITY_THRESHOLD = 0.7
MAX_SCHEMAS = 5
COMBINE_COMPATIBLE_SCHEMAS = "CombineCompatibleSchemas"

Columns = list[tuple[str, str]]
CompatKey = tuple[str | bool | None, ...]
"""What files must share to group: classification and compression (for CSV, delimiter and header too)."""


class TableThresholdExceeded(InvalidInputException):
    """A crawl would create more tables than the crawler's table threshold allows."""


@dataclass
class PartitionPlan:
    values: list[str]
    location: str  # relative to the include path
    columns: Columns | None  # None when equal to the table's columns
    file_count: int
    size: int
    record_count: int
    last_modified: float


@dataclass
class TablePlan:
    name: str
    location: str  # relative to the include path; "" is the include path itself
    classification: str
    compression: str | None
    columns: Columns
    partition_keys: list[tuple[str, str]]
    partitions: list[PartitionPlan]
    file_count: int
    size: int
    record_count: int
    last_modified: float
    input_format: str
    output_format: str
    serde: str
    serde_parameters: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)


class _File(NamedTuple):
    path: str
    info: FileClassification
    size: int
    mtime: float

    @property
    def folder(self) -> str:
        return self.path.rpartition("/")[0]


@dataclass
class _Folder:
    path: str
    name: str
    depth: int
    files: list[_File] = field(default_factory=list)
    children: dict[str, _Folder] = field(default_factory=dict)


@dataclass
class _Unit:
    """Files that can form one table rooted at ``folder``, all ``depth`` folder levels below it."""

    folder: _Folder
    files: list[_File]
    depth: int
    key: CompatKey
    columns: Columns
    name: str | None = None  # set for a cluster of loose files


def _compat_key(info: FileClassification) -> CompatKey:
    if info.classification == "csv":
        return (info.classification, info.compression, info.delimiter, info.has_header)
    return (info.classification, info.compression)


def schema_similarity(a: Columns, b: Columns) -> float:
    """Shared column names as a fraction of the smaller schema's (1.0 for two empty schemas)."""
    names_a, names_b = {n for n, _ in a}, {n for n, _ in b}
    smaller = min(len(names_a), len(names_b))
    return 1.0 if smaller == 0 else len(names_a & names_b) / smaller


def cluster_schemas(schemas: list[Columns]) -> list[list[int]]:
    """Greedy clusters (indexes into ``schemas``) of schemas more than 70% similar to a cluster's first."""
    clusters: list[tuple[set[str], list[int]]] = []
    for i, schema in enumerate(schemas):
        names = {n for n, _ in schema}
        for first, members in clusters:
            smaller = min(len(first), len(names))
            if smaller == 0 or len(first & names) / smaller > SIMILARITY_THRESHOLD:
                members.append(i)
                break
        else:
            clusters.append((names, [i]))
    return [members for _, members in clusters]


def schemas_similar(schemas: list[Columns]) -> bool:
    """Glue's test for grouping: at most 5 clusters, the largest holding over 70% of the schemas."""
    clusters = cluster_schemas(schemas)
    largest = max(len(c) for c in clusters)
    return len(clusters) <= MAX_SCHEMAS and largest / len(schemas) > SIMILARITY_THRESHOLD


def table_name(folder_or_file: str) -> str:
    """A Glue table name from a folder or file name: lower case, non-alphanumerics as ``_``."""
    return re.sub(r"[^a-z0-9]", "_", folder_or_file.lower()) or "_"


class _Planner:
    def __init__(self, root_name: str, combine: bool, table_depth: int | None) -> None:
        self.root_name = root_name
        self.combine = combine
        self.table_depth = table_depth

    def analyse(self, folder: _Folder) -> _Unit | list[_Unit]:
        """One unit for the whole subtree, or the list of units that become separate tables."""
        level = self.table_depth
        combine = self.combine or (level is not None and folder.depth >= level)
        results = [self.analyse(child) for _, child in sorted(folder.children.items())]
        if any(isinstance(r, list) for r in results) or (results and folder.files):
            return [u for r in results for u in (r if isinstance(r, list) else [r])] + self.loose(folder, combine)
        outcome: _Unit | list[_Unit] | None
        if results:
            units = [r for r in results if isinstance(r, _Unit)]
            above_level = level is not None and folder.depth < level
            outcome = None if above_level else self.merge(folder, units, combine)
            if outcome is None:
                return units
        else:
            loose = self.loose(folder, combine)
            outcome = loose[0] if len(loose) == 1 and loose[0].name is None else loose
        if folder.depth == level and isinstance(outcome, _Unit):
            return [outcome]  # tables sit at the table level, never above it
        return outcome

    def merge(self, folder: _Folder, units: list[_Unit], combine: bool) -> _Unit | None:
        if len({(u.key, u.depth) for u in units}) > 1:
            return None
        if not combine and not schemas_similar([u.columns for u in units]):
            return None
        files = [f for u in units for f in u.files]
        return _Unit(folder, files, units[0].depth + 1, units[0].key, types.merge_columns(u.columns for u in units))

    def loose(self, folder: _Folder, combine: bool) -> list[_Unit]:
        """Units for the files directly in ``folder``: one if they group, else one per cluster."""
        if not folder.files:
            return []
        by_key: dict[CompatKey, list[_File]] = {}
        for file in folder.files:
            by_key.setdefault(_compat_key(file.info), []).append(file)
        if len(by_key) == 1:
            (key, files), schemas = next(iter(by_key.items())), [f.info.columns for f in folder.files]
            if combine or schemas_similar(schemas):
                return [_Unit(folder, files, 0, key, types.merge_columns(schemas))]
        units = []
        for key, files in by_key.items():
            groups = (
                [files]
                if combine
                else [[files[i] for i in c] for c in cluster_schemas([f.info.columns for f in files])]
            )
            for group in groups:
                name = table_name(group[0].path.rpartition("/")[2])
                units.append(_Unit(folder, group, 0, key, types.merge_columns(f.info.columns for f in group), name))
        return units

    def table(self, unit: _Unit) -> TablePlan:
        files = sorted(unit.files, key=lambda f: f.path)
        if unit.name is not None:
            name = unit.name
            location = files[0].path if len(files) == 1 else unit.folder.path
        else:
            name = table_name(unit.folder.name) if unit.folder.path else table_name(self.root_name)
            location = unit.folder.path
        columns = [(n, types.resolve_void(t)) for n, t in unit.columns]
        keys, partitions = self.partitions(unit, files, columns)
        first = files[0].info
        serde, serde_parameters = _serde(first, files, columns)
        table = TablePlan(
            name=name,
            location=location,
            classification=first.classification,
            compression=first.compression,
            columns=columns,
            partition_keys=keys,
            partitions=partitions,
            file_count=len(files),
            size=sum(f.size for f in files),
            record_count=sum(f.info.record_count for f in files),
            last_modified=max(f.mtime for f in files),
            input_format=first.input_format,
            output_format=first.output_format,
            serde=serde,
            serde_parameters=serde_parameters,
        )
        table.parameters = _parameters(table, files)
        return table

    def partitions(
        self, unit: _Unit, files: list[_File], columns: Columns
    ) -> tuple[list[tuple[str, str]], list[PartitionPlan]]:
        if unit.depth == 0:
            return [], []
        prefix = len(unit.folder.path) + 1 if unit.folder.path else 0
        by_folder: dict[str, list[_File]] = {}
        for file in files:
            by_folder.setdefault(file.folder, []).append(file)
        paths = {folder: folder[prefix:].split("/") for folder in by_folder}
        keys: list[tuple[str, str]] = []
        named: list[bool] = []
        for level in range(unit.depth):
            names = {parts[level] for parts in paths.values()}
            key_names = {n.split("=", 1)[0].lower() for n in names if "=" in n}
            is_named = len(key_names) == 1 and all("=" in n for n in names) and next(iter(key_names)) != ""
            named.append(is_named)
            keys.append((next(iter(key_names)) if is_named else f"partition_{level}", "string"))
        plans = []
        for folder, group in sorted(by_folder.items()):
            values = [unquote(p.split("=", 1)[1]) if named[i] else p for i, p in enumerate(paths[folder])]
            own = [(n, types.resolve_void(t)) for n, t in types.merge_columns(f.info.columns for f in group)]
            plans.append(
                PartitionPlan(
                    values=values,
                    location=folder,
                    columns=None if own == columns else own,
                    file_count=len(group),
                    size=sum(f.size for f in group),
                    record_count=sum(f.info.record_count for f in group),
                    last_modified=max(f.mtime for f in group),
                )
            )
        return keys, plans


def _serde(first: FileClassification, files: list[_File], columns: Columns) -> tuple[str, dict[str, str]]:
    if first.classification == "json":
        return JSON_SERDE, {"paths": ",".join(name for name, _ in columns)}
    if first.classification == "csv":
        if any(f.info.quoted for f in files):
            return OPEN_CSV_SERDE, {"separatorChar": first.delimiter or ",", "quoteChar": '"'}
        return LAZY_SIMPLE_SERDE, {"field.delim": first.delimiter or ","}
    return first.serde, dict(first.serde_parameters)


def _parameters(table: TablePlan, files: list[_File]) -> dict[str, str]:
    """The table parameters a Glue crawler sets."""
    params = {
        "classification": table.classification,
        "compressionType": table.compression or "none",
        "typeOfData": "file",
        "objectCount": str(table.file_count),
        "recordCount": str(table.record_count),
        "sizeKey": str(table.size),
        "averageRecordSize": str(table.size // table.record_count if table.record_count else 0),
        "CrawlerSchemaDeserializerVersion": "1.0",
        "CrawlerSchemaSerializerVersion": "1.0",
    }
    if table.classification == "csv":
        first = files[0].info
        params["delimiter"] = first.delimiter or ","
        params["columnsOrdered"] = "true"
        params["areColumnsQuoted"] = "true" if any(f.info.quoted for f in files) else "false"
        if first.has_header:
            params["skip.header.line.count"] = "1"
    return params


def _tree(files: list[_File]) -> _Folder:
    root = _Folder("", "", 0)
    for file in files:
        node = root
        parts = file.path.split("/")[:-1]
        for i, part in enumerate(parts):
            if part not in node.children:
                node.children[part] = _Folder("/".join(parts[: i + 1]), part, i + 1)
            node = node.children[part]
        node.files.append(file)
    return root


def _unique_names(tables: list[TablePlan]) -> None:
    """Give tables that share a name a suffix from their location's hash, as Glue does."""
    counts: dict[str, int] = {}
    for table in tables:
        counts[table.name] = counts.get(table.name, 0) + 1
    for table in tables:
        if counts[table.name] > 1:
            table.name = f"{table.name}_{hashlib.sha1(table.location.encode()).hexdigest()[:8]}"


def plan_tables(
    entries: Iterable[tuple[str, FileClassification, int, float]],
    *,
    root_name: str,
    grouping_policy: str | None = None,
    table_level: int | None = None,
    include_level: int = 0,
) -> list[TablePlan]:
    """Plan the tables for one include path from ``(relative_path, classification, size, mtime)``.

    ``root_name`` names a table rooted at the include path itself (the include path's last
    folder, or the bucket). ``grouping_policy`` may be ``"CombineCompatibleSchemas"``.
    Tables come back ordered by location, then name.
    """
    if grouping_policy not in (None, COMBINE_COMPATIBLE_SCHEMAS):
        raise InvalidInputException(
            f"Unknown TableGroupingPolicy {grouping_policy!r}; the only policy is {COMBINE_COMPATIBLE_SCHEMAS}"
        )
    table_depth = None
    if table_level is not None:
        table_depth = table_level - include_level
        if table_depth < 0:
            raise InvalidInputException(
                f"TableLevelConfiguration {table_level} is above the include path, which is at level {include_level}"
            )
    files = sorted(
        (_File(path.strip("/"), info, size, mtime) for path, info, size, mtime in entries), key=lambda f: f.path
    )
    if not files:
        return []
    planner = _Planner(root_name, grouping_policy == COMBINE_COMPATIBLE_SCHEMAS, table_depth)
    result = planner.analyse(_tree(files))
    tables = [planner.table(unit) for unit in (result if isinstance(result, list) else [result])]
    _unique_names(tables)
    return sorted(tables, key=lambda t: (t.location, t.name))


def check_table_threshold(tables: list[TablePlan], threshold: int | None) -> None:
    """Raise :class:`TableThresholdExceeded` when more than ``threshold`` tables are planned."""
    if threshold is not None and len(tables) > threshold:
        raise TableThresholdExceeded(
            f"The crawl would create {len(tables)} tables, more than the table threshold of {threshold}",
            hint="Check the include path and exclude patterns, or raise the crawler's TableThreshold",
        )


def plan_new_tables(
    entries: Iterable[tuple[str, FileClassification, int, float]],
    *,
    table_locations: Iterable[str],
    root_name: str,
    grouping_policy: str | None = None,
    table_level: int | None = None,
) -> list[TablePlan]:
    """CRAWL_NEW_FOLDERS_ONLY: plan tables for new files outside every existing table.

    ``table_locations`` are the existing tables' locations relative to the include path. A new table
    is never rooted at a folder above an existing table: each file is planned from the highest folder
    on its path free of them, so a new ``zones/`` beside a known ``trips/`` becomes table ``zones``.
    """
    blocked: set[str] = set()
    for location in table_locations:
        parts = location.strip("/").split("/")
        blocked.update("/".join(parts[:i]) for i in range(len(parts)))
    if not blocked:
        return plan_tables(entries, root_name=root_name, grouping_policy=grouping_policy, table_level=table_level)
    groups: dict[str, list[tuple[str, FileClassification, int, float]]] = {}
    for path, info, size, mtime in entries:
        parts = path.strip("/").split("/")
        depth = max(i for i in range(len(parts)) if "/".join(parts[:i]) in blocked)  # "" is always blocked
        root = "/".join(parts[: min(depth + 1, len(parts) - 1)])
        groups.setdefault(root, []).append(("/".join(parts)[len(root) :].lstrip("/"), info, size, mtime))
    tables = []
    for root, group in groups.items():
        name = root.rpartition("/")[2] or root_name
        level = len(root.split("/")) if root else 0
        planned = plan_tables(
            group, root_name=name, grouping_policy=grouping_policy, table_level=table_level, include_level=level
        )
        for table in planned:
            table.location = _join(root, table.location)
            for part in table.partitions:
                part.location = _join(root, part.location)
            tables.append(table)
    return sorted(tables, key=lambda t: (t.location, t.name))


def _join(folder: str, path: str) -> str:
    """A relative path below a relative folder ("" is the include path)."""
    return f"{folder}/{path}".strip("/") if folder and path else folder or path
