"""Catalog tables as DuckDB views over exactly the files of their surviving partitions.

Each table a query reads becomes ``"db"."table"`` in an in-memory DuckDB: the catalog's columns with the
catalog's types, then the partition keys holding the catalog's partition values (cast to the keys' types; a
value that does not convert, or Hive's default partition, is NULL). Partitions laid out as Hive folders under
the table's location are one scan with DuckDB's Hive partitioning; other layouts join each file to its
partition's values; files matching the table parameter ``exclusions`` (Glue globs relative to the table's
location, as the Spark reader applies them) are left out. Parquet, CSV and JSON (gzipped too) are read by
DuckDB's readers, S3 objects through the lake's pyarrow filesystem (registered with DuckDB as ``s3://``); ORC,
which DuckDB cannot read, through pyarrow's dataset reader, a partition at a time. Columns are converted with
``TRY_CAST`` (CSV is read as text: a value that does not convert is NULL, as Athena's SerDes read it). Once the
views exist the connection is sandboxed: it may open those files only (and write a CTAS's staging folder), and
its settings are locked.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote

import duckdb

from athena.statements import TableName
from catalog.predicate import HIVE_DEFAULT_PARTITION
from catalog.types import Array, HiveType, Map, Primitive, Struct, parse_type, resolve_void_type
from sluice.errors import InvalidInputException
from sluice.lake.fs import ObjectInfo, list_visible, s3_filesystem
from sluice.lake.guard import before_read
from sluice.lake.paths import is_s3

if TYPE_CHECKING:
    from sluice.context import SluiceContext

LIST_THREADS = 16
FILE = "_sluice_file"
"""The column naming each row's file in a partitioned table's reader (joined to its partition's values)."""
FORMATS = ("parquet", "csv", "json", "orc")
_PRIMITIVES = {
    "tinyint": "TINYINT",
    "smallint": "SMALLINT",
    "int": "INTEGER",
    "bigint": "BIGINT",
    "float": "REAL",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
    "string": "VARCHAR",
    "char": "VARCHAR",
    "varchar": "VARCHAR",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "binary": "BLOB",
}


class CatalogApi(Protocol):
    """The Glue catalog operations the engine calls (``service.sql`` answers them through ``service.catalog``)."""

    def get_database(self, database: str) -> dict[str, Any]: ...
    def get_table(self, database: str, name: str) -> dict[str, Any]: ...
    def get_tables(self, database: str) -> list[dict[str, Any]]: ...
    def get_partitions(self, database: str, name: str, expression: str | None = None) -> list[dict[str, Any]]: ...
    def create_table(self, database: str, table_input: dict[str, Any]) -> None: ...
    def delete_table(self, database: str, name: str) -> None: ...
    def batch_create_partition(
        self, database: str, name: str, inputs: list[dict[str, Any]]
    ) -> list[dict[str, Any]]: ...


def duckdb_type(hive: str) -> str:
    """A catalog (Hive) type as DuckDB's type (``void``, only nulls seen, as VARCHAR)."""
    try:
        node = resolve_void_type(parse_type(hive))
    except InvalidInputException as error:
        raise InvalidInputException(f"Catalog type {hive!r} is not a type Sluice reads: {error.message}") from None
    return _duck(node)


def _duck(node: HiveType) -> str:
    match node:
        case Primitive("decimal", params):
            return f"DECIMAL({', '.join(map(str, params or (10, 0)))})"
        case Primitive(name, _):
            return _PRIMITIVES[name]
        case Array(element):
            return f"{_duck(element)}[]"
        case Map(key, value):
            return f"MAP({_duck(key)}, {_duck(value)})"
        case Struct(fields):
            return "STRUCT(" + ", ".join(f"{quote(name)} {_duck(kind)}" for name, kind in fields) + ")"
    raise InvalidInputException(f"Catalog type {node} is not a type Sluice reads.")


def quote(name: str) -> str:
    """A DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A DuckDB string literal."""
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class TableFiles:
    """One catalog table resolved to the files of its surviving partitions."""

    name: TableName
    table: dict[str, Any]
    partitions: list[tuple[tuple[str, ...], list[ObjectInfo]]]

    @property
    def files(self) -> list[ObjectInfo]:
        return [f for _, files in self.partitions for f in files]

    @property
    def columns(self) -> list[dict[str, str]]:
        return list(self.table["StorageDescriptor"].get("Columns", []))

    @property
    def keys(self) -> list[dict[str, str]]:
        return list(self.table.get("PartitionKeys", []))

    @property
    def classification(self) -> str:
        return str(self.table.get("Parameters", {}).get("classification", "parquet")).lower()


def resolve(
    catalog: CatalogApi, name: TableName, table: dict[str, Any], expression: str | None, *, ctx: SluiceContext
) -> TableFiles:
    """The table's surviving partitions (pruned in the catalog by ``expression``) and their listed files."""
    fmt = str(table.get("Parameters", {}).get("classification", "parquet")).lower()
    if fmt not in FORMATS:
        raise InvalidInputException(f"{name} has classification {fmt!r}; Sluice reads {', '.join(FORMATS)}.")
    if table.get("PartitionKeys"):
        found = catalog.get_partitions(name.database, name.name, expression)
        places = [(tuple(p["Values"]), p["StorageDescriptor"]["Location"]) for p in found]
    else:
        places = [((), table["StorageDescriptor"]["Location"])]
    with ThreadPoolExecutor(LIST_THREADS, thread_name_prefix="sluice-sql-list") as pool:
        listed = list(pool.map(lambda place: list_visible(place[1].rstrip("/"), ctx=ctx), places))
    if table.get("Parameters", {}).get("exclusions"):
        from sparkio.read import _exclusions  # the Spark reader's matcher: both leave out the same files

        excluded = _exclusions(table, table["StorageDescriptor"]["Location"].rstrip("/"))
        listed = [[f for f in files if not excluded(f.uri)] for files in listed]
    return TableFiles(name, table, [(values, files) for (values, _), files in zip(places, listed, strict=True)])


@dataclass
class Session:
    """An in-memory DuckDB holding the views of the tables a statement reads."""

    ctx: SluiceContext
    connection: duckdb.DuckDBPyConnection = field(default_factory=lambda: duckdb.connect(":memory:"))
    allowed: list[str] = field(default_factory=list)
    _s3: bool = False

    def add(self, source: TableFiles) -> None:
        """Create the view ``"db"."table"`` over ``source``'s files."""
        before_read([f.uri for f in source.files], ctx=self.ctx)
        con = self.connection
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(source.name.database)}")
        body = self._body(source)
        con.execute(f"CREATE VIEW {quote(source.name.database)}.{quote(source.name.name)} AS {body}")

    def lock(self, writes_to: str | None = None) -> None:
        """From now on the connection opens only the views' files (and the folder ``writes_to``, created here),
        and its settings cannot change."""
        con = self.connection
        if writes_to is not None:
            if is_s3(writes_to):
                self._register_s3()
            else:
                os.makedirs(writes_to, exist_ok=True)
            folder = ("s3://" + writes_to.split("://", 1)[1] if is_s3(writes_to) else writes_to).rstrip("/")
            con.execute(f"SET allowed_directories = [{literal(folder + '/')}]")
            self.allowed.append(folder)
        if self.allowed:
            con.execute(f"SET allowed_paths = [{', '.join(literal(p) for p in self.allowed)}]")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")

    def _uri(self, info: ObjectInfo) -> str:
        uri = info.uri
        if is_s3(uri):
            self._register_s3()
            uri = "s3://" + uri.split("://", 1)[1]
        self.allowed.append(uri)
        return uri

    def _register_s3(self) -> None:
        if not self._s3:
            self.connection.register_filesystem(lake_fsspec(self.ctx))
            self._s3 = True

    def _body(self, source: TableFiles) -> str:
        """The view's SELECT: data columns converted to the catalog's types, then the partition keys."""
        columns = [(c["Name"], duckdb_type(c["Type"])) for c in source.columns]
        keys = [(k["Name"], duckdb_type(k["Type"])) for k in source.keys]
        empty = ", ".join(f"CAST(NULL AS {t}) AS {quote(n)}" for n, t in columns + keys) or "NULL AS _"
        partitions = [(values, files) for values, files in source.partitions if files]
        if not partitions:
            return f"SELECT {empty} WHERE false"
        if source.classification == "orc":
            return " UNION ALL ".join(self._orc(source, values, files, columns, keys) for values, files in partitions)
        uris = {f.uri: self._uri(f) for _, files in partitions for f in files}
        listed = [uris[f.uri] for _, files in partitions for f in files]
        hive = bool(keys) and _hive_layout(source, [k for k, _ in keys])
        if hive:
            types = ", ".join(f"{literal(k)}: 'VARCHAR'" for k, _ in keys)
            extra = f"hive_partitioning = true, hive_types = {{{types}}}, filename = false"
        else:
            extra = f"hive_partitioning = false, filename = {literal(FILE) if keys else 'false'}"
        reader, present = self._reader(source, listed, columns, extra)
        data = [_convert(n, t, present.get(n.lower())) for n, t in columns]
        if not keys or hive:
            parts = [_key(f"_d.{quote(n)}", n, t) for n, t in keys]
            return f"SELECT {', '.join(data + parts) or empty} FROM {reader} AS _d"
        rows = ", ".join(
            "(" + ", ".join([literal(uris[f.uri]), *(literal(v) for v in values)]) + ")"
            for values, files in partitions
            for f in files
        )
        names = ", ".join(["_file", *(quote(f"_k{i}") for i in range(len(keys)))])
        parts = [_key(f"_p.{quote(f'_k{i}')}", n, t) for i, (n, t) in enumerate(keys)]
        return (
            f"SELECT {', '.join(data + parts)} FROM {reader} AS _d "
            f"JOIN (VALUES {rows}) AS _p({names}) ON _d.{FILE} = _p._file"
        )

    def _reader(
        self, source: TableFiles, uris: list[str], columns: list[tuple[str, str]], named: str
    ) -> tuple[str, dict[str, str]]:
        """DuckDB's reader of ``uris`` (``named``: its partition and file-name options), and the columns it
        yields by lower-case name."""
        files = "[" + ", ".join(literal(u) for u in uris) + "]"
        params = source.table.get("Parameters", {})
        if source.classification == "parquet":
            reader = f"read_parquet({files}, union_by_name = true, {named})"
            described = self.connection.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
            return reader, {row[0].lower(): row[0] for row in described}
        if source.classification == "json":
            spec = ", ".join(f"{literal(n)}: {literal(t)}" for n, t in columns)
            reader = (
                f"read_json({files}, format = 'newline_delimited', columns = {{{spec}}}, {named}, ignore_errors = true)"
            )
            return reader, {n.lower(): n for n, _ in columns}
        serde = source.table["StorageDescriptor"].get("SerdeInfo", {}).get("Parameters", {})
        delimiter = params.get("delimiter") or serde.get("separatorChar") or serde.get("field.delim") or ","
        header = params.get("skip.header.line.count", "0") != "0"
        quote_char = serde.get("quoteChar", '"')
        spec = ", ".join(f"{literal(n)}: 'VARCHAR'" for n, _ in columns)
        reader = (
            f"read_csv({files}, delim = {literal(delimiter)}, quote = {literal(quote_char)}, "
            f"escape = {literal(serde.get('escapeChar', quote_char))}, header = {str(header).lower()}, "
            f"columns = {{{spec}}}, auto_detect = false, null_padding = true, strict_mode = false, "
            f"{named})"
        )
        return reader, {n.lower(): n for n, _ in columns}

    def _orc(
        self,
        source: TableFiles,
        values: tuple[str, ...],
        files: list[ObjectInfo],
        columns: list[tuple[str, str]],
        keys: list[tuple[str, str]],
    ) -> str:
        """One partition of an ORC table: pyarrow's dataset over its files, registered with DuckDB."""
        import pyarrow.dataset as ds
        import pyarrow.fs as pafs

        if is_s3(files[0].uri):
            fs, paths = s3_filesystem(self.ctx), [f.uri.split("://", 1)[1] for f in files]
        else:
            fs, paths = pafs.LocalFileSystem(), [f.uri for f in files]
        dataset = ds.dataset(paths, format="orc", filesystem=fs)
        view = f"_orc_{len(self.allowed)}"
        self.allowed.extend(f.uri for f in files)
        self.connection.register(view, dataset)
        present = {name.lower(): name for name in dataset.schema.names}
        data = [_convert(n, t, present.get(n.lower())) for n, t in columns]
        parts = [_key(literal(v), n, t) for v, (n, t) in zip(values, keys, strict=True)]
        return f"SELECT {', '.join(data + parts)} FROM {view} AS _d"


