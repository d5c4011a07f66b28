"""Lakes for ``sluice sql`` tests: files written by pyarrow, cataloged by a crawl or through the service layer."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from athena.results import response_values
from catalog.shapes import storage_descriptor
from service import catalog as glue
from service.sql import start_query_execution
from sluice.context import SluiceContext
from sluice.errors import AlreadyExistsException

DAYS = ("2013-01-01", "2013-01-02", "2013-01-03")
Sql = Callable[..., dict[str, Any]]


def day_rows(day: str) -> pa.Table:
    """Three flights of one day."""
    return pa.table({"carrier": ["AA", "UA", "DL"], "delay": [5, -2, 30], "day": [day] * 3})


def register(
    ctx: SluiceContext,
    database: str,
    name: str,
    location: str,
    columns: list[dict[str, str]],
    keys: list[dict[str, str]] = (),
    partitions: dict[tuple[str, ...], str] | None = None,
    parameters: dict[str, str] | None = None,
    serde: dict[str, Any] | None = None,
) -> None:
    """A table (and its partitions) created through the service layer, as a Glue client would."""
    with contextlib.suppress(AlreadyExistsException):
        glue.create_database(ctx, DatabaseInput={"Name": database})
    formats = None if serde is None else {"InputFormat": "x", "OutputFormat": "y", "SerdeInfo": serde}
    sd = storage_descriptor(columns, location, formats=formats)
    table = {
        "Name": name,
        "StorageDescriptor": sd,
        "PartitionKeys": list(keys),
        "Parameters": {"classification": "parquet", **(parameters or {})},
    }
    glue.create_table(ctx, DatabaseName=database, TableInput=table)
    if partitions:
        inputs = [{"Values": list(v), "StorageDescriptor": sd | {"Location": where}} for v, where in partitions.items()]
        glue.batch_create_partition(ctx, DatabaseName=database, TableName=name, PartitionInputList=inputs)


def write_days(root: str, filesystem: Any = None) -> dict[tuple[str, ...], str]:
    """``root/dt=<day>/part-0.parquet`` for each of :data:`DAYS`; the partitions' locations by values."""
    out = {}
    for day in DAYS:
        where = f"{root}/dt={day}"
        if filesystem is None:
            Path(where).mkdir(parents=True, exist_ok=True)
        pq.write_table(day_rows(day), f"{where.split('://', 1)[-1]}/part-0.parquet", filesystem=filesystem)
        out[(day,)] = where
    return out


FLIGHT_COLUMNS = [
    {"Name": "carrier", "Type": "string"},
    {"Name": "delay", "Type": "bigint"},
    {"Name": "day", "Type": "string"},
]


@pytest.fixture
def ctx() -> SluiceContext:
    """The environment's context (the test's SLUICE_HOME, and the moto endpoint when ``s3`` is used)."""
    return SluiceContext.from_env()


@pytest.fixture
def sql(ctx: SluiceContext) -> Sql:
    """Run a statement through the service operation; bare names are in ``raw``."""

    def run(text: str, **members: Any) -> dict[str, Any]:
        members.setdefault("QueryExecutionContext", {"Database": "raw"})
        return start_query_execution(ctx, QueryString=text, **members)

    return run


@pytest.fixture
def flights(tmp_path: Path, ctx: SluiceContext) -> Path:
    """``raw.flights``: Parquet partitioned by ``dt`` (three days, one file each), made through the service layer."""
    root = tmp_path / "lake" / "flights"
    register(
        ctx, "raw", "flights", str(root), FLIGHT_COLUMNS, [{"Name": "dt", "Type": "string"}], write_days(str(root))
    )
    return root


def values(response: dict[str, Any]) -> list[list[str | None]]:
    """A response's rows as text, without a query's header row."""
    return response_values(response)[1]
