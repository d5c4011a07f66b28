"""Step Functions state machines, their executions (with the interpreter's state) and history events

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 04:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "state_machines",
        sa.Column("arn", sa.String(length=256), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("role_arn", sa.String(length=256), nullable=False),
        sa.Column("type", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("logging_configuration", sa.JSON(), nullable=True),
        sa.Column("tracing_configuration", sa.JSON(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("revision_id", sa.String(length=64), nullable=False),
        sa.Column("creation_date", sa.DateTime(), nullable=False),
        sa.Column("update_date", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("arn", name=op.f("pk_state_machines")),
        sa.UniqueConstraint("name", name=op.f("uq_state_machines_name")),
    )
    op.create_table(
        "state_machine_executions",
        sa.Column("arn", sa.String(length=512), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("state_machine_arn", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("input", sa.Text(), nullable=False),
        sa.Column("output", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("cause", sa.Text(), nullable=True),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("role_arn", sa.String(length=256), nullable=False),
        sa.Column("state", sa.JSON(), nullable=True),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.DateTime(), nullable=False),
        sa.Column("stop_date", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("arn", name=op.f("pk_state_machine_executions")),
    )
    with op.batch_alter_table("state_machine_executions", schema=None) as batch_op:
        batch_op.create_index("ix_state_machine_executions_machine", ["state_machine_arn", "start_date"], unique=False)
    op.create_table(
        "state_machine_history_events",
        sa.Column("execution_arn", sa.String(length=512), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("previous_event_id", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.DateTime(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["execution_arn"],
            ["state_machine_executions.arn"],
            name=op.f("fk_state_machine_history_events_execution_arn_state_machine_executions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("execution_arn", "id", name=op.f("pk_state_machine_history_events")),
    )


def downgrade() -> None:
    op.drop_table("state_machine_history_events")
    with op.batch_alter_table("state_machine_executions", schema=None) as batch_op:
        batch_op.drop_index("ix_state_machine_executions_machine")
    op.drop_table("state_machine_executions")
    op.drop_table("state_machines")