def _hive_layout(source: TableFiles, keys: list[str]) -> bool:
    """Whether every file sits under ``<table location>/k1=v1/…/`` with its partition's catalog values, so that
    DuckDB's Hive partitioning gives each row its values (a single scan instead of a join on file names)."""
    prefix = source.table["StorageDescriptor"]["Location"].rstrip("/") + "/"
    for values, files in source.partitions:
        for info in files:
            if not info.uri.startswith(prefix):
                return False
            segments = [s.partition("=") for s in info.uri[len(prefix) :].split("/")[: len(keys)]]
            if [k.lower() for k, _, _ in segments] != keys or [unquote(v) for _, _, v in segments] != list(values):
                return False
    return True


def _key(value: str, name: str, duck: str) -> str:
    """A partition key's column from its text ``value``: Hive's default partition is NULL, as is a value that
    does not convert to the key's type."""
    return f"TRY_CAST(NULLIF({value}, {literal(HIVE_DEFAULT_PARTITION)}) AS {duck}) AS {quote(name)}"


def _convert(name: str, duck: str, present: str | None) -> str:
    """A data column as the catalog types it: NULL when the files lack it, else converted with TRY_CAST."""
    if present is None:
        return f"CAST(NULL AS {duck}) AS {quote(name)}"
    return f"TRY_CAST(_d.{quote(present)} AS {duck}) AS {quote(name)}"


