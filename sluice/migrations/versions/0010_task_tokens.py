"""Step Functions task tokens: the callbacks of ``.waitForTaskToken`` Tasks (SendTaskSuccess/Failure/Heartbeat)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 13:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "state_machine_task_tokens",
        sa.Column("token", sa.String(length=256), nullable=False),
        sa.Column("execution_arn", sa.String(length=512), nullable=False),
        sa.Column("state_name", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("output", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("cause", sa.Text(), nullable=True),
        sa.Column("heartbeat", sa.DateTime(), nullable=True),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["execution_arn"],
            ["state_machine_executions.arn"],
            name=op.f("fk_state_machine_task_tokens_execution_arn_state_machine_executions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_state_machine_task_tokens")),
    )
    with op.batch_alter_table("state_machine_task_tokens", schema=None) as batch_op:
        batch_op.create_index("ix_state_machine_task_tokens_execution", ["execution_arn", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("state_machine_task_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_state_machine_task_tokens_execution")
    op.drop_table("state_machine_task_tokens")
