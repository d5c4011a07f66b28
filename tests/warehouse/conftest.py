"""Warehouse test helpers: lake tables of real Parquet files cataloged through ``Catalog``, and warehouses."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from catalog.shapes import storage_descriptor
from catalog.store import Catalog
from warehouse.identifiers import TableRef

LakeTable = Callable[..., str]


def write_parquet(path: Path | str, table: pa.Table, *, mtime: float | None = None, **options: Any) -> str:
    """Write one Parquet file (optionally with a chosen modification time)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, **options)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return str(path)


@pytest.fixture
def lake(sluice_home: Path) -> Path:
    return sluice_home / "lake"


@pytest.fixture
def lake_table(lake: Path) -> LakeTable:
    """``lake_table(name, columns, files=[table, ...], partition_keys=[...], partitions={("v",): [table]})``.

    Writes each table as one Parquet file (mtimes 1000, 2000, ... in order) and catalogs the table in
    database ``db``; returns the table name.
    """
    catalog = Catalog()
    catalog.create_database("db", exist_ok=True)

    def make(
        name: str,
        columns: list[tuple[str, str]],
        files: list[pa.Table] = (),  # type: ignore[assignment]
        *,
        partition_keys: list[tuple[str, str]] = (),  # type: ignore[assignment]
        partitions: dict[tuple[str, ...], list[pa.Table]] | None = None,
    ) -> str:
        root = lake / name
        cols = [{"Name": n, "Type": t} for n, t in columns]
        catalog.create_table(
            "db",
            {
                "Name": name,
                "StorageDescriptor": storage_descriptor(cols, str(root)),
                "PartitionKeys": [{"Name": n, "Type": t} for n, t in partition_keys],
                "Parameters": {"classification": "parquet"},
            },
        )
        for i, table in enumerate(files):
            write_parquet(root / f"part-{i:05d}.parquet", table, mtime=1000.0 * (i + 1))
        inputs = []
        for values, tables in (partitions or {}).items():
            folder = root.joinpath(*(f"{k}={v}" for (k, _), v in zip(partition_keys, values, strict=True)))
            for i, table in enumerate(tables):
                write_parquet(folder / f"part-{i:05d}.parquet", table, mtime=1000.0 * (i + 1))
            inputs.append({"Values": list(values), "StorageDescriptor": storage_descriptor(cols, str(folder))})
        if inputs:
            catalog.batch_create_partition("db", name, inputs)
        return name

    return make


@dataclass
class Warehouse:
    """A test warehouse: its URL and the schema test targets live in."""

    url: str
    schema: str

    @property
    def dialect(self) -> str:
        return "postgresql" if self.url.startswith("postgresql") else "sqlite"

    def target(self, name: str) -> str:
        return f"{self.schema}.{name}"

    def _engine(self) -> sa.Engine:
        from warehouse import sqlite

        return sa.create_engine(self.url) if self.dialect == "postgresql" else sqlite.engine(self.url, write=False)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of ``sql`` (SQLite attaches the schemas loads created)."""
        engine = self._engine()
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.exec_driver_sql(sql)]
        finally:
            engine.dispose()

    def execute(self, sql: str) -> None:
        """Run a statement in the test schema and commit (SQLite creates the schema's file)."""
        from warehouse.loader import open_engine

        engine = open_engine(self.url, TableRef(self.schema, "_"))
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(sql)
        finally:
            engine.dispose()

    def exists(self, name: str) -> bool:
        engine = self._engine()
        try:
            with engine.connect() as conn:
                return sa.inspect(conn).has_table(name, schema=self.schema)
        finally:
            engine.dispose()

    def ledger(self) -> list[tuple[Any, ...]]:
        """(target, file name, rows) of every ledger entry, or [] before the ledger exists."""
        if not self.exists("sluice_load_ledger"):
            return []
        found = self.rows(f"SELECT target, path, rows FROM {self.schema}.sluice_load_ledger")
        return sorted((t, Path(p).name, n) for t, p, n in found)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(request: pytest.FixtureRequest, sluice_home: Path) -> Warehouse:
    """The embedded SQLite warehouse (schema ``analytics``, an attached file), or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return Warehouse(f"sqlite:///{sluice_home / 'warehouse.db'}", "analytics")
    url = request.getfixturevalue("pg_url")
    return Warehouse(url, url.rsplit("search_path%3D", 1)[1])


@pytest.fixture
def pg(pg_url: str) -> Warehouse:
    """A fresh PostgreSQL schema as a Warehouse."""
    return Warehouse(pg_url, pg_url.rsplit("search_path%3D", 1)[1])
