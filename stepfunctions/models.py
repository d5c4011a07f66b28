"""The Step Functions API's tables: state machines, their executions (with the interpreter's persisted state),
each execution's history events, and the task tokens its callback Tasks (and dispatched Tasks) wait with."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sluice.db import Base


class StateMachineRow(Base):
    """One state machine, as CreateStateMachine made it and UpdateStateMachine last changed it."""

    __tablename__ = "state_machines"

    arn: Mapped[str] = mapped_column(String(256), primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    definition: Mapped[str] = mapped_column(Text)
    role_arn: Mapped[str] = mapped_column(String(256))
    type: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    logging_configuration: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    tracing_configuration: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    tags: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    revision_id: Mapped[str] = mapped_column(String(64))
    creation_date: Mapped[datetime]
    update_date: Mapped[datetime | None]


class ExecutionRow(Base):
    """One execution: its status and result, the definition it runs, and the interpreter's state after its
    last persisted transition (``state``: ``Execution.to_dict`` less the definition and the events)."""

    __tablename__ = "state_machine_executions"
    __table_args__ = (Index("ix_state_machine_executions_machine", "state_machine_arn", "start_date"),)

    arn: Mapped[str] = mapped_column(String(512), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    state_machine_arn: Mapped[str] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16))
    input: Mapped[str] = mapped_column(Text)
    output: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    cause: Mapped[str | None] = mapped_column(Text)
    definition: Mapped[str] = mapped_column(Text)
    role_arn: Mapped[str] = mapped_column(String(256))
    state: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    event_count: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[datetime]
    stop_date: Mapped[datetime | None]


class HistoryEventRow(Base):
    """One history event of an execution; ``details`` holds its ``...EventDetails`` member by name."""

    __tablename__ = "state_machine_history_events"

    execution_arn: Mapped[str] = mapped_column(
        String(512), ForeignKey("state_machine_executions.arn", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    previous_event_id: Mapped[int] = mapped_column(Integer)
    timestamp: Mapped[datetime]
    type: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class TaskTokenRow(Base):
    """The task token of a ``.waitForTaskToken`` Task: WAITING until SendTaskSuccess or SendTaskFailure gives it
    its outcome (SUCCEEDED, FAILED), CLOSED once the execution has taken it or the Task has ended otherwise;
    ``heartbeat`` is the last SendTaskHeartbeat.

    A dispatched Task's call (one run by a mapped task of the ``sluice_state_tasks`` DAG) has a row too, keyed by
    its dispatch key: ``request`` is its TaskRequest (and the Lambda registry it runs with), ``batch`` the DAG run
    that makes the call (None until one is launched), and the outcome is written there."""

    __tablename__ = "state_machine_task_tokens"
    __table_args__ = (
        Index("ix_state_machine_task_tokens_execution", "execution_arn", "status"),
        Index("ix_state_machine_task_tokens_batch", "batch"),
    )

    token: Mapped[str] = mapped_column(String(256), primary_key=True)
    execution_arn: Mapped[str] = mapped_column(
        String(512), ForeignKey("state_machine_executions.arn", ondelete="CASCADE")
    )
    state_name: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(16))
    output: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    cause: Mapped[str | None] = mapped_column(Text)
    heartbeat: Mapped[datetime | None]
    created: Mapped[datetime]
    request: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    batch: Mapped[str | None] = mapped_column(String(128))
