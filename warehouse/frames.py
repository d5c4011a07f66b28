"""Load a Spark DataFrame into the warehouse (``JobContext.write_warehouse`` calls this).

PostgreSQL: each Spark partition streams its own ``COPY`` into an unlogged staging table through
``mapInArrow`` (a retried task first deletes its partition's rows), then one transaction on the driver
moves the staged rows into the target in the requested mode. SQLite has one writer, the driver, which
inserts the DataFrame one partition at a time (``toLocalIterator``).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from itertools import islice
from typing import TYPE_CHECKING

import pyarrow as pa

from catalog.types import format_type, parse_type
from sluice.context import SluiceContext
from sluice.errors import InvalidInputException
from warehouse import postgres
from warehouse.batches import FILE_COLUMN, ROW_COLUMN
from warehouse.errors import LoadError
from warehouse.identifiers import Quoter, TableRef, check_columns, parse_target
from warehouse.ledger import SourceFile
from warehouse.loader import (
    DEFAULT_BATCH_SIZE,
    LoadResult,
    Unit,
    dialect_of,
    is_loaded,
    open_engine,
    resolve_url,
    run_load,
)
from warehouse.sql import Column, check_mode, create_table

if TYPE_CHECKING:
    import sqlalchemy as sa
    from pyspark.sql import DataFrame
    from pyspark.sql.types import StructField

_NTZ = re.compile(r"\btimestamp_ntz\b")
STAGE_PREFIX = "sluice_df_"
log = logging.getLogger(__name__)


def hive_type(field: StructField) -> str:
    """The Glue type of a Spark field (``timestamp_ntz`` loads as ``timestamp``, i.e. UTC)."""
    text = _NTZ.sub("timestamp", field.dataType.simpleString())
    try:
        return format_type(parse_type(text))
    except InvalidInputException:
        raise InvalidInputException(
            f"Column {field.name!r} has Spark type {text}, which has no warehouse type."
        ) from None


def load_dataframe(
    df: DataFrame,
    target: str,
    *,
    mode: str = "append",
    merge_keys: Sequence[str] = (),
    warehouse_url: str | None = None,
    on_schema_change: str = "add_columns",
    ledger_key: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    ctx: SluiceContext | None = None,
) -> LoadResult:
    """Load ``df`` into ``target`` (``SCHEMA.TABLE``) in one transaction (the warehouse of ``ctx`` by default).

    ``ledger_key`` names this load in the load ledger: a second load with the same key loads nothing
    (and runs no Spark job), so a retried job run cannot load twice. Without it, every call loads.
    """
    keys = list(merge_keys)
    check_mode(mode, keys, on_schema_change)
    ref = parse_target(target)
    columns = [Column(f.name, hive_type(f)) for f in df.schema.fields]
    check_columns([c.name for c in columns])
    url = resolve_url(warehouse_url, ctx=ctx)
    file = SourceFile(f"dataframe:{ledger_key or 'unnamed'}", 0, 0.0)
    options = {"mode": mode, "merge_keys": keys, "on_schema_change": on_schema_change, "record": ledger_key is not None}
    engine = open_engine(url, ref)
    try:
        if dialect_of(url) == "postgresql" and not (ledger_key and is_loaded(engine, ref, file)):
            return _via_stage(df, engine, url, ref, columns, file, options)
        unit = Unit(file, partial(_local_batches, df, batch_size))
        return run_load(engine, ref, columns, [unit], **options)
    finally:
        engine.dispose()


def _via_stage(
    df: DataFrame,
    engine: sa.Engine,
    url: str,
    ref: TableRef,
    columns: list[Column],
    file: SourceFile,
    options: dict[str, object],
) -> LoadResult:
    from pyspark.errors import PySparkException

    q = Quoter(engine.dialect)
    staged = [*columns, Column(FILE_COLUMN, "int"), Column(ROW_COLUMN, "bigint")]
    with _stage_table(engine, q, staged) as stage:
        names = q.columns([c.name for c in staged])
        writer = partial(postgres.copy_partition, url, q.table(stage), names, q.ident(FILE_COLUMN))
        try:
            counts = df.mapInArrow(writer, "partition long, rows long").collect()
        except PySparkException as exc:
            raise LoadError(f"Load into {ref} failed while staging; nothing was changed: {_last_line(exc)}") from exc
        rows = sum(r.rows for r in counts)
        return run_load(engine, ref, columns, [Unit(file, tuple)], staged=stage, staged_rows=rows, **options)  # type: ignore[arg-type]


@contextmanager
def _stage_table(engine: sa.Engine, q: Quoter, columns: list[Column]) -> Iterator[TableRef]:
    """An unlogged staging table, claimed by this load while it lives and dropped afterwards.

    Staging tables a killed load left behind (no live session claims them) are dropped first.
    """
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as guard:
        schema = postgres.default_schema(guard)
        stage = TableRef(schema, f"{STAGE_PREFIX}{uuid.uuid4().hex[:12]}")
        postgres.claim_stage(guard, stage.name)  # before the table exists, so no sweep can take it
        dropped = postgres.drop_orphan_stages(guard, q, schema, STAGE_PREFIX)
        if dropped:
            log.warning("dropped %d staging table(s) left by killed loads: %s", len(dropped), ", ".join(dropped))
        try:
            guard.exec_driver_sql(create_table(q, "postgresql", stage, columns, [], kind="UNLOGGED TABLE"))
            yield stage
        finally:
            guard.exec_driver_sql(f"DROP TABLE IF EXISTS {q.table(stage)}")
            postgres.release_stage(guard, stage.name)


def _last_line(exc: Exception) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    errors = [line for line in lines if "BulkError:" in line]
    return (errors or lines or [type(exc).__name__])[-1].split("BulkError:", 1)[-1].strip()


def _local_batches(df: DataFrame, batch_size: int) -> Iterator[pa.RecordBatch]:
    """The DataFrame on the driver, one partition at a time, as Arrow batches (timestamps stay UTC)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import ArrayType, DecimalType, MapType, StructType, TimestampType

    names = df.columns
    exprs = []
    for field in df.schema.fields:
        column = df[field.name]
        if isinstance(field.dataType, TimestampType):
            column = F.unix_micros(column)
        elif isinstance(field.dataType, ArrayType | MapType | StructType):
            column = F.to_json(column)
        elif isinstance(field.dataType, DecimalType):
            column = column.cast("string")
        exprs.append(column.alias(field.name))
    timestamps = {f.name for f in df.schema.fields if isinstance(f.dataType, TimestampType)}
    rows = df.select(*exprs).toLocalIterator(prefetchPartitions=False)
    while chunk := list(islice(rows, batch_size)):
        arrays = []
        for name, values in zip(names, zip(*chunk, strict=True), strict=True):
            array = pa.array(values)
            arrays.append(array.cast(pa.int64()).cast(pa.timestamp("us")) if name in timestamps else array)
        yield pa.RecordBatch.from_arrays(arrays, names=names)
