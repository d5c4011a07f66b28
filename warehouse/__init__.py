"""Warehouse loading, Redshift-style, on PostgreSQL (or embedded SQLite).

``load_table`` streams a cataloged Parquet table into a warehouse table (append, overwrite or merge) in
one transaction with its load ledger; ``load_dataframe`` does the same from a Spark DataFrame; ``unload``
writes query results back to the lake. Names import lazily, so Spark workers that only COPY stay light.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from warehouse.errors import LoadError
    from warehouse.frames import load_dataframe
    from warehouse.loader import LoadedFile, LoadResult, load_table
    from warehouse.unloader import UnloadResult, unload

_EXPORTS = {
    "LoadError": "warehouse.errors",
    "LoadResult": "warehouse.loader",
    "LoadedFile": "warehouse.loader",
    "UnloadResult": "warehouse.unloader",
    "load_dataframe": "warehouse.frames",
    "load_table": "warehouse.loader",
    "unload": "warehouse.unloader",
}
__all__ = ["LoadError", "LoadResult", "LoadedFile", "UnloadResult", "load_dataframe", "load_table", "unload"]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
