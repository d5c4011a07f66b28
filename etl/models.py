"""Job tables: job definitions, job runs, bookmarks and the history of committed bookmark states."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from etl.journal import Entry, FileOp, dump_entries, file_op, file_pair, load_entries
from sluice.clock import utcnow
from sluice.db import Base


class JobDefinitionRow(Base):
    """A job definition (Glue's Job): ``definition`` holds its members but Name, the dates and the tags."""

    __tablename__ = "job_definitions"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    tags: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_on: Mapped[datetime] = mapped_column(default=utcnow)
    last_modified_on: Mapped[datetime] = mapped_column(default=utcnow)


class JobRunRow(Base):
    """One run of a job (Glue's JobRun); its driver holds a lease (``sluice.lease``) while RUNNING.

    The lease owner is ``host``, ``pid``, ``boot_id`` and ``pid_started``; ``heartbeat`` is its renewal time.
    """

    __tablename__ = "job_runs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    job_name: Mapped[str] = mapped_column(String(255), index=True)
    state: Mapped[str] = mapped_column(String(16), default="RUNNING")
    attempt: Mapped[int] = mapped_column(default=0)
    started_on: Mapped[datetime] = mapped_column(default=utcnow)
    completed_on: Mapped[datetime | None]
    heartbeat: Mapped[datetime] = mapped_column(default=utcnow)
    arguments: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    error_message: Mapped[str | None] = mapped_column(Text)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None]
    boot_id: Mapped[str | None] = mapped_column(String(64))
    pid_started: Mapped[int | None] = mapped_column(BigInteger)


class BookmarkRow(Base):
    """The current bookmark of a job: Glue's JobBookmarkEntry; ``state`` maps transformation_ctx to state."""

    __tablename__ = "job_bookmarks"

    job_name: Mapped[str] = mapped_column(String(255), primary_key=True)
    version: Mapped[int] = mapped_column(default=0)
    run: Mapped[int] = mapped_column(default=0)
    attempt: Mapped[int] = mapped_column(default=0)
    run_id: Mapped[str | None] = mapped_column(String(64))
    previous_run_id: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_on: Mapped[datetime] = mapped_column(default=utcnow)


class BookmarkHistoryRow(Base):
    """Every committed bookmark state, kept so a reset can rewind to the state after any run."""

    __tablename__ = "job_bookmark_history"
    __table_args__ = (UniqueConstraint("job_name", "run_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_name: Mapped[str] = mapped_column(String(255))
    run_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int]
    run: Mapped[int]
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    committed_on: Mapped[datetime] = mapped_column(default=utcnow)


Index("ix_job_bookmark_history_job", BookmarkHistoryRow.job_name, BookmarkHistoryRow.id)


class JobCommitRow(Base):
    """The publish journal of a committed run: file moves and deletes, then catalog updates and warehouse loads.

    It is written in the same transaction as the run's SUCCEEDED state and its bookmark, so the commit
    point is that transaction; the moves after it are idempotent and roll forward if the process dies.
    ``files`` and ``entries`` are the typed views of the JSON columns (see ``etl.journal``).
    """

    __tablename__ = "job_commits"

    run_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    job_name: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(16), default="PENDING")
    moves: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    catalog_updates: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    committed_on: Mapped[datetime] = mapped_column(default=utcnow)

    @classmethod
    def pending(cls, run_id: str, job_name: str, files: list[FileOp], entries: list[Entry]) -> JobCommitRow:
        """A new PENDING journal (the caller adds it to the commit transaction)."""
        return cls(
            run_id=run_id,
            job_name=job_name,
            status="PENDING",
            moves=[file_pair(op) for op in files],
            catalog_updates=dump_entries(entries),
        )

    @property
    def files(self) -> list[FileOp]:
        """The file operations, deletes and moves, in journal order."""
        return [file_op(pair) for pair in self.moves]

    @property
    def entries(self) -> list[Entry]:
        """The catalog updates and warehouse loads, in journal order (rows in the old shape included)."""
        return load_entries(self.catalog_updates)
