"""Lake sink: stage a DataFrame as Parquet, plan its commit (file moves and a Glue-style catalog update),
and the quarantine for malformed input records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from catalog import Catalog
from catalog.types import normalize
from catalog.updates import CATALOG_FORMATS, evolve_columns
from etl.journal import CatalogUpdate, Delete, FileOp, Move
from etl.publish import StagedFile, existing_files, staged_files
from sluice.context import SluiceContext
from sluice.errors import InvalidInputException
from sluice.lake.paths import join, to_spark_uri
from sparkio.read import CORRUPT
from sparkio.session import magic_committer

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

WRITE_MODES = ("append", "overwrite_partitions")


def hive_type(data_type: Any) -> str:
    """A Spark type as a Hive/Glue type name."""
    return normalize(data_type.simpleString().replace("timestamp_ntz", "timestamp"))


@dataclass
class LakeWrite:
    """One staged ``write_lake`` call, waiting for ``commit()``."""

    target: str
    stage: str
    partition_keys: list[str]
    mode: str
    columns: list[dict[str, str]]
    database: str | None = None
    table: str | None = None
    fmt: str = "parquet"
    options: dict[str, str] = field(default_factory=dict)
    records: int = 0
    files: list[StagedFile] = field(default_factory=list)

    def plan(self, run_id: str, ctx: SluiceContext | None = None) -> tuple[list[FileOp], CatalogUpdate | None]:
        """The file operations (deletes for an overwrite, then moves) and the catalog update this write commits.

        A write of zero rows publishes nothing: no empty file, no overwritten partition, no catalog change.
        """
        if not self.records:
            return [], None
        self.files = staged_files(self.target, self.stage, run_id, ctx=ctx)
        ops: list[FileOp] = []
        if self.mode == "overwrite_partitions":
            folders = {f.target.rsplit("/", 1)[0] for f in self.files}
            ops += [Delete(path=old) for folder in sorted(folders) for old in existing_files(folder, ctx=ctx)]
        ops += [Move(source=f.source, target=f.target) for f in self.files]
        if not self.database or not self.table:
            return ops, None
        partitions = {f.partition: f.folder for f in self.files if f.partition}
        update = CatalogUpdate(
            database=self.database,
            table=self.table,
            location=self.target,
            columns=self.columns,
            partition_keys=[{"Name": k, "Type": "string"} for k in self.partition_keys],
            partitions=[
                {"Values": [v for _, v in values], "Location": join(self.target, folder)}
                for values, folder in sorted(partitions.items())
            ],
            fmt=self.fmt,
            format_options=self.options,
        )
        return ops, update


def check_target(
    database: str,
    table: str,
    columns: list[dict[str, str]],
    partition_keys: list[str],
    *,
    fmt: str = "parquet",
    ctx: SluiceContext | None = None,
) -> None:
    """Refuse, before anything is written, a write whose format or schema the existing catalog table cannot take."""
    catalog = Catalog(ctx)
    if not catalog.table_exists(database, table):
        return
    current = catalog.get_table(database, table)
    classification = current.get("Parameters", {}).get("classification", "parquet")
    if classification != fmt:
        raise InvalidInputException(
            f"{database}.{table} is a {classification} table; this write is {fmt}.",
            hint=f"Write {classification}, or to a new table.",
        )
    keys = [k["Name"] for k in current["PartitionKeys"]]
    if keys != partition_keys:
        raise InvalidInputException(
            f"{database}.{table} is partitioned by [{', '.join(keys)}], but write_lake was given"
            f" partition_keys [{', '.join(partition_keys)}].",
            hint="Write with the table's partition keys, or to a new table.",
        )
    _, conflicts = evolve_columns(current["StorageDescriptor"]["Columns"], columns)
    if conflicts:
        raise InvalidInputException(
            f"Cannot write to {database}.{table}: {'; '.join(conflicts)}.",
            hint="Cast the column to the catalog's type, or write to a new table.",
        )


def stage_dataframe(
    df: DataFrame,
    target: str,
    stage: str,
    *,
    partition_keys: list[str],
    mode: str,
    fmt: str = "parquet",
    database: str | None = None,
    table: str | None = None,
    options: Mapping[str, str] | None = None,
    ctx: SluiceContext | None = None,
) -> LakeWrite:
    """Check the write against the catalog, then write ``df`` into the staging folder (unseen by readers), with
    Spark's writer ``options`` for the format."""
    if mode not in WRITE_MODES:
        raise InvalidInputException(f"write mode must be one of {', '.join(WRITE_MODES)}, got {mode!r}")
    if (database is None) != (table is None):
        raise InvalidInputException("write_lake needs both database and table to update the catalog, or neither.")
    if database and fmt not in CATALOG_FORMATS:
        raise InvalidInputException(
            f"write_lake updates the catalog for {', '.join(CATALOG_FORMATS)} files, not {fmt!r}.",
            hint="Write one of those formats, or leave out the catalog update.",
        )
    missing = [k for k in partition_keys if k not in df.columns]
    if missing:
        raise InvalidInputException(
            f"Partition key(s) {', '.join(missing)} not in the DataFrame; its columns are: {', '.join(df.columns)}."
        )
    columns = [
        {"Name": f.name, "Type": hive_type(f.dataType)} for f in df.schema.fields if f.name not in partition_keys
    ]
    if database and table:
        check_target(database, table, columns, partition_keys, fmt=fmt, ctx=ctx)
    # The stage is new and only this run's: a static overwrite, which S3A's magic committer can do.
    writer = (
        df.write.mode("overwrite").option("partitionOverwriteMode", "static").format(fmt).options(**(options or {}))
    )
    if partition_keys:
        writer = writer.partitionBy(*partition_keys)
    uri = to_spark_uri(stage)
    with magic_committer(df.sparkSession, uri):
        writer.save(uri)
    return LakeWrite(target, stage, list(partition_keys), mode, columns, database, table, fmt, dict(options or {}))


def write_quarantine(bad: DataFrame, target: str, reason: str) -> None:
    """Write malformed records as JSON lines ``{file, record, reason, parsed}`` under ``target``."""
    from pyspark.sql import functions as F

    parsed = [c for c in bad.columns if c != CORRUPT]
    bad.filter(F.col(CORRUPT).isNotNull()).select(
        F.input_file_name().alias("file"),
        F.col(CORRUPT).alias("record"),
        F.lit(reason).alias("reason"),
        F.struct(*parsed).alias("parsed"),
    ).write.mode("overwrite").json(to_spark_uri(target))
