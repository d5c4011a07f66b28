"""``--engine auto``: DuckDB in process for data up to a size, Spark above it.

    size = source_size(source, table_parameters, whole_table=True, ctx=ctx)
    choice = choose(size, max_rows=settings.dq_inprocess_max_rows, max_bytes=settings.dq_inprocess_max_bytes)

The row count comes from the catalog's statistics (the crawler's ``recordCount`` table parameter, when the
whole table is read) or else the files' Parquet footers (metadata only, never the data); the byte count is
the listed files' sizes, always fresh. In process when the rows (if known) and the bytes are both within their
limits, and the format is one the in-process reader handles; Spark otherwise. :func:`choose` is pure.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from quality.engines.scan import IN_PROCESS_FORMATS
from sluice.lake.fs import concurrency, filesystem
from sluice.lake.paths import is_s3

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sluice.context import SluiceContext
    from sparkio.read import SourceFiles


GLOB_CHARACTERS = frozenset("*?[{")
"""Characters DuckDB expands in a path."""


@dataclass(frozen=True)
class Size:
    """How big a read is: ``rows`` (None when unknown) from ``basis``, the files' ``bytes`` and count."""

    rows: int | None
    bytes: int
    files: int
    basis: str
    format: str


@dataclass(frozen=True)
class Choice:
    """The engine picked and why."""

    engine: str
    reason: str
    size: Size | None = None

    def describe(self) -> dict[str, object]:
        """Sluice's ``Engine`` member of a result: the engine, the reason, and the size it was judged on."""
        out: dict[str, object] = {"Name": self.engine, "Reason": self.reason}
        if self.size is not None:
            out |= {"Rows": self.size.rows, "Bytes": self.size.bytes, "Files": self.size.files}
        return out


def choose(size: Size, *, max_rows: int, max_bytes: int) -> Choice:
    """DuckDB when ``size`` is within both limits (rows only when known) and its format is readable in process."""
    if size.format not in IN_PROCESS_FORMATS:
        return Choice("spark", f"{size.format} files are read by Spark only", size)
    rows = f"{size.rows:,} rows ({size.basis})" if size.rows is not None else "row count unknown"
    volume = f"{size.bytes:,} bytes in {size.files} file(s)"
    if size.rows is not None and size.rows > max_rows:
        return Choice("spark", f"{rows} > the in-process limit of {max_rows:,} rows", size)
    if size.bytes > max_bytes:
        return Choice("spark", f"{volume} > the in-process limit of {max_bytes:,} bytes", size)
    return Choice("duckdb", f"{rows}, {volume}: within the in-process limits", size)


def combine(sizes: list[Size]) -> Size:
    """The total size of several reads (a primary dataset and its references)."""
    rows = None if any(s.rows is None for s in sizes) else sum(s.rows for s in sizes)  # type: ignore[misc]
    formats = [s.format for s in sizes if s.format not in IN_PROCESS_FORMATS] or [sizes[0].format]
    basis = " + ".join(dict.fromkeys(s.basis for s in sizes))
    return Size(rows, sum(s.bytes for s in sizes), sum(s.files for s in sizes), basis, formats[0])


def source_size(
    source: SourceFiles,
    parameters: Mapping[str, str] | None = None,
    *,
    whole_table: bool = False,
    ctx: SluiceContext | None = None,
) -> Size:
    """The size of a read: rows from the table's ``recordCount`` (only if ``whole_table``), else Parquet footers."""
    files = source.files
    total = sum(f.size for f in files)
    record_count = (parameters or {}).get("recordCount", "")
    if whole_table and record_count.isdigit():
        return Size(int(record_count), total, len(files), "catalog recordCount", source.format)
    if source.format == "parquet" and files:
        return Size(footer_rows([f.uri for f in files], ctx=ctx), total, len(files), "Parquet footers", source.format)
    return Size(None, total, len(files), "no statistics", source.format)


def footer_rows(uris: list[str], *, ctx: SluiceContext | None = None) -> int:
    """Rows in Parquet files, from their footers alone: local ones read by DuckDB (pyarrow and NumPy would cost
    a tenth of a second to import, and the in-process engine needs DuckDB anyway), S3 ones fetched in parallel
    through the lake's filesystem, as are local paths that DuckDB would take for globs."""
    local = [u for u in uris if not is_s3(u) and GLOB_CHARACTERS.isdisjoint(u)]
    others = [u for u in uris if is_s3(u) or not GLOB_CHARACTERS.isdisjoint(u)]
    return (_duckdb_footer_rows(local) if local else 0) + (_arrow_footer_rows(others, ctx) if others else 0)


def _duckdb_footer_rows(paths: list[str]) -> int:
    import duckdb

    with duckdb.connect() as db:
        [(rows,)] = db.execute("SELECT sum(num_rows) FROM parquet_file_metadata(?)", [paths]).fetchall()
    return int(rows)


def _arrow_footer_rows(uris: list[str], ctx: SluiceContext | None) -> int:
    import pyarrow.parquet as pq

    def rows(uri: str) -> int:
        fs, path = filesystem(uri, ctx=ctx)
        with fs.open_input_file(path) as handle:
            return pq.ParquetFile(handle).metadata.num_rows

    with ThreadPoolExecutor(concurrency(uris[0]), thread_name_prefix="sluice-footer") as pool:
        return sum(pool.map(rows, uris))