def lake_fsspec(ctx: SluiceContext) -> Any:
    """The lake's pyarrow S3 filesystem as fsspec's, for ``s3://`` URIs (DuckDB's ``register_filesystem``)."""
    from fsspec.implementations.arrow import ArrowFSWrapper

    class LakeS3(ArrowFSWrapper):  # type: ignore[misc]
        protocol = ("s3",)

    return LakeS3(s3_filesystem(ctx))


def describe_rows(table: dict[str, Any]) -> list[tuple[str, str, str]]:
    """``DESCRIBE``'s rows, as Athena prints them: the columns, then the partition keys under a heading."""
    rows = [(c["Name"], c["Type"], c.get("Comment", "")) for c in table["StorageDescriptor"].get("Columns", [])]
    keys = [(k["Name"], k["Type"], k.get("Comment", "")) for k in table.get("PartitionKeys", [])]
    if keys:
        rows += [("", "", ""), ("# Partition Information", "", ""), ("# col_name", "data_type", "comment"), *keys]
    return rows


def partition_folder(keys: Iterable[str], values: Iterable[str]) -> str:
    """``k1=v1/k2=v2`` as ``SHOW PARTITIONS`` prints a partition."""
    return "/".join(f"{k}={v}" for k, v in zip(keys, values, strict=True))
