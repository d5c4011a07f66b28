"""Catalog tables in the metadata DB: databases, tables, table versions, partitions, crawlers, crawl runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.schema import CreateIndex
from sqlalchemy.sql.compiler import DDLCompiler

from sluice.clock import utcnow
from sluice.db import Base


class DatabaseRow(Base):
    """A Glue database."""

    __tablename__ = "catalog_databases"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    location_uri: Mapped[str | None] = mapped_column(Text)
    parameters: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    create_time: Mapped[datetime] = mapped_column(default=utcnow)

    tables: Mapped[list[TableRow]] = relationship(back_populates="database", cascade="all, delete-orphan")


class TableRow(Base):
    """A Glue table; ``descriptor`` holds the StorageDescriptor document."""

    __tablename__ = "catalog_tables"
    __table_args__ = (UniqueConstraint("database_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    database_id: Mapped[int] = mapped_column(ForeignKey("catalog_databases.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    table_type: Mapped[str] = mapped_column(String(64), default="EXTERNAL_TABLE")
    description: Mapped[str | None] = mapped_column(Text)
    descriptor: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    partition_keys: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    parameters: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    version_id: Mapped[int] = mapped_column(default=0)
    create_time: Mapped[datetime] = mapped_column(default=utcnow)
    update_time: Mapped[datetime] = mapped_column(default=utcnow)

    database: Mapped[DatabaseRow] = relationship(back_populates="tables")
    versions: Mapped[list[TableVersionRow]] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    partitions: Mapped[list[PartitionRow]] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class TableVersionRow(Base):
    """A snapshot of a table, stored when its schema or partition keys change."""

    __tablename__ = "catalog_table_versions"
    __table_args__ = (UniqueConstraint("table_id", "version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("catalog_tables.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int]
    table: Mapped[dict[str, Any]] = mapped_column(JSON)
    create_time: Mapped[datetime] = mapped_column(default=utcnow)


class PartitionRow(Base):
    """A Glue partition; ``values_key`` joins the values with U+001F for uniqueness.

    ``values_indexed`` tells that the partition's ``PartitionValueRow`` rows are written. A writer that
    inserts partitions without them (the default is False) only makes GetPartitions on that table
    filter in Python until they are written (``catalog.store.index_pending_partitions``).
    """

    __tablename__ = "catalog_partitions"
    __table_args__ = (UniqueConstraint("table_id", "values_key"),)  # its index serves every lookup by table too

    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("catalog_tables.id", ondelete="CASCADE"))
    values: Mapped[list[str]] = mapped_column(JSON)
    values_key: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(Text)
    descriptor: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    parameters: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    creation_time: Mapped[datetime] = mapped_column(default=utcnow)
    last_access_time: Mapped[datetime | None]
    values_indexed: Mapped[bool] = mapped_column(default=False, server_default=false())


class PartitionValueRow(Base):
    """One value of a partition, normalised by its key's type so GetPartitions can filter in SQL.

    ``value`` is ``catalog.predicate.normalize_value`` of the raw value: NULL where the predicate
    evaluator sees NULL, otherwise text whose binary order is the key type's order (collation "C"
    on PostgreSQL, SQLite's default BINARY).
    """

    __tablename__ = "catalog_partition_values"

    partition_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_partitions.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    table_id: Mapped[int]
    value: Mapped[str | None] = mapped_column(Text().with_variant(Text(collation="C"), "postgresql"))


class CrawlerRow(Base):
    """A crawler definition and its state.

    While RUNNING or STOPPING the crawl's process holds a lease (``sluice.lease``): its owner is the
    ``owner_*`` columns and ``state_changed`` is the heartbeat.
    """

    __tablename__ = "crawlers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default="READY")
    state_changed: Mapped[datetime] = mapped_column(default=utcnow)
    owner_host: Mapped[str | None] = mapped_column(String(255))
    owner_pid: Mapped[int | None]
    owner_boot_id: Mapped[str | None] = mapped_column(String(64))
    owner_pid_started: Mapped[int | None] = mapped_column(BigInteger)
    create_time: Mapped[datetime] = mapped_column(default=utcnow)
    update_time: Mapped[datetime] = mapped_column(default=utcnow)


class CrawlerFolderRow(Base):
    """A folder seen by a crawler's last successful crawl (for CRAWL_NEW_FOLDERS_ONLY)."""

    __tablename__ = "crawler_folders"
    __table_args__ = (UniqueConstraint("crawler_id", "folder"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    crawler_id: Mapped[int] = mapped_column(ForeignKey("crawlers.id", ondelete="CASCADE"))
    folder: Mapped[str] = mapped_column(Text)


class CrawlRunRow(Base):
    """One crawl: status, counts, errors and the schema changes it found."""

    __tablename__ = "crawl_runs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    crawler_id: Mapped[int] = mapped_column(ForeignKey("crawlers.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="RUNNING")
    started_on: Mapped[datetime] = mapped_column(default=utcnow)
    completed_on: Mapped[datetime | None]
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    errors: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    log: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    error_message: Mapped[str | None] = mapped_column(Text)


Index("ix_crawl_runs_crawler_started", CrawlRunRow.crawler_id, CrawlRunRow.started_on)
Index("ix_catalog_partitions_unindexed", PartitionRow.table_id, sqlite_where=~PartitionRow.values_indexed)


@compiles(CreateIndex, "postgresql")
def _partial_on_postgresql(create: CreateIndex, compiler: DDLCompiler, **kw: Any) -> str:
    """A partial index (``sqlite_where``) is partial on PostgreSQL too, with the same condition.

    Declared here, not as ``postgresql_where=``: dialect arguments are validated against the dialect, so that
    keyword would load SQLAlchemy's PostgreSQL dialect (≈ 40 ms) in every process that imports the models.
    """
    options = create.element.dialect_options
    if options["postgresql"]["where"] is None:
        options["postgresql"]["where"] = options["sqlite"]["where"]
    return compiler.visit_create_index(create, **kw)


Index(
    "ix_catalog_partition_values_lookup",
    PartitionValueRow.table_id,
    PartitionValueRow.position,
    PartitionValueRow.value,
    PartitionValueRow.partition_id,
)


class ConnectionRow(Base):
    """A Glue connection: its ConnectionInput without the password, which is kept encrypted (``sluice.secrets``)."""

    __tablename__ = "catalog_connections"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    connection_type: Mapped[str] = mapped_column(String(32))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    password: Mapped[str | None] = mapped_column(Text)
    created_on: Mapped[datetime] = mapped_column(default=utcnow)
    updated_on: Mapped[datetime] = mapped_column(default=utcnow)
